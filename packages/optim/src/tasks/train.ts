import {
  AbortedError,
  NumericError,
  type ProgressStage,
  Rng,
  type RngState,
  type StoredTensor,
  toStoredTensor,
} from '@kd/core';
import { collate, DataLoader, type SamplerState, type SquadFeature } from '@kd/data';
import {
  BertForQuestionAnswering,
  BertForSequenceClassification,
  crossEntropy,
  dropoutState,
  type Module,
  setDropoutState,
} from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { createOptimizer } from '../entries.js';
import type { Optimizer, OptimizerStateData } from '../optimizer.js';
import type { TaskData } from './data.js';
import { evaluate } from './evaluate.js';
import type { Arm, ModelConfig } from './options.js';

/** Everything one training run needs; arms of one comparison differ only in `arm` and `lr`. */
export interface RunSpec {
  key: string;
  data: TaskData;
  arm: Arm;
  /** The peak learning rate this run uses (the arm's, or the sweep's candidate). */
  lr: number;
  seed: number;
  steps: number;
  batchSize: number;
  model: ModelConfig;
  warmupFraction: number;
  clipGradNorm: number;
  evalBatchSize: number;
  checkpointEvery: number;
}

/** Where a stopped run was: stored in the comparison's checkpoint. */
export interface RunProgress {
  key: string;
  step: number;
  sampler: SamplerState;
  dropout: Record<string, RngState>;
  losses: number[];
  trainSeconds: number;
}

export interface RunResult {
  key: string;
  task: string;
  arm: string;
  optimizer: string;
  lr: number;
  seed: number;
  steps: number;
  /** Metrics on the evaluation split, as fractions (accuracy, f1, exact_match, pearson, spearman). */
  metrics: Record<string, number>;
  /** Training loss of every step (NaN-free: a run stops at its first non-finite loss). */
  losses: number[];
  /** Seconds spent in training steps (evaluation excluded), summed over resumes. */
  trainSeconds: number;
  /** The run stopped on a non-finite loss or gradient at this step. */
  divergedAt?: number;
  /** FNV-1a of the initial weights' bytes: equal for every arm of a seed. */
  initHash: string;
  /** FNV-1a of the batch order (example indices of every step): equal for every arm of a seed. */
  orderHash: string;
}

export interface RunHooks {
  /** Called with the freshly initialised (or restored) parameters before the first step. */
  onInit?(key: string, params: Readonly<Record<string, tf.Variable>>): void;
  /** The dataset indices of each step's batch. */
  onBatch?(key: string, step: number, indices: Int32Array): void;
}

export interface RunIo {
  resume?: {
    progress: RunProgress;
    params: Record<string, StoredTensor>;
    optimizer?: OptimizerStateData;
  };
  /** Persists a mid-run state (called every `checkpointEvery` steps and when stopped). */
  save(state: {
    progress: RunProgress;
    params: Record<string, StoredTensor>;
    optimizer: OptimizerStateData;
  }): Promise<void>;
  signal: AbortSignal;
  stage: ProgressStage;
  hooks?: RunHooks;
}

