import { disposeBackend, Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose, startKernels, valuesOn } from './helpers.js';

/** float64 reference of op(A)·op(B) for one matrix pair, in plain loops. */
function refMatMul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  n: number,
  k: number,
  ta: boolean,
  tb: boolean,
  aOff = 0,
  bOff = 0,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = ta ? a[aOff + p * m + i]! : a[aOff + i * k + p]!;
        const bv = tb ? b[bOff + j * k + p]! : b[bOff + p * n + j]!;
        s += av * bv;
      }
      c[i * n + j] = s;
    }
  }
  return c;
}

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 64, 100, 255, 257];

describe.each([
  ['1 thread, in tfjs’ heap', 1, true],
  ['2 threads (every product split)', 2, true],
  ['1 thread, operands copied', 1, false],
] as const)('matMul on %s', (label, threads, zeroCopy) => {
  const rng = new Rng(`matmul-${label}`);
  beforeAll(async () => {
    const info = await startKernels(threads, { minParallelFlops: 0, zeroCopy });
    expect(info.kernels).toContain('BatchMatMul');
    expect(info.threads).toBe(threads);
    expect(info.providers['wasm-simd']).toMatchObject({ active: true, zeroCopy, threads });
  });
  afterAll(() => disposeBackend());

  const pick = () => SIZES[rng.int(SIZES.length)]!;
  const combos = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const;

  for (const [ta, tb] of combos) {
    it(`matches a float64 reference and tfjs-cpu within 1e-5 (transposeA=${ta}, transposeB=${tb})`, async () => {
      // Random odd shapes plus the ones that cross the packing blocks (KC 256, MC 128, NC 512).
      const shapes: [number, number, number][] = [
        [1, 1, 1],
        [3, 17, 255],
        [130, 520, 300],
      ];
      for (let t = 0; t < 10; t++) shapes.push([pick(), pick(), pick()]);
      for (const [m, n, k] of shapes) {
        const a = rng.normalArray(m * k);
        const b = rng.normalArray(k * n);
        const as = ta ? [k, m] : [m, k];
        const bs = tb ? [n, k] : [k, n];
        const f = () => tf.matMul(tf.tensor(a, as), tf.tensor(b, bs), ta, tb);
        const ours = await valuesOn('wasm', f);
        expectClose(ours, refMatMul(a, b, m, n, k, ta, tb), 1e-5, `${m}x${n}x${k} vs float64`);
        expectClose(ours, await valuesOn('cpu', f), 1e-5, `${m}x${n}x${k} vs cpu`);
      }
    });
  }

  it('broadcasts batch dimensions like numpy (and like tfjs-cpu where it agrees)', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[4, 5, 6], [4, 6, 7], false, false],
      [[2, 3, 5, 6], [3, 6, 7], false, false],
      [[1, 5, 6], [4, 7, 6], false, true],
      [[5, 6], [3, 6, 7], false, false],
      [[3, 6, 5], [6, 7], true, false],
      [[2, 3, 6, 5], [1, 3, 7, 6], true, true],
      [[6, 64, 17], [6, 64, 33], true, false],
    ];
    for (const [sa, sb, ta, tb] of cases) {
      const a = rng.normalArray(sa.reduce((x, y) => x * y, 1));
      const b = rng.normalArray(sb.reduce((x, y) => x * y, 1));
      const f = () => tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), ta, tb);
      expectClose(await valuesOn('wasm', f), await valuesOn('cpu', f), 1e-5, `${sa} x ${sb}`);
    }
  });

  it('broadcasts [2,1,M,K]·[1,3,K,N] per dimension (tfjs kernels index batch i as i % batchA)', async () => {
    const [m, k, n] = [3, 4, 5];
    const a = rng.normalArray(2 * m * k);
    const b = rng.normalArray(3 * k * n);
    await tf.setBackend('wasm');
    const out = tf.tidy(() => tf.matMul(tf.tensor(a, [2, 1, m, k]), tf.tensor(b, [1, 3, k, n])));
    expect(out.shape).toEqual([2, 3, m, n]);
    const got = out.dataSync();
    out.dispose();
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        const ref = refMatMul(a, b, m, n, k, false, false, i * m * k, j * k * n);
        const at = (i * 3 + j) * m * n;
        expectClose(got.slice(at, at + m * n), ref, 1e-5, `batch ${i},${j}`);
      }
    }
  });

  it('fuses bias and every tfjs activation like tfjs-cpu', async () => {
    const activations = [
      'linear',
      'relu',
      'relu6',
      'prelu',
      'leakyrelu',
      'sigmoid',
      'elu',
    ] as const;
    const [m, n, k] = [37, 45, 29];
    for (const activation of activations) {
      for (const [ta, tb] of combos) {
        for (const biasShape of [[n], [m, n], [1, n], null]) {
          const a = rng.normalArray(m * k);
          const b = rng.normalArray(k * n);
          const bias = biasShape && rng.normalArray(biasShape.reduce((x, y) => x * y, 1));
          const alpha = rng.normalArray(n).map((v) => Math.abs(v) * 0.3);
          const f = () =>
            tf.fused.matMul({
              a: tf.tensor(a, ta ? [k, m] : [m, k]),
              b: tf.tensor(b, tb ? [n, k] : [k, n]),
              transposeA: ta,
              transposeB: tb,
              bias: bias && biasShape ? tf.tensor(bias, biasShape) : undefined,
              activation,
              preluActivationWeights: activation === 'prelu' ? tf.tensor1d(alpha) : undefined,
              leakyreluAlpha: 0.3,
            });
          const label = `${activation} bias=${biasShape} ta=${ta} tb=${tb}`;
          expectClose(await valuesOn('wasm', f), await valuesOn('cpu', f), 1e-5, label);
        }
      }
    }
  });

  it('fuses over batches with rank-3 operands and prelu weights per row and column', async () => {
    const [bt, m, n, k] = [3, 9, 13, 11];
    const a = rng.normalArray(bt * m * k);
    const b = rng.normalArray(bt * k * n);
    const bias = rng.normalArray(n);
    const alpha = rng.normalArray(m * n).map((v) => Math.abs(v) * 0.2);
    const f = () =>
      tf.fused.matMul({
        a: tf.tensor(a, [bt, m, k]),
        b: tf.tensor(b, [bt, k, n]),
        bias: tf.tensor1d(bias),
        activation: 'prelu',
        preluActivationWeights: tf.tensor2d(alpha, [m, n]),
      });
    expectClose(await valuesOn('wasm', f), await valuesOn('cpu', f), 1e-5, 'batched prelu');
  });

  it('gives zeros for an empty inner dimension and empty outputs for empty outer ones', async () => {
    await tf.setBackend('wasm');
    const z = tf.tidy(() => tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 4])).dataSync());
    expect(Array.from(z)).toEqual(new Array(12).fill(0));
    const e = tf.matMul(tf.zeros([0, 5]), tf.zeros([5, 4]));
    expect(e.shape).toEqual([0, 4]);
    e.dispose();
  });
});
