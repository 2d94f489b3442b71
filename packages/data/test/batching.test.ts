import { Rng, ValidationError } from '@kd/core';
import { describe, expect, it } from 'vitest';
import {
  BatchSampler,
  collate,
  DataLoader,
  type EncodedExample,
  encodeExamples,
  LmWindowSampler,
  lmSequentialBatches,
  loadBertUncasedTokenizer,
  loadGlue,
  loadSquad,
  squadFeatures,
} from '../src/index.js';

const take = (s: BatchSampler, n: number) =>
  Array.from({ length: n }, () => Array.from(s.next().indices));

describe('BatchSampler', () => {
  it('visits every index once per epoch, seeded and different across epochs', () => {
    const s = new BatchSampler({ size: 103, batchSize: 10, seed: 1 });
    expect(s.batchesPerEpoch).toBe(11);
    const e0 = take(s, 11);
    const e1 = take(s, 11);
    expect(e0.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(e0.at(-1)).toHaveLength(3);
    expect(e1.flat()).not.toEqual(e0.flat());
    expect(take(new BatchSampler({ size: 103, batchSize: 10, seed: 1 }), 11)).toEqual(e0);
    expect(take(new BatchSampler({ size: 103, batchSize: 10, seed: 2 }), 11)).not.toEqual(e0);
    expect(take(new BatchSampler({ size: 5, batchSize: 2, shuffle: false }), 3)).toEqual([
      [0, 1],
      [2, 3],
      [4],
    ]);
    expect(new BatchSampler({ size: 5, batchSize: 2, dropLast: true }).batchesPerEpoch).toBe(2);
  });

  it('resumes mid-epoch from a JSON round-tripped state with identical batches', () => {
    const a = new BatchSampler({ size: 57, batchSize: 8, seed: 'run-7' });
    take(a, 11); // into the second epoch
    const saved = JSON.parse(JSON.stringify(a.state()));
    expect(saved).toMatchObject({ epoch: 1, position: 3 });
    const expected = take(a, 20);
    const b = new BatchSampler({ size: 57, batchSize: 8, seed: 'other' }).setState(saved);
    expect(take(b, 20)).toEqual(expected);
    expect(() => b.setState({ epoch: -1, position: 0, rng: saved.rng })).toThrow(ValidationError);
  });

  it('length buckets keep every index and cut padding on real SST-2 lengths', async () => {
    const tok = await loadBertUncasedTokenizer();
    const train = await loadGlue('sst2', 'train');
    const lengths = train.examples.map((e) => tok.encodeIds(e.text).length);
    const padded = (s: BatchSampler) => {
      let total = 0;
      const seen: number[] = [];
      for (const { indices } of s.remainingInEpoch()) {
        const m = Math.max(...Array.from(indices, (i) => lengths[i]));
        total += m * indices.length;
        seen.push(...indices);
      }
      return { total, seen: seen.sort((x, y) => x - y) };
    };
    const plain = padded(new BatchSampler({ size: lengths.length, batchSize: 32, seed: 0 }));
    const bucketed = padded(
      new BatchSampler({ size: lengths.length, batchSize: 32, seed: 0, lengths }),
    );
    expect(bucketed.seen).toEqual(plain.seen);
    const real = lengths.reduce((x, y) => x + y, 0);
    // padding overhead (padded − real tokens) shrinks by more than half
    expect(bucketed.total - real).toBeLessThan((plain.total - real) / 2);
  });
});

describe('collate and DataLoader', () => {
  it('pads pairs, masks, token types and labels (int classes, float regression)', () => {
    const items: EncodedExample[] = [
      { ids: Int32Array.from([101, 5, 102]), tokenTypeIds: Int32Array.from([0, 0, 0]), label: 1 },
      {
        ids: Int32Array.from([101, 6, 7, 102, 8, 102]),
        tokenTypeIds: Int32Array.from([0, 0, 0, 0, 1, 1]),
        label: 0,
      },
    ];
    const b = collate(items, [1, 0], { padId: 0, padToMultipleOf: 4 });
    expect([b.batchSize, b.seqLen]).toEqual([2, 8]);
    expect(Array.from(b.inputIds)).toEqual([
      101, 6, 7, 102, 8, 102, 0, 0, 101, 5, 102, 0, 0, 0, 0, 0,
    ]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect(Array.from(b.tokenTypeIds.slice(0, 8))).toEqual([0, 0, 0, 0, 1, 1, 0, 0]);
    expect(b.labels).toEqual(Int32Array.from([0, 1]));
    const r = collate([{ ...items[0], label: 3.8 }], [0], {
      padId: 0,
      regression: true,
      paddingSide: 'left',
      padTo: 5,
    });
    expect(Array.from(r.inputIds)).toEqual([0, 0, 101, 5, 102]);
    expect(r.labels).toEqual(Float32Array.from([3.8]));
  });

  it('batches RTE pairs with a resumable, length-bucketed loader', async () => {
    const tok = await loadBertUncasedTokenizer();
    const rte = await loadGlue('rte', 'validation');
    const encoded = encodeExamples(rte.examples, tok, { maxLength: 128 });
    expect(encoded.every((e) => e.ids.length <= 128)).toBe(true);
    const make = () =>
      new DataLoader(encoded, {
        batchSize: 16,
        seed: 3,
        lengthOf: (e) => e.ids.length,
        collate: (items, idx) => collate(items, idx, { padId: 0 }),
      });
    const a = make();
    const first = a.next();
    expect(first.batch.batchSize).toBe(16);
    expect(first.batch.seqLen).toBeLessThanOrEqual(128);
    const state = a.state();
    const rest = [...a.epoch()].map((x) => Array.from(x.batch.indices));
    const b = make().setState(state);
    expect([...b.epoch()].map((x) => Array.from(x.batch.indices))).toEqual(rest);
    expect(rest.flat().length + 16).toBe(277);
  });
});

describe('language-model batches', () => {
  const ids = Int32Array.from({ length: 1000 }, (_, i) => i % 97);

  it('random windows: targets are inputs shifted by one; resumable', () => {
    const s = new LmWindowSampler(ids, { blockSize: 16, batchSize: 4, seed: 5 });
    const b = s.next();
    for (let r = 0; r < 4; r++) {
      for (let t = 0; t < 15; t++) expect(b.targets[r * 16 + t]).toBe(b.inputIds[r * 16 + t + 1]);
      expect(b.targets[r * 16 + 15]).toBe((b.inputIds[r * 16 + 15] + 1) % 97);
    }
    const state = s.state();
    const next = s.next();
    expect(
      new LmWindowSampler(ids, { blockSize: 16, batchSize: 4, rng: new Rng(9) })
        .setState(state)
        .next(),
    ).toEqual(next);
  });

  it('sequential windows cover the corpus in order', () => {
    const batches = [...lmSequentialBatches(ids, { blockSize: 100, batchSize: 4 })];
    expect(batches.map((b) => b.batchSize)).toEqual([4, 4, 1]); // 999 / 100 → 9 blocks
    expect(batches[0].inputIds[100]).toBe(ids[100]);
    expect(batches[2].targets.at(-1)).toBe(ids[900]);
  });
});

describe('SQuAD features', () => {
  it('maps gold answers to token spans in overlapping windows (HF run_qa rules)', async () => {
    const tok = await loadBertUncasedTokenizer();
    const squad = await loadSquad();
    const examples = squad.examples.slice(0, 300);
    const features = squadFeatures(examples, tok, { maxLength: 128, docStride: 32 });
    expect(features.length).toBeGreaterThan(examples.length); // long contexts overflow into several windows
    const found = new Set<number>();
    for (const f of features) {
      expect(f.inputIds).toHaveLength(128);
      expect(f.inputIds[0]).toBe(101);
      if (f.startPosition === 0) continue;
      found.add(f.exampleIndex);
      const ex = examples[f.exampleIndex];
      const span = ex.context.slice(
        (f.offsets[f.startPosition] as [number, number])[0],
        (f.offsets[f.endPosition] as [number, number])[1],
      );
      expect(span).toContain(ex.answers.text[0]);
      expect(span.length).toBeLessThanOrEqual(ex.answers.text[0].length + 12);
    }
    expect(found.size).toBeGreaterThan(examples.length * 0.98);
  });
});
