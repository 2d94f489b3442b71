import { type BackendInfo, initBackend, Registry, type Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { pluginWith, type WasmKernelOptions } from '../src/index.js';

/**
 * Registers cpu (the reference) and then wasm with kd's kernels from an isolated
 * registry, so a test can flip between them with tf.setBackend without restarting
 * the kernel provider.
 */
export async function startKernels(
  threads: number,
  options: Partial<WasmKernelOptions> = {},
): Promise<BackendInfo> {
  await initBackend({ backend: 'cpu' });
  const registry = Registry.isolated();
  registry.register(pluginWith(options));
  return initBackend({ backend: 'wasm', threads, registry });
}

/** Runs `fn` with `backend` active and returns its tensor's values. */
export async function valuesOn(
  backend: 'cpu' | 'wasm',
  fn: () => tf.Tensor,
): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => fn().dataSync() as Float32Array);
}

export function randomArray(rng: Rng, n: number): Float32Array {
  return rng.normalArray(n);
}

/**
 * |actual − expected| ≤ rtol · max|expected| elementwise (norm-relative, so results
 * near zero from cancellation are judged against the tensor's scale); non-finite
 * values (NaN, ±inf) must match exactly.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = 1e-5,
  label = '',
): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (Number.isFinite(e)) scale = Math.max(scale, Math.abs(e));
  }
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) {
        throw new Error(`${label}: at ${i} got ${a}, expected ${e}`);
      }
      continue;
    }
    const d = Math.abs(a - e);
    if (d > worst) {
      worst = d;
      at = i;
    }
  }
  const tol = rtol * Math.max(scale, 1e-30);
  expect(
    worst,
    `${label}: max |diff| ${worst} at ${at} (scale ${scale}, tol ${tol})`,
  ).toBeLessThanOrEqual(tol);
}
