import { type BackendName, initBackend, Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { Optimizer } from '../src/index.js';
import type { GradientTransformation } from '../src/types.js';

/** Parameter names and shapes used by the parity tests (dotted, as @kd/nn names them). */
export const SHAPES: Record<string, number[]> = {
  'encoder.layer.0.attention.self.query.weight': [3, 4],
  'encoder.layer.0.attention.self.query.bias': [4],
  'classifier.weight': [2, 3],
};

export const BACKENDS: BackendName[] = ['cpu', 'wasm'];

export async function useBackend(backend: BackendName): Promise<void> {
  await initBackend({ backend, threads: 1 });
}

export interface Fixture {
  names: string[];
  init: Record<string, Float32Array>;
  /** grads[t][name], float32 values (what both sides see). */
  grads: Record<string, Float32Array>[];
}

/** Initial weights and a gradient sequence whose scale varies from step to step. */
export function fixture(steps: number, seed = 0, shapes = SHAPES): Fixture {
  const rng = new Rng(seed);
  const names = Object.keys(shapes);
  const size = (n: string) => shapes[n].reduce((a, b) => a * b, 1);
  const init = Object.fromEntries(names.map((n) => [n, rng.normalArray(size(n))]));
  const grads = Array.from({ length: steps }, (_, t) => {
    const scale = 1 + 0.5 * Math.sin(t);
    return Object.fromEntries(
      names.map((n) => [n, rng.normalArray(size(n)).map((x) => x * scale)]),
    );
  });
  return { names, init, grads };
}

let uid = 0;

export function variables(f: Fixture, shapes = SHAPES): Record<string, tf.Variable> {
  // Variables get unique tf names; the optimizer keys its state by the record's (dotted) keys.
  return tf.tidy(() =>
    Object.fromEntries(
      f.names.map((n) => [n, tf.variable(tf.tensor(f.init[n], shapes[n]), true, `${n}#${uid++}`)]),
    ),
  ) as Record<string, tf.Variable>;
}

/** Runs the optimizer over the fixture; returns the parameters after every step. */
export function runKd(
  opt: Optimizer,
  f: Fixture,
  shapes = SHAPES,
  params = variables(f, shapes),
): Float64Array[][] {
  const out: Float64Array[][] = [];
  for (const g of f.grads) {
    const grads = Object.fromEntries(f.names.map((n) => [n, tf.tensor(g[n], shapes[n])]));
    opt.step(params, grads);
    tf.dispose(Object.values(grads));
    out.push(f.names.map((n) => Float64Array.from(params[n].dataSync())));
  }
  tf.dispose(Object.values(params));
  return out;
}

export interface Stepper {
  step(params: Float64Array[], grads: Float64Array[]): void;
}

/** The same trajectory from a float64 reference. */
export function runReference(ref: Stepper, f: Fixture): Float64Array[][] {
  const params = f.names.map((n) => Float64Array.from(f.init[n]));
  const out: Float64Array[][] = [];
  for (const g of f.grads) {
    ref.step(
      params,
      f.names.map((n) => Float64Array.from(g[n])),
    );
    out.push(params.map((p) => Float64Array.from(p)));
  }
  return out;
}

/** max |a − b| / max |b| over all parameters (norm-wise relative error, ∞-norm). */
export function relativeError(a: Float64Array[], b: Float64Array[]): number {
  let num = 0;
  let den = 0;
  a.forEach((x, i) => {
    for (let j = 0; j < x.length; j++) {
      num = Math.max(num, Math.abs(x[j] - b[i][j]));
      den = Math.max(den, Math.abs(b[i][j]));
    }
  });
  return num / den;
}

/** The largest per-step relative error between two trajectories. */
export function worstError(
  a: Float64Array[][],
  b: Float64Array[][],
): { error: number; step: number } {
  let worst = { error: 0, step: -1 };
  a.forEach((x, t) => {
    const e = relativeError(x, b[t]);
    if (!(e <= worst.error)) worst = { error: e, step: t };
  });
  return worst;
}

/**
 * Runs a transform and a float64 reference over the same `steps` gradients
 * and expects the trajectories to agree to `tolerance` at every step;
 * returns both trajectories.
 */
export function expectParity(
  kd: () => GradientTransformation,
  ref: () => Stepper,
  { steps, seed, tolerance }: { steps: number; seed: number; tolerance: number },
): { got: Float64Array[][]; want: Float64Array[][] } {
  const f = fixture(steps, seed);
  const opt = new Optimizer(kd());
  const got = runKd(opt, f);
  opt.dispose();
  const want = runReference(ref(), f);
  const { error, step } = worstError(got, want);
  expect(error, `worst relative error ${error} at step ${step}`).toBeLessThanOrEqual(tolerance);
  return { got, want };
}
