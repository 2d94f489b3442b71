import { initBackend, NumericError, Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bestThreshold,
  evaluateLinkPrediction,
  KgModel,
  rankingMetrics,
  TripleFilter,
  tripleClassification,
  triplesFrom,
} from '../src/index.js';

// Every expected number below is worked out by hand in the comments.

describe('rankingMetrics', () => {
  it('MRR, MR and Hits@k of hand-made ranks', () => {
    const m = rankingMetrics([1, 2, 4, 1.5]);
    expect(m.mrr).toBeCloseTo((1 + 1 / 2 + 1 / 4 + 1 / 1.5) / 4, 12);
    expect(m.mr).toBe(8.5 / 4);
    expect(m.hits[1]).toBe(1 / 4); // 1.5 is not a hit at 1
    expect(m.hits[3]).toBe(3 / 4);
    expect(m.hits[10]).toBe(1);
    expect(m.count).toBe(4);
  });
  it('rejects ranks below 1', () => {
    expect(() => rankingMetrics([1, 0])).toThrow(/ranks start at 1/);
  });
});

describe.each(['cpu', 'wasm'] as const)('two-sided filtered evaluation on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend, threads: 1 });
  });

  it('matches hand-computed ranks with ties and duplicates across splits', () => {
    // DistMult with dim 1: f(h, r, t) = e_h · w_r · e_t with e = [1, 2, 2, 4], w = 1.
    const model = new KgModel(
      { numEntities: 4, numRelations: 1, scorer: 'distmult', dim: 1 },
      new Rng(0),
    );
    model.loadStateDict({
      entity_embedding: { dtype: 'float32', shape: [4, 1], data: Float32Array.from([1, 2, 2, 4]) },
      relation_embedding: { dtype: 'float32', shape: [1, 1], data: Float32Array.from([1]) },
    });
    const test = triplesFrom([[0, 0, 1]]);
    // train repeats the test triple and holds (0, 0, 3); valid holds (2, 0, 1).
    const train = triplesFrom([
      [0, 0, 1],
      [0, 0, 3],
    ]);
    // (0, 0, 3) is also repeated in valid: a known triple listed twice is filtered once.
    const valid = triplesFrom([
      [2, 0, 1],
      [0, 0, 3],
    ]);
    const filter = new TripleFilter([train, valid, test], 4, 1);
    const before = tf.memory().numTensors;
    const res = evaluateLinkPrediction(model, test, filter);
    // Tail side (0, r, ?): scores e_0·e = [1, 2, 2, 4]; true tail 1 scores 2;
    // 3 is filtered (known), 2 ties: realistic rank 1 + 0 + 1/2 = 1.5.
    expect(Array.from(res.tailRanks)).toEqual([1.5]);
    // Head side (?, r, 1): scores e·e_1 = [2, 4, 4, 8]; true head 0 scores 2;
    // 2 is filtered (valid), 1 and 3 are greater: rank 3.
    expect(Array.from(res.headRanks)).toEqual([3]);
    expect(res.both.mrr).toBeCloseTo((1 / 1.5 + 1 / 3) / 2, 6);
    expect(res.both.hits[1]).toBe(0);
    expect(res.both.hits[3]).toBe(1);
    // Tie policies: the tail tie with entity 2 counts 0 (optimistic) or 1 (pessimistic).
    expect(
      Array.from(evaluateLinkPrediction(model, test, filter, { ties: 'optimistic' }).tailRanks),
    ).toEqual([1]);
    expect(
      Array.from(evaluateLinkPrediction(model, test, filter, { ties: 'pessimistic' }).tailRanks),
    ).toEqual([2]);
    // Raw: tail 1 + 1 greater + 1/2 tie = 2.5, head 1 + 3 = 4.
    const raw = evaluateLinkPrediction(model, test, filter, { filtered: false });
    expect(Array.from(raw.tailRanks)).toEqual([2.5]);
    expect(Array.from(raw.headRanks)).toEqual([4]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('a NaN score is a NumericError naming the side, not a rank', () => {
    const model = new KgModel(
      { numEntities: 3, numRelations: 1, scorer: 'distmult', dim: 1 },
      new Rng(0),
    );
    model.loadStateDict({
      entity_embedding: {
        dtype: 'float32',
        shape: [3, 1],
        data: Float32Array.from([1, Number.NaN, 2]),
      },
      relation_embedding: { dtype: 'float32', shape: [1, 1], data: Float32Array.from([1]) },
    });
    const test = triplesFrom([[0, 0, 2]]);
    expect(() => evaluateLinkPrediction(model, test, new TripleFilter([test], 3, 1))).toThrow(
      NumericError,
    );
    expect(() => evaluateLinkPrediction(model, test, new TripleFilter([test], 3, 1))).toThrow(
      /candidate 1 has score NaN/,
    );
    model.dispose();
  });

  it('reciprocal models rank heads through the inverse relation', () => {
    const model = new KgModel(
      { numEntities: 3, numRelations: 1, scorer: 'distmult', dim: 1, reciprocal: true },
      new Rng(0),
    );
    // e = [1, 3, 2]; w = 1, w⁻¹ = −1: heads of (?, r, 0) score e_0·(−1)·e = [−1, −3, −2].
    model.loadStateDict({
      entity_embedding: { dtype: 'float32', shape: [3, 1], data: Float32Array.from([1, 3, 2]) },
      relation_embedding: { dtype: 'float32', shape: [2, 1], data: Float32Array.from([1, -1]) },
    });
    const test = triplesFrom([[2, 0, 0]]);
    const res = evaluateLinkPrediction(model, test, new TripleFilter([test], 3, 1));
    expect(Array.from(res.headRanks)).toEqual([2]); // −2 is beaten only by −1
    expect(Array.from(res.tailRanks)).toEqual([3]); // tails of (2, r, ?): [2, 6, 4]; true 0 scores 2
    model.dispose();
  });
});

describe('triple classification', () => {
  it('thresholds per relation chosen on validation, P/R/F1 on test', () => {
    // Relation 0 valid: 0.9+, 0.7+, 0.6−, 0.2− → θ midway between 0.7 and 0.6.
    expect(bestThreshold([0.9, 0.7, 0.6, 0.2], [1, 1, 0, 0])).toBeCloseTo(0.65, 12);
    const res = tripleClassification(
      {
        scores: [0.9, 0.7, 0.6, 0.2, 5, 4],
        labels: [1, 1, 0, 0, 1, 0],
        relations: [0, 0, 0, 0, 1, 1],
      },
      // relation 0 with θ = 0.65: 0.66+ → TP, 0.64− → TN, 0.8− → FP;
      // relation 1 with θ = 4.5: 4.4+ → FN; relation 2 (unseen) uses the global θ.
      { scores: [0.66, 0.64, 0.8, 4.4], labels: [1, 0, 0, 1], relations: [0, 0, 0, 1] },
      3,
    );
    expect(res.thresholds[0]).toBeCloseTo(0.65, 6);
    expect(res.thresholds[1]).toBeCloseTo(4.5, 6);
    expect(res.thresholds[2]).toBeNaN();
    expect(res.precision).toBeCloseTo(1 / 2, 12); // TP 1, FP 1
    expect(res.recall).toBeCloseTo(1 / 2, 12); // TP 1, FN 1
    expect(res.f1).toBeCloseTo(1 / 2, 12);
    expect(res.accuracy).toBeCloseTo(2 / 4, 12);
    // AUC over test: pos {0.66, 4.4}, neg {0.64, 0.8}: 0.66 beats 0.64 only → 3/4.
    expect(res.auc).toBeCloseTo(0.75, 12);
  });
});
