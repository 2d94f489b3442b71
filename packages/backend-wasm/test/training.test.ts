import { defineEntry, definePlugin, disposeBackend, initBackend, Registry } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createParams,
  loss,
  makeBatch,
  type TinyBertConfig,
  trainStep,
} from '../bench/tiny-bert.mjs';
import { liveWorkers, WasmKernelProvider } from '../src/index.js';
import { expectClose, startKernels } from './helpers.js';

/** The bench's model at a size a test can afford (same code path, every kernel kind). */
const SMALL: TinyBertConfig = {
  vocab: 50,
  hidden: 16,
  layers: 2,
  heads: 2,
  ffn: 32,
  seq: 8,
  batch: 4,
  classes: 3,
};

function lossAndGrads(cfg: TinyBertConfig) {
  const params = createParams(cfg, 7);
  const batch = makeBatch(cfg, 3);
  const { value, grads } = tf.variableGrads(
    () => loss(params, batch.ids, batch.labels, cfg),
    Object.values(params),
  );
  const out = {
    loss: value.dataSync()[0]!,
    grads: Object.fromEntries(
      Object.entries(grads).map(([k, g]) => [k, Float32Array.from(g.dataSync())]),
    ) as Record<string, Float32Array>,
  };
  tf.dispose([value, ...Object.values(grads), ...Object.values(params), batch.ids, batch.labels]);
  return out;
}

describe('a tiny-BERT training step', () => {
  afterAll(() => disposeBackend());

  it.each([1, 2])(
    'gives tfjs-cpu loss and every gradient within 1e-5 (%i thread(s))',
    async (threads) => {
      await startKernels(threads, { minParallelFlops: 0 });
      await tf.setBackend('cpu');
      const ref = lossAndGrads(SMALL);
      await tf.setBackend('wasm');
      const ours = lossAndGrads(SMALL);
      expect(Math.abs(ours.loss - ref.loss) / Math.abs(ref.loss)).toBeLessThanOrEqual(1e-5);
      expect(Object.keys(ours.grads).sort()).toEqual(Object.keys(ref.grads).sort());
      expect(Object.keys(ref.grads)).toHaveLength(4 + 16 * SMALL.layers + 4);
      const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const scale = Math.max(...Object.values(ref.grads).map(maxAbs));
      for (const name of Object.keys(ref.grads)) {
        if (name.endsWith('attention.self.key.bias')) {
          // Softmax ignores a per-query shift of the scores, so this gradient is 0:
          // both backends return rounding noise, which must stay noise.
          expect(maxAbs(ours.grads[name]!)).toBeLessThan(1e-9 * scale);
          expect(maxAbs(ref.grads[name]!)).toBeLessThan(1e-9 * scale);
        } else {
          expectClose(ours.grads[name]!, ref.grads[name]!, 1e-5, name);
        }
      }
    },
  );

  it('runs 1,000 Adam steps with flat tensor count, tfjs heap and kernel memory', async () => {
    const cfg: TinyBertConfig = { ...SMALL, layers: 1, seq: 4, batch: 2 };
    // Every GEMM through the threaded pool (copies), everything else in tfjs' heap.
    const provider = new WasmKernelProvider({ minParallelFlops: 0 });
    const registry = Registry.isolated();
    registry.register(
      definePlugin({
        meta: { name: 'test', version: '0.0.0', apiVersion: '1.0.0' },
        provides: [
          defineEntry({
            kind: 'kernel',
            id: 'wasm-simd',
            description: 'test',
            options: z.object({}),
            create: () => provider,
          }),
        ],
      }),
    );
    await initBackend({ backend: 'wasm', threads: 2, registry });
    const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    const params = createParams(cfg, 1);
    const batch = makeBatch(cfg, 2);
    const optimizer = tf.train.adam(1e-2);
    const snapshot = () => ({
      tensors: tf.memory().numTensors,
      tfjsHeap: backend.wasm.HEAPU8.byteLength,
      kernelHeap: provider.heapBytes(),
    });
    const first = trainStep(params, optimizer, batch, cfg);
    for (let i = 0; i < 20; i++) trainStep(params, optimizer, batch, cfg);
    const warm = snapshot();
    let last = first;
    for (let i = 0; i < 1000; i++) last = trainStep(params, optimizer, batch, cfg);
    expect(snapshot()).toEqual(warm);
    expect(last).toBeLessThan(first * 0.5);
    expect(provider.stats().BatchMatMul!.threaded).toBeGreaterThan(1000);
    optimizer.dispose();
    tf.dispose([...Object.values(params), batch.ids, batch.labels]);
    await disposeBackend();
    expect(liveWorkers()).toBe(0);
  });
});
