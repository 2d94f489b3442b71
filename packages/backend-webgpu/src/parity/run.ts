import { Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import type { ParityCase } from './cases.js';

/** One output of a case on one backend, as plain numbers (crosses page.evaluate). */
export interface ParityOutput {
  /** `out0`, `out1`, … for forward outputs; `d/<input>` for gradients. */
  name: string;
  shape: number[];
  dtype: string;
  values: number[];
}

export interface ParityCaseResult {
  case: string;
  outputs: ParityOutput[];
  /** Wall time of the case in ms (shader compilation included on first use). */
  ms: number;
  /** Set when the backend threw (a missing kernel, a shader that failed to compile). */
  error?: string;
}

export interface ParityRun {
  backend: string;
  results: ParityCaseResult[];
  /** Wall time of the whole run in ms (shader compilation included). */
  ms: number;
}

function now(): number {
  return (globalThis as { performance?: { now(): number } }).performance?.now() ?? Date.now();
}

function isFloat(t: tf.Tensor): boolean {
  return t.dtype === 'float32';
}

async function read(name: string, t: tf.Tensor): Promise<ParityOutput> {
  // Async reads: WebGPU in Node cannot read synchronously.
  const data = await t.data();
  return {
    name,
    shape: t.shape.slice(),
    dtype: t.dtype,
    values: Array.from(data as ArrayLike<number>),
  };
}

/**
 * Runs one case on the current backend: its forward outputs, then the gradient of
 * Σₖ Σ(outₖ ⊙ wₖ) with respect to each differentiable input, where the wₖ are fixed
 * random weights (so every output element gets a distinct upstream gradient).
 */
export async function runParityCase(c: ParityCase, gradients = true): Promise<ParityCaseResult> {
  const kept: tf.Tensor[] = [];
  const start = now();
  try {
    const inputs = c.inputs.map((i) => tf.tensor(i.data, i.shape, i.dtype));
    kept.push(...inputs);
    const asList = (y: tf.Tensor | tf.Tensor[]) => (Array.isArray(y) ? y : [y]);
    const forward = tf.tidy(() => asList(c.f(...inputs)));
    kept.push(...forward);
    const outputs = await Promise.all(forward.map((t, k) => read(`out${k}`, t)));

    const diff = c.inputs.flatMap((input, i) => (input.grad ? [i] : []));
    const floatOutputs = forward.flatMap((t, k) => (isFloat(t) ? [k] : []));
    if (gradients && diff.length > 0 && floatOutputs.length > 0) {
      const rng = new Rng(0).fork(`dy:${c.name}`);
      const weights = new Map(
        floatOutputs.map((k) => [k, tf.tensor(rng.normalArray(forward[k].size), forward[k].shape)]),
      );
      kept.push(...weights.values());
      const loss = lossOf(c, inputs, diff, weights);
      const grads = tf.tidy(() => tf.grads(loss)(diff.map((i) => inputs[i])));
      kept.push(...grads);
      const read_ = await Promise.all(grads.map((g, j) => read(`d/${c.inputs[diff[j]].name}`, g)));
      outputs.push(...read_);
    }
    return { case: c.name, outputs, ms: now() - start };
  } catch (error) {
    return {
      case: c.name,
      outputs: [],
      ms: now() - start,
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    tf.dispose(kept);
  }
}

function lossOf(
  c: ParityCase,
  inputs: tf.Tensor[],
  diff: number[],
  weights: Map<number, tf.Tensor>,
) {
  return (...xs: tf.Tensor[]) => {
    const args = inputs.slice();
    diff.forEach((i, j) => {
      args[i] = xs[j];
    });
    const ys = c.f(...args);
    const list = Array.isArray(ys) ? ys : [ys];
    return tf.addN([...weights].map(([k, w]) => tf.sum(tf.mul(list[k], w)))) as tf.Scalar;
  };
}

/**
 * tfjs-webgpu's compile-only mode: every case's forward and backward ops are
 * dispatched with `WEBGPU_ENGINE_COMPILE_ONLY` set, which creates their pipelines
 * with createComputePipelineAsync (compiled concurrently by the browser) and runs
 * nothing, then waits for all of them. On SwiftShader, where compiling a matmul
 * shader takes seconds, this roughly halves the suite's time on two cores.
 */
async function precompile(cases: ParityCase[], gradients: boolean): Promise<void> {
  const backend = tf.backend() as unknown as { checkCompileCompletionAsync?: () => Promise<void> };
  if (typeof backend.checkCompileCompletionAsync !== 'function') return;
  tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
  try {
    for (const c of cases) {
      tf.tidy(() => {
        try {
          const inputs = c.inputs.map((i) => tf.tensor(i.data, i.shape, i.dtype));
          const ys = c.f(...inputs);
          const list = Array.isArray(ys) ? ys : [ys];
          const diff = c.inputs.flatMap((input, i) => (input.grad ? [i] : []));
          const weights = new Map<number, tf.Tensor>();
          list.forEach((y, k) => {
            if (isFloat(y)) weights.set(k, tf.onesLike(y));
          });
          if (gradients && diff.length > 0 && weights.size > 0) {
            tf.grads(lossOf(c, inputs, diff, weights))(diff.map((i) => inputs[i]));
          }
        } catch {
          // The real run reports the error.
        }
      });
    }
  } finally {
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
  }
  await backend.checkCompileCompletionAsync();
}

export interface RunParityOptions {
  /** Run only the cases with these names. */
  only?: readonly string[];
  /** Compile every pipeline first, concurrently (WebGPU only; default true). */
  precompile?: boolean;
  /** Compute gradients too (default true). */
  gradients?: boolean;
}

/** Runs the cases on the current tfjs backend. */
export async function runParity(
  cases: ParityCase[],
  options: RunParityOptions = {},
): Promise<ParityRun> {
  const start = now();
  const chosen = options.only ? cases.filter((c) => options.only?.includes(c.name)) : cases;
  const gradients = options.gradients ?? true;
  if ((options.precompile ?? true) && tf.getBackend()?.includes('webgpu')) {
    await precompile(chosen, gradients);
  }
  const results: ParityCaseResult[] = [];
  for (const c of chosen) results.push(await runParityCase(c, gradients));
  return { backend: tf.getBackend(), results, ms: now() - start };
}
