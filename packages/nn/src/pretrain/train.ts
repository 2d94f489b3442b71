import {
  AbortedError,
  type CheckpointState,
  type CheckpointStore,
  type Progress,
  Rng,
  type StoredTensor,
  silentProgress,
  toStoredTensor,
  ValidationError,
} from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { dropoutState, setDropoutState } from '../layers/dropout.js';
import type { Module, Parameter } from '../module.js';
import { causalLmLoss, maskedLmLoss } from './losses.js';
import { type MaskingOptions, maskTokens } from './masking.js';

/** One batch of token ids (equal-length rows). */
export interface LmBatch {
  inputIds: number[][];
  attentionMask?: number[][];
  tokenTypeIds?: number[][];
}

/**
 * An optimizer that steps named parameters (kd's @kd/optim style): `step`
 * gets the trainable variables and their gradients by dotted name. The
 * optional state hooks let checkpoints resume it exactly.
 */
export interface StepOptimizer {
  step(params: Record<string, Parameter>, grads: Record<string, tf.Tensor>): void | Promise<void>;
  saveState?():
    | { tensors: Record<string, StoredTensor>; scalars: Record<string, unknown> }
    | Promise<{ tensors: Record<string, StoredTensor>; scalars: Record<string, unknown> }>;
  loadState?(state: {
    tensors: Record<string, StoredTensor>;
    scalars: Record<string, unknown>;
  }): void | Promise<void>;
}

/** A `StepOptimizer` or any `tf.train` optimizer. */
export type OptimizerLike = StepOptimizer | tf.Optimizer;

/** Anything with a forward that takes a batch and returns logits `[B, T, V]`. */
export interface LanguageModel extends Module {
  forward(inputs: {
    inputIds: number[][];
    attentionMask?: number[][];
    tokenTypeIds?: number[][];
  }): {
    logits: tf.Tensor;
  };
}

export interface TrainLanguageModelOptions {
  model: LanguageModel;
  /** `mlm`: BERT masking + masked-LM loss; `clm`: next-token loss. */
  objective: 'mlm' | 'clm';
  /**
   * The batch for a step. A function of the step number (not an iterator),
   * so a resumed run sees the same batches as an uninterrupted one.
   */
  data: (step: number) => LmBatch | Promise<LmBatch>;
  optimizer: OptimizerLike;
  /** Total steps (a resumed run continues to this number). */
  steps: number;
  /** Seeds the masking stream (default 0). */
  seed?: number;
  /** Required for `mlm`. */
  masking?: MaskingOptions;
  /** Clip the global gradient norm to this (torch's `clip_grad_norm_`). */
  clipGradNorm?: number;
  checkpoints?: CheckpointStore;
  /** Save every this many steps (default: only at the end and when stopped). */
  checkpointEvery?: number;
  /** Continue from `checkpoints.latest()` when there is one (default true). */
  resume?: boolean;
  progress?: Progress;
  signal?: AbortSignal;
  onStep?: (info: { step: number; loss: number }) => void;
}

export interface TrainLanguageModelResult {
  /** Steps completed (equals `steps` unless stopped). */
  steps: number;
  /** Loss of each step run in this call. */
  losses: number[];
  /** The step a checkpoint was resumed from, if any. */
  resumedFrom?: number;
}

function isStepOptimizer(o: OptimizerLike): o is StepOptimizer {
  return typeof (o as StepOptimizer).step === 'function';
}

/**
 * A small pretraining loop: masked-LM (BERT's 80/10/10 masking from a
 * per-step seeded stream) or causal-LM loss, gradients of the trainable
 * parameters, an optional global-norm clip, one optimizer step per batch.
 * Checkpoints go through a `CheckpointStore` (parameters by dotted name,
 * optimizer state, dropout streams); a run resumed from one continues
 * exactly as if it had not stopped. An aborted `signal` saves a checkpoint
 * and throws `AbortedError`. Every step's tensors are released.
 */
