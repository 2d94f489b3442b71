import { initBackend } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  corpusChrf,
  crossEntropy,
  metrics,
  nmtBleu,
  perplexity,
  perplexityFromModel,
  sentenceBleu,
} from '../src/index.js';
import { clippedMatches, NgramKeys } from '../src/text/ngrams.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

/** A deterministic toy causal LM: logits[b][t][v] from the token at t. */
function toyLogits(ids: number[][], vocab: number): number[][][] {
  return ids.map((row) =>
    row.map((id, t) =>
      Array.from({ length: vocab }, (_, v) => Math.sin(1.3 * id + 0.7 * v + 0.1 * t) * 3),
    ),
  );
}

/** HF's procedure, recomputed in float64 loops: BOS, shift, masked mean NLL, exp. */
function referencePerplexities(texts: number[][], vocab: number, bos: number): number[] {
  return texts.map((text) => {
    const ids = [bos, ...text];
    const logits = toyLogits([ids], vocab)[0];
    let nll = 0;
    for (let t = 0; t + 1 < ids.length; t++) {
      const row = logits[t];
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      nll += lse - row[ids[t + 1]];
    }
    return Math.exp(nll / text.length);
  });
}

describe('perplexity', () => {
  const vocab = 11;
  const texts = [[3, 4, 5, 6], [1, 2], [7, 7, 7, 7, 7, 2], [9]];

  it('from a causal LM returning plain arrays: HF procedure exactly (1e-12)', async () => {
    const r = await perplexityFromModel((ids) => toyLogits(ids, vocab), texts, {
      bos_token_id: 0,
      batch_size: 3,
    });
    const expected = referencePerplexities(texts, vocab, 0);
    r.perplexities.forEach((p, i) => {
      expect(Math.abs(p - expected[i]) / expected[i]).toBeLessThan(1e-12);
    });
    expect(r.mean_perplexity).toBeCloseTo(
      expected.reduce((a, b) => a + b, 0) / expected.length,
      10,
    );
    expect(r.num_tokens).toBe(13);
  });

  it('from a tensor-returning LM (float32 path, tolerance 1e-5 relative) without leaking tensors', async () => {
    const model = (ids: number[][]) => tf.tensor3d(toyLogits(ids, vocab));
    const before = tf.memory().numTensors;
    const expected = referencePerplexities(texts, vocab, 0);
    for (let rep = 0; rep < 5; rep++) {
      const r = await perplexityFromModel(model, texts, { bos_token_id: 0, batch_size: 2 });
      r.perplexities.forEach((p, i) => {
        expect(Math.abs(p - expected[i]) / expected[i]).toBeLessThan(1e-5);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('attention masks exclude positions from both the sum and the count; corpus perplexity pools tokens', () => {
    const lp = [[Math.log(0.5), Math.log(0.25), Math.log(1e-9)], [Math.log(0.125)]];
    const r = perplexity({ token_logprobs: lp, attention_mask: [[1, 1, 0], [1]] });
    expect(r.perplexities[0]).toBeCloseTo(2 ** 1.5, 12);
    expect(r.perplexities[1]).toBeCloseTo(8, 12);
    expect(r.corpus_perplexity).toBeCloseTo(4, 12);
    // Base-2 log-probabilities give the same perplexity.
    const r2 = perplexity({ token_logprobs: [[-1, -2], [-3]] }, { log_base: 2 });
    expect(r2.perplexities[0]).toBeCloseTo(2 ** 1.5, 12);
    expect(() => perplexity({ token_logprobs: [[-1]], attention_mask: [[0]] })).toThrow(
      /no scored tokens/,
    );
  });

  it('logits + targets in float64 match logsumexp - logit', () => {
    expect(crossEntropy([2, 1, 0.1], 0, 'x', 'test')).toBeCloseTo(0.4170300162778333, 14);
    const acc = metrics.perplexity.create().accumulator();
    acc.add({ token_logprobs: [Math.log(0.5)] });
    acc.add({ token_logprobs: [Math.log(0.25)] });
    expect(acc.compute().mean_perplexity).toBeCloseTo(3, 12);
  });
});

/** Brute-force clipped n-gram matches with string keys (what sacreBLEU's Counter does). */
function bruteMatches(hyp: string[], refs: string[][], n: number): number {
  const count = (toks: string[]) => {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= toks.length; i++) {
      const k = toks.slice(i, i + n).join('\u0000');
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  const h = count(hyp);
  const best = new Map<string, number>();
  for (const r of refs) for (const [k, c] of count(r)) best.set(k, Math.max(best.get(k) ?? 0, c));
  let s = 0;
  for (const [k, c] of h) s += Math.min(c, best.get(k) ?? 0);
  return s;
}

describe('exact integer n-gram keys', () => {
  it('agree with string-keyed counting, including the dense renumbering path for large vocabularies', () => {
    let seed = 7;
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % k;
    };
    for (const V of [3, 50, 20000]) {
      for (let trial = 0; trial < 20; trial++) {
        const len = () => 1 + rand(V > 1000 ? 3000 : 40);
        const hyp = Array.from({ length: len() }, () => `w${rand(V)}`);
        const refs = [0, 1].map(() => Array.from({ length: len() }, () => `w${rand(V)}`));
        const vocab = new Map<string, number>();
        const id = (w: string) => {
          if (!vocab.has(w)) vocab.set(w, vocab.size);
          return vocab.get(w)!;
        };
        const enc = (t: string[]) => Int32Array.from(t, id);
        const seqs = [enc(hyp), ...refs.map(enc)];
        const keys = new NgramKeys();
        keys.begin(
          seqs,
          seqs.map((s) => s.length),
          3,
          vocab.size,
          6,
        );
        const ptr = new Int32Array(3);
        for (let n = 1; n <= 6; n++) {
          keys.next();
          expect(clippedMatches(keys, 3, ptr), `V=${V} n=${n}`).toBe(bruteMatches(hyp, refs, n));
        }
      }
    }
  });

  it('chrF over a text with more distinct characters than the exact-key bound (CJK paragraph)', () => {
    const chars = Array.from({ length: 600 }, (_, i) =>
      String.fromCodePoint(0x4e00 + ((i * 7919) % 900)),
    );
    const ref = chars.join('');
    const hyp = chars.slice(50).concat(chars.slice(0, 50)).join('');
    const r = corpusChrf([hyp], [ref]);
    expect(r.score).toBeGreaterThan(90);
    expect(r.score).toBeLessThan(100);
  });

  it('HF bleu (TF-NMT) follows its own definition: shortest reference, add-one smoothing on every order', () => {
    const r = nmtBleu(['the cat sat'], [['the cat sat on the mat', 'the cat']], { smooth: true });
    // matches 3,2,1,0 of possible 3,2,1,0; smoothed (m+1)/(p+1) = 1,1,1,1; ratio 3/2 > 1 -> bp 1.
    expect(r.precisions).toEqual([1, 1, 1, 1]);
    expect(r.reference_length).toBe(2);
    expect(r.bleu).toBe(1);
    // sacreBLEU on the same pair uses the closest reference length (2 -> bp 1) but exp smoothing.
    expect(sentenceBleu('the cat sat', ['the cat sat on the mat', 'the cat']).score).toBeCloseTo(
      100,
      10,
    );
  });
});
