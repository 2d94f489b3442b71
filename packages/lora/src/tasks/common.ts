import {
  AbortedError,
  type CheckpointStore,
  type MeanStd,
  meanStd,
  type Registry,
  ValidationError,
} from '@kd/core';
import type { Parameter } from '@kd/nn';
import { createOptimizer, type Optimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';

/**
 * An arm's name as a key for summary entries and artefact paths
 * (`LoRA r=8` → `lora_r_8`). `+` is spelled out, so `LoRA+` is `loraplus`
 * and does not collide with `LoRA`.
 */
export function armKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/\+/g, 'plus')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/**
 * Every arm's key, in order. Two arms with one key would overwrite each
 * other's summary numbers and artefacts, so that is refused up front.
 */
export function armKeys(arms: readonly { name: string }[]): string[] {
  const keys = arms.map((a) => armKey(a.name));
  keys.forEach((k, i) => {
    const j = keys.indexOf(k);
    if (k === '' || j !== i) {
      throw new ValidationError(
        k === ''
          ? `arm "${arms[i].name}" needs a letter or digit in its name (it names summary keys and artefacts)`
          : `arms "${arms[j].name}" and "${arms[i].name}" both map to the key "${k}" (summary keys, artefact paths); rename one`,
        [{ path: `arms.${i}.name`, message: 'duplicate or empty key' }],
      );
    }
  });
  return keys;
}

/** Median of a list (the robust step time on a shared machine). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface TrainStepResult {
  loss: number;
  ms: number;
}

/**
 * One optimisation step over the trainable parameters: gradients of `loss`
 * by dotted name, then `optimizer.step`. Everything it makes is released.
 */
export function trainStep(
  params: Record<string, Parameter>,
  optimizer: Optimizer,
  loss: () => tf.Scalar,
): TrainStepResult {
  const t0 = performance.now();
  const value = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(loss, Object.values(params));
    const byName: Record<string, tf.Tensor> = {};
    for (const [n, p] of Object.entries(params)) if (grads[p.name]) byName[n] = grads[p.name];
    optimizer.step(params, byName);
    return value.dataSync()[0];
  });
  if (!Number.isFinite(value)) {
    throw new ValidationError(`the training loss became ${value}; lower the learning rate`);
  }
  return { loss: value, ms: performance.now() - t0 };
}

/**
 * Peak tensor memory of one call (tfjs' `profile`: bytes held by tensors at
 * the high point, model weights included), in bytes.
 */
export async function peakBytes(fn: () => void): Promise<number> {
  const info = await tf.profile(() => {
    fn();
  });
  return info.peakBytes;
}

/**
 * A run's training steps and what the tasks report of them: every step's
 * loss, the peak tensor bytes of step 1 (profiled, so not timed) and the
 * wall time of every later step (steps 0 and 1 are the warm-up).
 */
export class StepLog {
  readonly losses: number[] = [];
  readonly times: number[] = [];
  peak = 0;

  /** Runs step `index` with {@link trainStep}; returns its loss. */
  async step(
    index: number,
    params: Record<string, Parameter>,
    optimizer: Optimizer,
    loss: () => tf.Scalar,
  ): Promise<number> {
    let r: TrainStepResult = { loss: 0, ms: 0 };
    if (index === 1) {
      this.peak = await peakBytes(() => {
        r = trainStep(params, optimizer, loss);
      });
    } else {
      r = trainStep(params, optimizer, loss);
      if (index > 1) this.times.push(r.ms);
    }
    this.losses.push(r.loss);
    return r.loss;
  }

  /** Mean loss over the last 10% of steps (at least one); NaN before any step. */
  finalLoss(): number {
    const tail = this.losses.slice(-Math.max(1, Math.floor(this.losses.length / 10)));
    return tail.length ? tail.reduce((s, v) => s + v, 0) / tail.length : Number.NaN;
  }
}

/** AdamW with a linear warmup and linear decay (HF's default schedule), plus parameter groups. */
export function adamwWithWarmup(
  registry: Registry,
  options: {
    lr: number;
    steps: number;
    warmupRatio: number;
    weightDecay: number;
    groups?: { name: string; params: string[]; lrScale: number }[];
  },
): Optimizer {
  return createOptimizer(
    'adamw',
    {
      lr: options.lr,
      weightDecay: options.weightDecay,
      noDecay: ['bias', 'LayerNorm.weight', 'lora_magnitude_vector.*'],
      schedule: {
        id: 'warmup-linear',
        options: {
          warmupSteps: Math.round(options.steps * options.warmupRatio),
          totalSteps: options.steps,
        },
      },
      ...(options.groups && options.groups.length > 0 ? { groups: options.groups } : {}),
    },
    registry,
  );
}

/** Mean ± std (sample std, as papers report over seeds) of a numeric field over runs. */
export function aggregate<T>(runs: readonly T[], pick: (r: T) => number): MeanStd {
  return meanStd(runs.map(pick));
}

/**
 * Resume support for multi-run experiments: finished runs live in the
 * checkpoint's `extra.runs`; a stopped experiment resumes at the next run.
 */
export class RunLog<R> {
  constructor(
    readonly store: CheckpointStore,
    readonly runs: R[] = [],
  ) {}

  static async open<R>(store: CheckpointStore): Promise<RunLog<R>> {
    const state = await store.latest();
    const runs = (state?.extra?.runs as R[] | undefined) ?? [];
    return new RunLog<R>(store, [...runs]);
  }

  async add(run: R): Promise<void> {
    this.runs.push(run);
    await this.store.save({ step: this.runs.length, params: {}, extra: { runs: this.runs } });
  }
}

/** Throws AbortedError when `signal` fired (finished runs are already checkpointed). */
export function checkAbort(signal: AbortSignal, what: string): void {
  if (signal.aborted) {
    throw new AbortedError(
      `stopped during ${what}; finished runs are checkpointed and will be skipped on resume`,
    );
  }
}
