// What the benchmark page measures on the current backend. DOM-free: the bench
// worker runs it, and so can Node.
import { Rng } from '@kd/core';
import { loadPlanetoid, loadStories260K } from '@kd/data';
import { GCN, planetoidData, trainNodeClassifier } from '@kd/graph';
import { crossEntropy, loadLlama2c } from '@kd/nn';
import { createOptimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface MatmulTiming {
  n: number;
  /** Median milliseconds of one product, the read-back of the result included. */
  ms: number;
  gflops: number;
  repeats: number;
}

/**
 * n×n·n×n on the current backend: one warm-up (WebGPU compiles its shader
 * there), then `repeats` timed products, each awaited through `data()` so
 * asynchronous backends are timed to completion.
 */
export async function timeMatmul(n: number, repeats: number): Promise<MatmulTiming> {
  const rng = new Rng(n);
  const a = tf.tensor2d(rng.normalArray(n * n), [n, n]);
  const b = tf.tensor2d(rng.normalArray(n * n), [n, n]);
  const once = async () => {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    const ms = performance.now() - t0;
    c.dispose();
    return ms;
  };
  try {
    await once();
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) times.push(await once());
    const ms = median(times);
    return { n, ms, gflops: (2 * n ** 3) / (ms * 1e6), repeats };
  } finally {
    tf.dispose([a, b]);
  }
}

export interface StepTiming {
  /** `stories260k` or `cora-gcn`. */
  id: string;
  label: string;
  /** Median milliseconds of one training step after the warm-up steps. */
  ms: number;
  steps: number;
  /** The loss after the last step (a sanity check that training happened). */
  loss: number;
}

/**
 * One AdamW step of Karpathy's stories260K Llama (all 260K weights trained),
 * batch × length tokens of its own vocabulary, loss read back each step.
 */
export async function timeStoriesStep(
  steps: number,
  options: { batch?: number; length?: number; warmup?: number } = {},
): Promise<StepTiming> {
  const batch = options.batch ?? 4;
  const length = options.length ?? 64;
  const warmup = options.warmup ?? 1;
  const { legacy } = await loadStories260K();
  const model = loadLlama2c(legacy);
  model.train();
  const params = model.trainableParameters();
  const optimizer = createOptimizer('adamw', { lr: 1e-3, weightDecay: 0 });
  const rng = new Rng(7);
  const vocab = 512;
  try {
    const times: number[] = [];
    let loss = Number.NaN;
    for (let s = 0; s < warmup + steps; s++) {
      const ids = Int32Array.from({ length: batch * (length + 1) }, () => 3 + rng.int(vocab - 3));
      const t0 = performance.now();
      loss = tf.tidy(() => {
        const all = tf.tensor2d(ids, [batch, length + 1], 'int32');
        const inputs = tf.slice(all, [0, 0], [batch, length]);
        const targets = tf.slice(all, [0, 1], [batch, length]);
        const { value, grads } = tf.variableGrads(
          () => crossEntropy(model.forward({ inputIds: inputs }).logits, targets),
          Object.values(params),
        );
        const byName: Record<string, tf.Tensor> = {};
        for (const [name, p] of Object.entries(params))
          if (grads[p.name]) byName[name] = grads[p.name];
        optimizer.step(params, byName);
        return value.dataSync()[0];
      });
      if (s >= warmup) times.push(performance.now() - t0);
    }
    return {
      id: 'stories260k',
      label: `stories260K train step (batch ${batch} × ${length} tokens, AdamW)`,
      ms: median(times),
      steps,
      loss,
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** One full-batch epoch of a two-layer GCN on Cora (train step and an evaluation pass). */
export async function timeGcnEpoch(epochs: number, warmup = 1): Promise<StepTiming> {
  const data = planetoidData(await loadPlanetoid('cora'));
  const model = new GCN(
    { inChannels: data.x.shape[1], hiddenChannels: 16, outChannels: data.numClasses, dropout: 0.5 },
    new Rng(0),
  );
  try {
    const res = trainNodeClassifier(model, data, {
      epochs: epochs + warmup,
      optimizer: { name: 'adam', lr: 0.01, weightDecay: 5e-4 },
    });
    return {
      id: 'cora-gcn',
      label: 'Cora GCN epoch (2 layers, 16 hidden: train step + evaluation)',
      ms: median(res.history.slice(warmup).map((h) => h.ms)),
      steps: epochs,
      loss: res.final.trainLoss,
    };
  } finally {
    model.dispose();
  }
}
