import { disposeBackend, Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNEL_NAMES } from '../src/index.js';
import { expectClose, startKernels, valuesOn } from './helpers.js';

const rng = new Rng('kernels');
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const rand = (shape: number[]) => tf.tensor(rng.normalArray(size(shape)), shape);

/** The same op on cpu and on wasm with kd's kernels, compared within `rtol`. */
async function same(label: string, make: () => tf.Tensor, rtol = 1e-5): Promise<void> {
  expectClose(await valuesOn('wasm', make), await valuesOn('cpu', make), rtol, label);
}

describe('memory-bound kernels match tfjs-cpu', () => {
  beforeAll(async () => {
    const info = await startKernels(1);
    expect(info.kernels).toEqual(expect.arrayContaining([...KERNEL_NAMES]));
  });
  afterAll(() => disposeBackend());

  it('binary ops broadcast like numpy (every pattern the collapse handles, and rank 7)', async () => {
    const pairs: [number[], number[]][] = [
      [
        [5, 7],
        [5, 7],
      ],
      [[33, 17], [17]],
      [
        [4, 5],
        [4, 1],
      ],
      [
        [3, 1, 5],
        [4, 1],
      ],
      [[7], []],
      [[], [9]],
      [
        [2, 3, 4, 5],
        [3, 1, 5],
      ],
      [
        [1, 1, 6],
        [6, 1, 1],
      ],
      [
        [2, 1, 3, 1, 2, 1, 3],
        [1, 2, 3, 2, 1, 2, 3],
      ],
      [[0, 3], [3]],
    ];
    for (const [sa, sb] of pairs) {
      const a = rng.normalArray(size(sa));
      const b = rng.normalArray(size(sb)).map((v) => (Math.abs(v) < 0.05 ? 0 : v));
      for (const op of [tf.add, tf.sub, tf.mul, tf.div]) {
        await same(`${op.name} ${sa} ${sb}`, () => op(tf.tensor(a, sa), tf.tensor(b, sb)));
      }
    }
  });

  it('unary math agrees over the whole float range, nan and inf included', async () => {
    const special = [
      0,
      -0,
      1e-30,
      -1e-30,
      1e-4,
      -1e-4,
      0.5,
      -0.5,
      3,
      -3,
      10,
      -10,
      30,
      -30,
      88,
      89,
      -87,
      -104,
      -110,
      100,
      NaN,
      Infinity,
      -Infinity,
    ];
    const values = Float32Array.from([...special, ...rng.normalArray(1001).map((v) => v * 4)]);
    const ops: [string, (x: tf.Tensor) => tf.Tensor, number][] = [
      ['exp', tf.exp, 2e-7],
      // erf: tfjs-cpu evaluates its A&S formula (|error| 1.5e-7) in float64, kd in
      // float32: they agree to 4e-7 absolute, below the formula's own error scale.
      ['erf', tf.erf, 1e-6],
      ['sqrt', tf.sqrt, 1e-7],
      ['rsqrt', tf.rsqrt, 2e-7],
      ['square', tf.square, 1e-7],
      ['neg', tf.neg, 0],
    ];
    for (const [name, f, rtol] of ops) {
      // Relative per element (not to the tensor's max: exp spans 1e-45…1e38).
      const ours = await valuesOn('wasm', () => f(tf.tensor1d(values)));
      const ref = await valuesOn('cpu', () => f(tf.tensor1d(values)));
      for (let i = 0; i < values.length; i++) {
        const [a, e] = [ours[i]!, ref[i]!];
        if (name === 'erf' && Number.isFinite(e)) {
          expect(Math.abs(a - e), `erf(${values[i]}) = ${a}, cpu ${e}`).toBeLessThanOrEqual(
            4e-7 + rtol * Math.abs(e),
          );
        } else if (!Number.isFinite(e) || e === 0 || Math.abs(e) < 1e-37) {
          expect(
            Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)) || Math.abs(a - e) < 1e-37,
            `${name}(${values[i]}) = ${a}, cpu ${e}`,
          ).toBe(true);
        } else {
          expect(
            Math.abs(a - e) / Math.abs(e),
            `${name}(${values[i]}) = ${a}, cpu ${e}`,
          ).toBeLessThanOrEqual(rtol + 1e-12);
        }
      }
      for (const n of [1, 3, 5])
        await same(`${name} length ${n}`, () => f(tf.tensor1d(values.slice(30, 30 + n))), 1e-6);
    }
  });

  it('sum and mean reduce rows, columns and middle axes (others fall back), keepDims or not', async () => {
    const cases: [number[], number | number[]][] = [
      [[5, 7], 1],
      [[5, 7], 0],
      [[5, 7], -1],
      [[4, 5, 6], 1],
      [
        [4, 5, 6],
        [0, 1],
      ],
      [
        [4, 5, 6],
        [1, 2],
      ],
      [
        [4, 5, 6],
        [0, 2],
      ],
      [
        [1, 300, 9],
        [0, 1],
      ],
      [[2048, 3], 0],
      [
        [3, 1, 4],
        [0, 1, 2],
      ],
      [[0, 4], 0],
    ];
    for (const [shape, axis] of cases) {
      const x = rng.normalArray(size(shape));
      for (const keepDims of [false, true]) {
        await same(`sum ${shape} ${axis} ${keepDims}`, () =>
          tf.sum(tf.tensor(x, shape), axis, keepDims),
        );
        await same(`mean ${shape} ${axis} ${keepDims}`, () =>
          tf.mean(tf.tensor(x, shape), axis, keepDims),
        );
      }
    }
  });

  it('gathers rows on any axis, from float32 and int32 tensors', async () => {
    const x = rng.normalArray(6 * 5 * 4);
    const ids = [3, 0, 5, 5, 1, 2];
    await same('axis 0', () => tf.gather(tf.tensor(x, [6, 5, 4]), tf.tensor1d(ids, 'int32')));
    await same('axis 0, 2-D ids', () =>
      tf.gather(tf.tensor(x, [6, 5, 4]), tf.tensor2d(ids, [2, 3], 'int32')),
    );
    await same('axis 1', () =>
      tf.gather(tf.tensor(x, [6, 5, 4]), tf.tensor1d([4, 0, 2], 'int32'), 1),
    );
    await same('axis -1', () =>
      tf.gather(tf.tensor(x, [6, 5, 4]), tf.tensor1d([3, 3, 0], 'int32'), -1),
    );
    // batchDims: handed on (to @kd/core's wrapper of the stock kernel).
    await same('batchDims 1', () =>
      tf.gather(
        tf.tensor(x, [6, 5, 4]),
        tf.tensor2d([0, 4, 1, 1, 2, 3, 0, 0, 4, 3, 2, 1], [6, 2], 'int32'),
        1,
        1,
      ),
    );
    const ints = Int32Array.from({ length: 20 }, (_, i) => i * 7 - 40);
    await same('int32', () =>
      tf.gather(tf.tensor(ints, [5, 4], 'int32'), tf.tensor1d([4, 1], 'int32')).cast('float32'),
    );
  });

  it('sums segments, skipping ids outside [0, numSegments)', async () => {
    const x = rng.normalArray(7 * 6);
    const ids = [0, 3, 3, -1, 9, 1, 0];
    await same('2-D', () =>
      tf.unsortedSegmentSum(tf.tensor(x, [7, 6]), tf.tensor1d(ids, 'int32'), 5),
    );
    await same('3-D ids', () =>
      tf.unsortedSegmentSum(tf.tensor(x, [7, 2, 3]), tf.tensor1d(ids, 'int32'), 4),
    );
  });

  it('transposes keeping the last axis by rows, moving size-1 axes by sharing, others via stock', async () => {
    const cases: [number[], number[]][] = [
      [
        [2, 3, 4, 5],
        [0, 2, 1, 3],
      ],
      [
        [2, 3, 4, 5],
        [2, 0, 1, 3],
      ],
      [
        [3, 4],
        [1, 0],
      ],
      [
        [2, 1, 5],
        [1, 0, 2],
      ],
      [
        [4, 1, 1, 3],
        [0, 2, 1, 3],
      ],
      [
        [2, 3, 4],
        [1, 2, 0],
      ],
    ];
    for (const [shape, perm] of cases) {
      const x = rng.normalArray(size(shape));
      await same(`transpose ${shape} ${perm}`, () => tf.transpose(tf.tensor(x, shape), perm));
    }
  });

  it('shares data for identity and same-dtype casts, and the share outlives its source', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = rand([3, 4]);
    const values = Array.from(x.dataSync());
    const y = tf.clone(x);
    const z = tf.cast(x, 'float32');
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(values);
    expect(Array.from(z.dataSync())).toEqual(values);
    const f = tf.tensor1d([1.7, -2.5, 3]);
    const i = tf.cast(f, 'int32');
    expect(Array.from(i.dataSync())).toEqual([1, -2, 3]);
    tf.dispose([y, z, f, i]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
