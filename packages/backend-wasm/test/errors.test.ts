import { disposeBackend, initBackend, Registry } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { plugin } from '../src/index.js';

type Outcome = { error: string } | { shape: number[]; values: number[] };

function outcome(f: () => tf.Tensor): Outcome {
  try {
    const t = tf.tidy(f);
    const out = { shape: t.shape, values: Array.from(t.dataSync()) };
    t.dispose();
    return out;
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const f32 = (shape: number[]) => tf.ones(shape);
const i32 = (shape: number[]) => tf.ones(shape, 'int32');
const run = (name: string, inputs: () => tf.NamedTensorMap, attrs: object) => () =>
  tf.engine().runKernel(name, inputs(), attrs as tf.NamedAttrMap) as tf.Tensor;

/** Inputs each kd kernel declines: tfjs-wasm's own error (or result) must come out. */
const cases: [string, () => tf.Tensor][] = [
  ['matMul inner mismatch', () => tf.matMul(f32([2, 3]), f32([4, 5]))],
  ['matMul transposed mismatch', () => tf.matMul(f32([2, 3]), f32([2, 5]), false, true)],
  ['matMul batch mismatch', () => tf.matMul(f32([2, 3, 4]), f32([3, 4, 5]))],
  ['matMul int32', () => tf.matMul(i32([2, 3]), i32([3, 4]))],
  [
    'matMul rank 1',
    run('BatchMatMul', () => ({ a: f32([3]), b: f32([3]) }), {
      transposeA: false,
      transposeB: false,
    }),
  ],
  [
    'fused unknown activation',
    run('_FusedMatMul', () => ({ a: f32([1, 2, 3]), b: f32([1, 3, 4]) }), { activation: 'gelu' }),
  ],
  [
    'fused bias not broadcastable',
    run('_FusedMatMul', () => ({ a: f32([1, 2, 3]), b: f32([1, 3, 4]), bias: f32([3, 4]) }), {
      activation: 'linear',
    }),
  ],
  [
    'fused prelu without weights',
    run('_FusedMatMul', () => ({ a: f32([1, 2, 3]), b: f32([1, 3, 4]) }), { activation: 'prelu' }),
  ],
  ['add shape mismatch', run('Add', () => ({ a: f32([2, 3]), b: f32([4]) }), {})],
  ['add int32', () => tf.add(i32([2, 3]), i32([3]))],
  ['exp int32', run('Exp', () => ({ x: i32([4]) }), {})],
  ['sum int32', () => tf.sum(i32([3, 4]), 0)],
  ['sum bad axis', run('Sum', () => ({ x: f32([3, 4]) }), { axis: [2], keepDims: false })],
  ['gather out of range', () => tf.gather(f32([4, 2]), tf.tensor1d([1, 4], 'int32'))],
  ['gather negative index', () => tf.gather(f32([4, 2]), tf.tensor1d([-1], 'int32'))],
  [
    'gather bool',
    () => tf.gather(tf.ones([3, 2], 'bool'), tf.tensor1d([2, 0], 'int32')).cast('float32'),
  ],
  ['transpose bool', () => tf.transpose(tf.ones([2, 3], 'bool')).cast('float32')],
  ['cast to bool', () => tf.cast(tf.tensor1d([0, 2, -1]), 'bool').cast('float32')],
];

describe('bad input', () => {
  afterAll(() => disposeBackend());

  it('gets exactly tfjs-wasm’s error (or result) from every kd kernel, and the kernels keep working', async () => {
    await initBackend({ backend: 'wasm', registry: Registry.isolated() });
    const stock = cases.map(([, f]) => outcome(f));
    const registry = Registry.isolated();
    registry.register(plugin);
    const info = await initBackend({ backend: 'wasm', threads: 2, registry });
    expect(info.kernels).toContain('BatchMatMul');
    const before = tf.memory().numTensors;
    for (const [i, [label, f]] of cases.entries()) {
      expect(outcome(f), label).toEqual(stock[i]);
    }
    expect(stock.filter((o) => 'error' in o).length).toBeGreaterThanOrEqual(10);
    expect(tf.memory().numTensors).toBe(before);
    const c = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]));
    expect(c.dataSync()[4095]).toBe(64);
    c.dispose();
  });
});
