import { AbortedError, initBackend, Rng, ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  argmax,
  createSampler,
  GPT2LMHeadModel,
  generate,
  LlamaForCausalLM,
} from '../src/index.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

/** Draw counts of `n` samples from `logits`. */
function counts(sampler: (l: Float32Array) => number, logits: number[], n: number): number[] {
  const c = new Array(logits.length).fill(0);
  const l = Float32Array.from(logits);
  for (let i = 0; i < n; i++) c[sampler(l)]++;
  return c;
}

/** |observed − expected| within 4 binomial standard deviations for each token. */
function expectFrequencies(c: number[], probs: number[]) {
  const n = c.reduce((a, b) => a + b, 0);
  probs.forEach((p, i) => {
    const sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(c[i] - n * p), `token ${i}`).toBeLessThanOrEqual(4 * sd + 1e-9);
  });
}

const logp = (ps: number[]) => ps.map(Math.log);

describe('createSampler (Hugging Face semantics)', () => {
  it('greedy: argmax, first index on ties', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(createSampler()(Float32Array.of(0, 5, 1))).toBe(1);
  });

  it('temperature: samples from softmax(logits / T)', () => {
    const logits = [0, 1, 2, 0.5];
    const t = 2;
    const e = logits.map((v) => Math.exp(v / t));
    const z = e.reduce((a, b) => a + b);
    expectFrequencies(
      counts(createSampler({ temperature: t, seed: 1 }), logits, 20000),
      e.map((v) => v / z),
    );
  });

  it('top-k keeps the k largest (ties with the k-th included)', () => {
    const c = counts(
      createSampler({ temperature: 1, topK: 2, seed: 2 }),
      logp([0.1, 0.4, 0.3, 0.2]),
      20000,
    );
    expect(c[0]).toBe(0);
    expect(c[3]).toBe(0);
    expectFrequencies(c, [0, 4 / 7, 3 / 7, 0]);
    const tied = counts(createSampler({ temperature: 1, topK: 1, seed: 3 }), [1, 2, 2, 0], 1000);
    expect(tied[1] + tied[2]).toBe(1000);
    expect(tied[1]).toBeGreaterThan(0);
    expect(tied[2]).toBeGreaterThan(0);
  });

  it('top-p removes the tail whose cumulative probability is ≤ 1 − p', () => {
    const probs = [0.05, 0.5, 0.15, 0.3];
    // Ascending: 0.05, 0.15, 0.3, 0.5 → cumulative 0.05, 0.2, 0.5, 1.
    const at = (p: number) =>
      counts(createSampler({ temperature: 1, topP: p, seed: 4 }), logp(probs), 20000);
    const p80 = at(0.8); // 1 − p = 0.2: drops 0.05 and 0.15 (cumulative 0.2 ≤ 0.2)
    expect(p80[0] + p80[2]).toBe(0);
    expectFrequencies(p80, [0, 0.5 / 0.8, 0, 0.3 / 0.8]);
    const p85 = at(0.85); // 1 − p = 0.15: drops only 0.05
    expect(p85[0]).toBe(0);
    expectFrequencies(p85, [0, 0.5 / 0.95, 0.15 / 0.95, 0.3 / 0.95]);
    const tiny = at(0.01); // the most likely token always survives
    expect(tiny[1]).toBe(20000);
  });

  it('is seeded and validates its options', () => {
    const a = counts(createSampler({ temperature: 1, seed: 9 }), [0, 0, 0], 50);
    expect(counts(createSampler({ temperature: 1, seed: 9 }), [0, 0, 0], 50)).toEqual(a);
    const rng = new Rng(5);
    const s = createSampler({ temperature: 1, rng });
    expect(typeof s(Float32Array.of(0, 1))).toBe('number');
    expect(() => createSampler({ temperature: -1 })).toThrow(ValidationError);
    expect(() => createSampler({ topP: 0 })).toThrow(/topP/);
    expect(() => createSampler({ topK: 1.5 })).toThrow(/topK/);
  });
});

describe('generate', () => {
  const gpt2 = () =>
    new GPT2LMHeadModel(
      { vocabSize: 24, nPositions: 20, nEmbd: 8, nLayer: 2, nHead: 2 },
      { seed: 5 },
    ).eval();

  it('batches rows independently and matches one-row runs (greedy)', async () => {
    const m = gpt2();
    const both = await generate(
      m,
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { maxNewTokens: 6 },
    );
    const one = await generate(m, [1, 2, 3], { maxNewTokens: 6 });
    const two = await generate(m, [4, 5, 6], { maxNewTokens: 6 });
    expect(both.sequences).toEqual([one.sequences[0], two.sequences[0]]);
    expect(both.generated[0]).toEqual(one.sequences[0].slice(3));
    m.dispose();
  });

  it('sampling is seeded per row, and cached equals uncached', async () => {
    const m = gpt2();
    const opts = { maxNewTokens: 8, temperature: 1.3, topK: 10, topP: 0.9, seed: 3 };
    const a = await generate(
      m,
      [
        [1, 2],
        [1, 2],
      ],
      opts,
    );
    expect(a.sequences[0]).not.toEqual(a.sequences[1]);
    expect(
      await generate(
        m,
        [
          [1, 2],
          [1, 2],
        ],
        opts,
      ),
    ).toEqual(a);
    expect(
      await generate(
        m,
        [
          [1, 2],
          [1, 2],
        ],
        { ...opts, useCache: false },
      ),
    ).toEqual(a);
    m.dispose();
  });

  it('stops a row at a stop token, keeps the others going', async () => {
    const m = gpt2();
    const free = await generate(
      m,
      [
        [1, 2],
        [7, 8],
      ],
      { maxNewTokens: 6 },
    );
    const stopAt = free.generated[0][1];
    const stopped = await generate(
      m,
      [
        [1, 2],
        [7, 8],
      ],
      { maxNewTokens: 6, stopTokens: [stopAt] },
    );
    const i0 = free.generated[0].indexOf(stopAt);
    expect(stopped.generated[0]).toEqual(free.generated[0].slice(0, i0 + 1));
    const i1 = free.generated[1].indexOf(stopAt);
    expect(stopped.generated[1]).toEqual(
      i1 >= 0 ? free.generated[1].slice(0, i1 + 1) : free.generated[1],
    );
    m.dispose();
  });

  it('reports tokens, honours abort, rejects bad prompts, and releases memory', async () => {
    const m = new LlamaForCausalLM(
      {
        vocabSize: 24,
        hiddenSize: 8,
        intermediateSize: 12,
        numHiddenLayers: 1,
        numAttentionHeads: 2,
        maxPositionEmbeddings: 10,
      },
      { seed: 6 },
    ).eval();
    const before = tf.memory().numTensors;
    const seen: number[][] = [];
    await generate(m, [1, 2], { maxNewTokens: 3, onToken: (t) => seen.push(t) });
    expect(seen).toHaveLength(3);
    const controller = new AbortController();
    await expect(
      generate(m, [1], {
        maxNewTokens: 5,
        signal: controller.signal,
        onToken: () => controller.abort(),
      }),
    ).rejects.toThrow(AbortedError);
    await expect(generate(m, [[1, 2], [3]], { maxNewTokens: 1 })).rejects.toThrow(ShapeError);
    await expect(generate(m, [1, 2, 3], { maxNewTokens: 9 })).rejects.toThrow(
      /needs 11 positions; the model has 10/,
    );
    // Exactly filling the context is fine: the last token is never fed back.
    await generate(m, [1, 2, 3], { maxNewTokens: 8 });
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