export async function trainLanguageModel(
  options: TrainLanguageModelOptions,
): Promise<TrainLanguageModelResult> {
  const { model, objective, optimizer, steps } = options;
  if (objective === 'mlm' && !options.masking) {
    throw new ValidationError(
      'the mlm objective needs masking options (maskTokenId, vocabSize)',
      [],
      {
        where: 'trainLanguageModel',
      },
    );
  }
  if (!Number.isInteger(steps) || steps < 0) {
    throw new ValidationError(`steps must be an integer ≥ 0, got ${steps}`, [], {
      where: 'trainLanguageModel',
    });
  }
  const seedRng = new Rng(options.seed ?? 0);
  const store = options.checkpoints;
  let start = 0;
  let resumedFrom: number | undefined;
  if (store && (options.resume ?? true)) {
    const state = await store.latest();
    if (state) {
      await restore(model, optimizer, state);
      start = state.step;
      resumedFrom = state.step;
    }
  }
  const progress = (options.progress ?? silentProgress).stage('pretrain', steps, 'steps');
  if (start > 0) progress.tick(start);
  const losses: number[] = [];
  const save = async (done: number) => {
    if (store) await store.save(await snapshot(model, optimizer, done, losses));
  };
  model.train();
  for (let step = start; step < steps; step++) {
    if (options.signal?.aborted) {
      await save(step);
      throw new AbortedError(`pretraining stopped at step ${step}; checkpoint saved`);
    }
    const batch = await options.data(step);
    let inputs: LmBatch = batch;
    let labels: number[][] | undefined;
    if (objective === 'mlm') {
      const masked = maskTokens(
        batch.inputIds,
        seedRng.fork(`mask:${step}`),
        options.masking as MaskingOptions,
        batch.attentionMask,
      );
      inputs = { ...batch, inputIds: masked.inputIds };
      labels = masked.labels;
    }
    const params = model.trainableParameters();
    const names = Object.keys(params);
    if (names.length === 0) {
      throw new ValidationError('the model has no trainable parameters (all frozen?)', [], {
        where: 'trainLanguageModel',
      });
    }
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = model.forward(inputs);
      return objective === 'mlm'
        ? maskedLmLoss(logits, labels as number[][])
        : causalLmLoss(logits, batch.inputIds, { attentionMask: batch.attentionMask });
    }, Object.values(params));
    // Parameters the loss does not reach (a pooler under an MLM loss) get no gradient.
    const byName: Record<string, tf.Tensor> = {};
    for (const n of names) if (grads[params[n].name]) byName[n] = grads[params[n].name];
    if (options.clipGradNorm !== undefined) clipByGlobalNorm(byName, options.clipGradNorm);
    try {
      if (isStepOptimizer(optimizer)) {
        await optimizer.step(params, byName);
      } else {
        const byVar: Record<string, tf.Tensor> = {};
        for (const n of Object.keys(byName)) byVar[params[n].name] = byName[n];
        optimizer.applyGradients(byVar);
      }
      const loss = (await value.data())[0];
      losses.push(loss);
      options.onStep?.({ step, loss });
      progress.tick(1, { loss });
    } finally {
      value.dispose();
      for (const g of Object.values(byName)) g.dispose();
      for (const g of Object.values(grads)) if (!g.isDisposed) g.dispose();
    }
    const done = step + 1;
    if (options.checkpointEvery && done % options.checkpointEvery === 0 && done < steps)
      await save(done);
  }
  await save(steps);
  progress.done();
  return resumedFrom === undefined ? { steps, losses } : { steps, losses, resumedFrom };
}

/** torch's `clip_grad_norm_`: scales every gradient by min(1, max/(‖g‖₂ + 1e−6)), in place. */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): number {
  const total = tf.tidy(
    () => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0],
  );
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const k of Object.keys(grads)) {
      const scaled = tf.mul(grads[k], coef);
      grads[k].dispose();
      grads[k] = scaled;
    }
  }
  return total;
}

async function snapshot(
  model: Module,
  optimizer: OptimizerLike,
  step: number,
  losses: number[],
): Promise<CheckpointState> {
  const params: Record<string, StoredTensor> = {};
  for (const [k, p] of model.namedParameters()) params[k] = toStoredTensor(p);
  return {
    step,
    params,
    optimizer: await optimizerState(model, optimizer),
    rng: dropoutState(model),
    extra: { losses: [...losses] },
  };
}

async function restore(
  model: Module,
  optimizer: OptimizerLike,
  state: CheckpointState,
): Promise<void> {
  model.loadStateDict(state.params);
  if (state.rng) setDropoutState(model, state.rng);
  if (!state.optimizer) return;
  if (isStepOptimizer(optimizer)) {
    await optimizer.loadState?.(state.optimizer);
    return;
  }
  // tf.train slots are named `<variable name>/<slot>`; checkpoints use dotted names.
  const byDotted = new Map(model.namedParameters());
  const weights: { name: string; tensor: tf.Tensor }[] = Object.entries(
    state.optimizer.tensors,
  ).map(([name, s]) => {
    const slash = name.lastIndexOf('/');
    const owner = slash >= 0 ? byDotted.get(name.slice(0, slash)) : undefined;
    const tfName = owner ? `${owner.name}${name.slice(slash)}` : name;
    return { name: tfName, tensor: tf.tensor(s.data, s.shape, s.dtype) };
  });
  await optimizer.setWeights(weights);
  for (const w of weights) w.tensor.dispose();
}

async function optimizerState(
  model: Module,
  optimizer: OptimizerLike,
): Promise<CheckpointState['optimizer']> {
  if (isStepOptimizer(optimizer))
    return optimizer.saveState ? await optimizer.saveState() : undefined;
  const byVarName = new Map(model.namedParameters().map(([k, p]) => [p.name, k]));
  const tensors: Record<string, StoredTensor> = {};
  for (const w of await optimizer.getWeights()) {
    const slash = w.name.lastIndexOf('/');
    const dotted = slash >= 0 ? byVarName.get(w.name.slice(0, slash)) : undefined;
    tensors[dotted ? `${dotted}${w.name.slice(slash)}` : w.name] = toStoredTensor(w.tensor);
    // getWeights makes a fresh `iter` scalar; the slots are the optimizer's own variables.
    if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
  }
  return { tensors, scalars: {} };
}
