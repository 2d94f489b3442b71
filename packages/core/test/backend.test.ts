import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BackendError,
  backendInfo,
  disposeBackend,
  initBackend,
  Rng,
  ValidationError,
} from '../src/index.js';

/**
 * Every op the kd packages differentiate, as f(x) → scalar with a fixed
 * random input. Each must have a gradient on wasm (stock tfjs-wasm lacks
 * UnsortedSegmentSum, which gather's gradient needs) that matches cpu.
 */
const rng = new Rng(11);
const A = rng.normalArray(4 * 6);
const B = rng.normalArray(6 * 5);
const W = rng.normalArray(3 * 4 * 6);
const IDS = [0, 2, 2, 3, 1];
const SEG = [0, 1, 0, 3];

type Case = [name: string, shape: number[], data: Float32Array, f: (x: tf.Tensor) => tf.Tensor];
const cases: Case[] = [
  [
    'gather (embedding lookup)',
    [4, 6],
    A,
    (x) => tf.gather(x, tf.tensor1d(IDS, 'int32')).square().sum(),
  ],
  [
    'unsortedSegmentSum',
    [4, 6],
    A,
    (x) => tf.unsortedSegmentSum(x, tf.tensor1d(SEG, 'int32'), 5).square().sum(),
  ],
  ['matMul', [4, 6], A, (x) => tf.matMul(x, tf.tensor2d(B, [6, 5])).sum()],
  [
    'matMul transposeA',
    [6, 4],
    A,
    (x) =>
      tf
        .matMul(x, tf.tensor2d(B, [6, 5]), true, false)
        .square()
        .sum(),
  ],
  [
    'matMul transposeB',
    [4, 6],
    A,
    (x) =>
      tf
        .matMul(x, tf.tensor2d(B, [5, 6]), false, true)
        .square()
        .sum(),
  ],
  ['batched matMul', [3, 4, 6], W, (x) => tf.matMul(x, x, false, true).sum()],
  ['softmax', [4, 6], A, (x) => tf.softmax(x).mul(tf.range(0, 6)).sum()],
  ['logSoftmax', [4, 6], A, (x) => tf.logSoftmax(x).mul(tf.range(0, 6)).sum()],
  [
    'layer norm pieces',
    [4, 6],
    A,
    (x) => {
      const m = tf.mean(x, -1, true);
      const v = tf.mean(tf.square(tf.sub(x, m)), -1, true);
      return tf
        .sub(x, m)
        .mul(tf.rsqrt(v.add(1e-5)))
        .mul(tf.range(1, 7))
        .sum();
    },
  ],
  [
    'gelu (erf)',
    [4, 6],
    A,
    (x) =>
      x
        .mul(tf.erf(x.div(Math.SQRT2)).add(1))
        .mul(0.5)
        .sum(),
  ],
  ['tanh, sigmoid, relu', [4, 6], A, (x) => tf.tanh(x).add(tf.sigmoid(x)).add(tf.relu(x)).sum()],
  ['leakyRelu, elu', [4, 6], A, (x) => tf.leakyRelu(x, 0.2).add(tf.elu(x)).sum()],
  [
    'exp, log, sqrt, abs',
    [4, 6],
    A,
    (x) =>
      tf
        .exp(x.mul(0.1))
        .add(tf.log(tf.abs(x).add(1)))
        .add(tf.sqrt(x.square().add(1)))
        .sum(),
  ],
  ['max and maximum', [4, 6], A, (x) => tf.max(x, 1).sum().add(tf.maximum(x, 0.1).sum())],
  [
    'slice, concat, reshape, transpose',
    [4, 6],
    A,
    (x) =>
      tf
        .concat([x.slice([0, 0], [2, 6]), x.slice([2, 0], [2, 6]).mul(2)], 0)
        .reshape([6, 4])
        .transpose()
        .mul(tf.range(0, 24).reshape([4, 6]))
        .sum(),
  ],
  ['where and mask fill', [4, 6], A, (x) => tf.where(tf.greater(x, 0), x, x.mul(0.5)).sum()],
  [
    'sin, cos (rotary)',
    [4, 6],
    A,
    (x) =>
      tf
        .sin(x)
        .mul(tf.cos(x.mul(2)))
        .sum(),
  ],
  [
    'pad, tile, stack',
    [4, 6],
    A,
    (x) =>
      tf
        .stack([
          tf
            .pad(x, [
              [1, 0],
              [0, 2],
            ])
            .slice([0, 0], [4, 6]),
          tf.tile(x.slice([0, 0], [2, 6]), [2, 1]),
        ])
        .square()
        .sum(),
  ],
  [
    'pow, div, clipByValue',
    [4, 6],
    A,
    (x) =>
      tf
        .pow(tf.abs(x).add(1), 1.5)
        .div(tf.clipByValue(x, -0.5, 0.5).add(2))
        .sum(),
  ],
  ['cumsum', [4, 6], A, (x) => tf.cumsum(x, 1).square().sum()],
  ['norm', [4, 6], A, (x) => tf.norm(x, 'euclidean', -1).sum()],
];

async function gradientsOn(backend: 'cpu' | 'wasm') {
  await initBackend({ backend });
  return cases.map(([, shape, data, f]) =>
    tf.tidy(() => Array.from(tf.grad(f)(tf.tensor(data, shape)).dataSync())),
  );
}