/** FNV-1a over bytes, as 8 hex digits. */
export class Fnv {
  #h = 0x811c9dc5;
  bytes(b: Uint8Array): this {
    let h = this.#h;
    for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
    this.#h = h;
    return this;
  }
  ints(a: Int32Array): this {
    return this.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  hex(): string {
    return (this.#h >>> 0).toString(16).padStart(8, '0');
  }
}

/** The model of a task: a sequence classifier (1 output for STS-B regression) or a span head. */
export function createModel(data: TaskData, model: ModelConfig, seed: number): Module {
  const config = {
    vocabSize: data.vocab.size,
    hiddenSize: model.hiddenSize,
    numHiddenLayers: model.numHiddenLayers,
    numAttentionHeads: model.numAttentionHeads,
    intermediateSize: model.intermediateSize,
    hiddenDropoutProb: model.hiddenDropoutProb,
    attentionProbsDropoutProb: model.attentionProbsDropoutProb,
    maxPositionEmbeddings: 512,
    padTokenId: data.vocab.special.pad,
  };
  // One stream per (task, seed): every arm of a seed starts from the same weights.
  const rng = new Rng(`optim-compare:init:${data.task}:${seed}`);
  return data.kind === 'span'
    ? new BertForQuestionAnswering(config, { rng })
    : new BertForSequenceClassification(
        { ...config, numLabels: data.kind === 'regression' ? 1 : data.numLabels },
        { rng },
      );
}

interface Batch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  batchSize: number;
  seqLen: number;
  /** Class ids / scores, or start and end positions for spans. */
  labels: Int32Array | Float32Array;
  ends?: Int32Array;
  indices: Int32Array;
}

/** The batches of a run: seeded per (task, seed), so every arm sees the same order. */
function loaderFor(data: TaskData, batchSize: number, seed: number): DataLoader<unknown, Batch> {
  const rng = new Rng(`optim-compare:data:${data.task}:${seed}`);
  if (data.kind === 'span') {
    return new DataLoader(data.train, {
      batchSize,
      rng,
      lengthOf: (f) => f.attentionMask.reduce((s, v) => s + v, 0),
      collate: (items, indices) => spanBatch(items, indices),
    }) as DataLoader<unknown, Batch>;
  }
  return new DataLoader(data.train, {
    batchSize,
    rng,
    lengthOf: (e) => e.ids.length,
    collate: (items, indices) =>
      collate(items, indices, {
        padId: data.vocab.special.pad,
        regression: data.kind === 'regression',
      }),
  }) as DataLoader<unknown, Batch>;
}

/** SQuAD windows cut to the longest real row of the batch (padding beyond it changes nothing). */
function spanBatch(items: readonly SquadFeature[], indices: Int32Array): Batch {
  const rows = Array.from(indices, (i) => items[i]);
  const seqLen = rows.reduce(
    (m, f) =>
      Math.max(
        m,
        f.attentionMask.reduce((s, v) => s + v, 0),
      ),
    1,
  );
  const n = rows.length;
  const inputIds = new Int32Array(n * seqLen);
  const attentionMask = new Int32Array(n * seqLen);
  const tokenTypeIds = new Int32Array(n * seqLen);
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  rows.forEach((f, b) => {
    inputIds.set(f.inputIds.subarray(0, seqLen), b * seqLen);
    attentionMask.set(f.attentionMask.subarray(0, seqLen), b * seqLen);
    tokenTypeIds.set(f.tokenTypeIds.subarray(0, seqLen), b * seqLen);
    starts[b] = f.startPosition;
    ends[b] = f.endPosition;
  });
  return {
    inputIds,
    attentionMask,
    tokenTypeIds,
    batchSize: n,
    seqLen,
    labels: starts,
    ends,
    indices,
  };
}

/** Mean loss of a batch: cross-entropy, MSE for STS-B, or the mean of start and end cross-entropy. */
function batchLoss(model: Module, data: TaskData, b: Batch): tf.Scalar {
  const shape: [number, number] = [b.batchSize, b.seqLen];
  const inputs = {
    inputIds: tf.tensor2d(b.inputIds, shape, 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(b.tokenTypeIds, shape, 'int32'),
  };
  if (data.kind === 'span') {
    const { startLogits, endLogits } = (model as BertForQuestionAnswering).forward(inputs);
    const s = crossEntropy(startLogits, tf.tensor1d(b.labels as Int32Array, 'int32'));
    const e = crossEntropy(endLogits, tf.tensor1d(b.ends as Int32Array, 'int32'));
    return tf.div(tf.add(s, e), 2) as tf.Scalar;
  }
  const { logits } = (model as BertForSequenceClassification).forward(inputs);
  if (data.kind === 'regression') {
    return tf.losses.meanSquaredError(
      tf.tensor1d(b.labels as Float32Array),
      logits.reshape([-1]),
    ) as tf.Scalar;
  }
  return crossEntropy(logits, tf.tensor1d(b.labels as Int32Array, 'int32'));
}

/**
 * The optimiser of an arm at a given peak rate: the arm's own options, the
 * shared gradient clipping and, unless the arm opts out, warmup followed by
 * linear decay to zero over the run (HF `get_linear_schedule_with_warmup`).
 * Schedule-free AdamW gets the same warmup through its `warmupSteps` and no
 * decay (the point of the method).
 */
export function armOptimizer(
  spec: Pick<RunSpec, 'arm' | 'lr' | 'steps' | 'warmupFraction' | 'clipGradNorm'>,
): Optimizer {
  const { arm } = spec;
  const options: Record<string, unknown> = { ...arm.options, lr: spec.lr };
  if (spec.clipGradNorm > 0 && options.clipGradNorm === undefined)
    options.clipGradNorm = spec.clipGradNorm;
  if (arm.id === 'schedule-free-adamw') {
    // Schedule-free replaces the decay schedule; it keeps the shared warmup through its own option.
    if (arm.schedule && options.warmupSteps === undefined) {
      options.warmupSteps = Math.round(spec.warmupFraction * spec.steps);
    }
  } else if (arm.schedule) {
    options.schedule = {
      id: 'warmup-linear',
      options: {
        warmupSteps: Math.round(spec.warmupFraction * spec.steps),
        totalSteps: spec.steps,
      },
    };
  }
  return createOptimizer(arm.id, options);
}

function storedParams(model: Module): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  for (const [k, p] of model.namedParameters()) out[k] = toStoredTensor(p);
  return out;
}

function hashParams(model: Module): string {
  const h = new Fnv();
  for (const [, p] of model.namedParameters()) {
    const d = p.dataSync() as Float32Array;
    h.bytes(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return h.hex();
}

/**
 * Trains one arm on one task for one seed and evaluates it. Resumable: with
 * `io.resume` it restores parameters, optimiser state, the sampler position,
 * dropout streams and the loss history, and continues exactly where the
 * stopped run was.
 */
export async function trainRun(spec: RunSpec, io: RunIo): Promise<RunResult> {
  const model = createModel(spec.data, spec.model, spec.seed);
  const initHash = hashParams(model);
  const optimizer = armOptimizer(spec);
  const loader = loaderFor(spec.data, spec.batchSize, spec.seed);
  const order = new Fnv();
  // The batch order is a pure function of (task, seed): hash all of it up front.
  const probe = loaderFor(spec.data, spec.batchSize, spec.seed).sampler;
  for (let s = 0; s < spec.steps; s++) order.ints(probe.next().indices);
  const params = model.trainableParameters() as Record<string, tf.Variable>;
  let losses: number[] = [];
  let trainSeconds = 0;
  let start = 0;
  let divergedAt: number | undefined;
  try {
    if (io.resume) {
      model.loadStateDict(io.resume.params);
      setDropoutState(model, io.resume.progress.dropout);
      loader.setState(io.resume.progress.sampler);
      if (io.resume.optimizer) optimizer.importState(io.resume.optimizer, { params });
      losses = [...io.resume.progress.losses];
      trainSeconds = io.resume.progress.trainSeconds;
      start = io.resume.progress.step;
      io.stage.tick(start);
    }
    io.hooks?.onInit?.(spec.key, params);
    const snapshot = async (step: number) =>
      io.save({
        progress: {
          key: spec.key,
          step,
          sampler: loader.state(),
          dropout: dropoutState(model),
          losses: [...losses],
          trainSeconds,
        },
        params: storedParams(model),
        optimizer: await optimizer.exportState(),
      });
    model.train();
    const names = Object.keys(params);
    for (let step = start; step < spec.steps; step++) {
      if (io.signal.aborted) {
        await snapshot(step);
        throw new AbortedError(`${spec.key} stopped at step ${step}; checkpoint saved`);
      }
      const { batch } = loader.next();
      io.hooks?.onBatch?.(spec.key, step, batch.indices);
      const t0 = performance.now();
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => batchLoss(model, spec.data, batch),
          Object.values(params),
        );
        const byName: Record<string, tf.Tensor> = {};
        for (const n of names) if (grads[params[n].name]) byName[n] = grads[params[n].name];
        const v = value.dataSync()[0];
        if (!Number.isFinite(v)) return v;
        optimizer.step(params, byName);
        return v;
      });
      trainSeconds += (performance.now() - t0) / 1000;
      if (!Number.isFinite(loss)) {
        divergedAt = step;
        break;
      }
      losses.push(loss);
      io.stage.tick(1, { loss: Number(loss.toFixed(4)), lr: optimizer.lr ?? spec.lr });
      const done = step + 1;
      if (done % spec.checkpointEvery === 0 && done < spec.steps) await snapshot(done);
    }
  } catch (error) {
    // A non-finite gradient (finite loss) is divergence too: record it, do not stop the comparison.
    if (!(error instanceof NumericError)) {
      tf.dispose(model.parameters());
      optimizer.dispose();
      throw error;
    }
    divergedAt = losses.length;
  }
  io.stage.done();
  try {
    model.eval();
    const metrics =
      divergedAt === undefined
        ? optimizer.withEvalParams(params, () => evaluate(model, spec.data, spec.evalBatchSize))
        : {};
    const result: RunResult = {
      key: spec.key,
      task: spec.data.task,
      arm: spec.arm.name ?? spec.arm.id,
      optimizer: spec.arm.id,
      lr: spec.lr,
      seed: spec.seed,
      steps: spec.steps,
      metrics,
      losses,
      trainSeconds,
      initHash,
      orderHash: order.hex(),
    };
    if (divergedAt !== undefined) result.divergedAt = divergedAt;
    return result;
  } finally {
    tf.dispose(model.parameters());
    optimizer.dispose();
  }
}
