import { initBackend, Rng } from '@kd/core';
import { Linear } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LoraLinear,
  loraScaling,
  matmul,
  matrix,
  qr,
  svd,
  svdLowRank,
  transpose,
} from '../src/index.js';
import { maxAbsDiff, randomValues } from './helpers/plain.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const diag = (s: ArrayLike<number>, k: number) => {
  const d = matrix(k, k);
  for (let i = 0; i < k; i++) d.data[i * k + i] = s[i];
  return d;
};

describe('float64 SVD and QR', () => {
  for (const [m, n] of [
    [7, 4],
    [4, 7],
    [6, 6],
  ]) {
    it(`svd ${m}×${n}: U S Vh reconstructs, U and Vh orthonormal, S descending`, () => {
      const a = matrix(m, n, randomValues(m * n, m * 10 + n));
      const { u, s, vh } = svd(a);
      const k = Math.min(m, n);
      expect(maxAbsDiff(matmul(matmul(u, diag(s, k)), vh).data, a.data)).toBeLessThan(1e-12);
      expect(
        maxAbsDiff(matmul(transpose(u), u).data, diag(new Array(k).fill(1), k).data),
      ).toBeLessThan(1e-12);
      expect(
        maxAbsDiff(matmul(vh, transpose(vh)).data, diag(new Array(k).fill(1), k).data),
      ).toBeLessThan(1e-12);
      for (let i = 1; i < k; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
    });
  }

  it('svd of a known matrix: singular values of [[3, 0], [4, 5]] are √45 and √5', () => {
    const { s } = svd(matrix(2, 2, [3, 0, 4, 5]));
    expect(s[0]).toBeCloseTo(Math.sqrt(45), 12);
    expect(s[1]).toBeCloseTo(Math.sqrt(5), 12);
  });

  it('qr matches numpy/torch (LAPACK) on [[1,2],[3,4],[5,6]], signs included', () => {
    const { q, r } = qr(matrix(3, 2, [1, 2, 3, 4, 5, 6]));
    // numpy.linalg.qr: Q[:,0] = −[1,3,5]/√35, R = [[−5.91608, −7.43736], [0, 0.82808]]
    expect(
      maxAbsDiff(r.data, [-5.916079783099616, -7.437357441610946, 0, 0.8280786712108251]),
    ).toBeLessThan(1e-12);
    expect(
      maxAbsDiff(
        [q.data[0], q.data[2], q.data[4]],
        [-1, -3, -5].map((v) => v / Math.sqrt(35)),
      ),
    ).toBeLessThan(1e-12);
    expect(maxAbsDiff(matmul(q, r).data, [1, 2, 3, 4, 5, 6])).toBeLessThan(1e-12);
  });

  it('randomized low-rank SVD recovers an exactly rank-3 matrix', () => {
    const left = matrix(9, 3, randomValues(27, 1));
    const right = matrix(3, 8, randomValues(24, 2));
    const a = matmul(left, right);
    const { u, s, vh } = svdLowRank(a, 3, 2, new Rng(0));
    expect(maxAbsDiff(matmul(matmul(u, diag(s, 3)), vh).data, a.data)).toBeLessThan(1e-10);
  });
});

describe('no tensor leaks', () => {
  it('forward, merge/unmerge (DoRA norm cache) and delete release everything they make', () => {
    const layer = new LoraLinear(new Linear(6, 5, { rng: new Rng(0) }));
    const spec = {
      r: 2,
      alpha: 4,
      scaling: loraScaling(4, 2, false),
      dropout: 0.1,
      useRslora: false,
      useDora: true,
      loraBias: false,
      init: false as const,
    };
    layer.addAdapter('a', spec, new Rng(1));
    layer.activeAdapters = ['a'];
    const x = tf.ones([3, 6]);
    layer.forward(x).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      layer.train();
      tf.tidy(() => {
        tf.variableGrads(() => tf.sum(layer.forward(x)) as tf.Scalar, [layer.factors('a').a]);
      });
      layer.eval();
      layer.merge();
      layer.forward(x).dispose();
      layer.unmerge();
    }
    expect(tf.memory().numTensors).toBe(before);
    const params = layer.adapterParameters('a').length;
    layer.deleteAdapter('a');
    expect(tf.memory().numTensors).toBe(before - params);
  });
});