describe('initBackend', () => {
  afterAll(() => disposeBackend());

  it('starts cpu and wasm and reports what it got', async () => {
    const cpu = await initBackend({ backend: 'cpu' });
    expect(cpu.backend).toBe('cpu');
    expect(cpu.kernels).toEqual(['UnsortedSegmentSum']);
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await initBackend({ backend: 'wasm' });
    expect(wasm.backend).toBe('wasm');
    expect(wasm.simd).toBe(true); // Node 20 has wasm SIMD
    expect(wasm.kernels).toEqual(['GatherV2', 'UnsortedSegmentSum']);
    expect(wasm.platform).toBe('node');
    expect(backendInfo()).toEqual(wasm);
  });

  it('UnsortedSegmentSum matches a plain-JS reference on cpu and wasm (exact), for float32 and int32', async () => {
    const r = new Rng(4);
    const rows = 7;
    const inner = [3, 2];
    const ids = [4, -1, 0, 4, 9, 2, 0]; // -1 and 9 (≥ numSegments) add nothing
    const x = Array.from({ length: rows * 6 }, () => Math.round(r.normal() * 8));
    const expected = new Array(5 * 6).fill(0);
    ids.forEach((s, i) => {
      if (s < 0 || s >= 5) return;
      for (let j = 0; j < 6; j++) expected[s * 6 + j] += x[i * 6 + j];
    });
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend({ backend });
      for (const dtype of ['float32', 'int32'] as const) {
        const out = tf.tidy(() =>
          tf.unsortedSegmentSum(
            tf.tensor(x, [rows, ...inner], dtype),
            tf.tensor1d(ids, 'int32'),
            5,
          ),
        );
        expect(out.shape).toEqual([5, ...inner]);
        expect(out.dtype).toBe(dtype);
        expect(Array.from(out.dataSync())).toEqual(expected);
        out.dispose();
      }
    }
  });

  it('gather with batchDims matches a plain-JS reference on cpu and wasm (stock wasm ignores batchDims)', async () => {
    const x = Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 1.5);
    // Pick each position's "target logit": x[b, t, ids[b, t]], as perplexity does.
    const ids = [0, 1, 2, 3, 2, 1];
    const expected = ids.map((id, p) => x[p * 4 + id]);
    // Axis 1 with one batch dim: x[b, ids[b, j], :].
    const ids1 = [2, 0];
    const expected1 = ids1.flatMap((id, b) => x.slice((b * 3 + id) * 4, (b * 3 + id) * 4 + 4));
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend({ backend });
      tf.tidy(() => {
        const t = tf.tensor3d(x, [2, 3, 4]);
        const picked = tf.gather(t, tf.tensor2d(ids, [2, 3], 'int32'), 2, 2);
        expect(picked.shape).toEqual([2, 3]);
        expect(Array.from(picked.dataSync())).toEqual(expected);
        const rows = tf.gather(t, tf.tensor2d(ids1, [2, 1], 'int32'), 1, 1);
        expect(rows.shape).toEqual([2, 1, 4]);
        expect(Array.from(rows.dataSync())).toEqual(expected1);
        // batchDims 0 still goes to the stock kernel.
        expect(Array.from(tf.gather(t, tf.tensor1d([1], 'int32'), 0).dataSync())).toEqual(
          x.slice(12),
        );
      });
    }
  });

  it('auto picks wasm in Node (no WebGPU here) and says why webgpu was skipped', async () => {
    const info = await initBackend({ backend: 'auto' });
    expect(info.backend).toBe('wasm');
    expect(Object.keys(info.skipped)).toEqual(['webgpu']);
  });

  it('rejects unknown backends and bad thread counts before doing anything', async () => {
    await expect(initBackend({ backend: 'tpu' as never })).rejects.toThrow(ValidationError);
    await expect(initBackend({ threads: 0 })).rejects.toThrow(
      /threads must be an integer >= 1, got 0/,
    );
    await expect(initBackend({ backend: 'webgpu' })).rejects.toThrow(BackendError);
  });

  it('every op kd differentiates has a gradient on wasm equal to cpu (1e-4 relative)', async () => {
    const cpu = await gradientsOn('cpu');
    const wasm = await gradientsOn('wasm');
    for (let c = 0; c < cases.length; c++) {
      const scale = Math.max(1, ...cpu[c].map(Math.abs));
      const worst = Math.max(...cpu[c].map((v, i) => Math.abs(v - wasm[c][i])));
      expect(worst / scale, cases[c][0]).toBeLessThan(1e-4);
      expect(
        cpu[c].some((v) => v !== 0),
        `${cases[c][0]} has a non-zero gradient`,
      ).toBe(true);
    }
  });

  it('an embedding model trains on wasm and memory stays flat over 1,000 steps', async () => {
    await initBackend({ backend: 'wasm' });
    const r = new Rng(0);
    const vocab = 50;
    const dim = 8;
    const emb = tf.variable(tf.tensor2d(r.normalArray(vocab * dim, 0, 0.1), [vocab, dim]));
    const w = tf.variable(tf.tensor2d(r.normalArray(dim * 2, 0, 0.1), [dim, 2]));
    // Task: token id parity → class; learnable only through the embedding.
    const ids = Array.from({ length: 32 }, () => r.int(vocab));
    const x = tf.tensor1d(ids, 'int32');
    const y = tf.oneHot(
      tf.tensor1d(
        ids.map((i) => i % 2),
        'int32',
      ),
      2,
    );
    const opt = tf.train.sgd(0.5);
    const lossOf = () =>
      tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.gather(emb, x), w)) as tf.Scalar;
    const first = tf.tidy(() => lossOf().dataSync()[0]);
    let baseline = 0;
    for (let step = 0; step < 1000; step++) {
      tf.tidy(() => {
        opt.minimize(lossOf);
      });
      if (step === 10) baseline = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(baseline);
    const last = tf.tidy(() => lossOf().dataSync()[0]);
    expect(last).toBeLessThan(first * 0.1);
    tf.dispose([emb, w, x, y]);
    opt.dispose();
  });
});
