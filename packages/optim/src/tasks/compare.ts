import {
  type CheckpointState,
  type StoredTensor,
  type TaskContext,
  ValidationError,
} from '@kd/core';
import type { OptimizerStateData } from '../optimizer.js';
import { holdOut, prepareTask, type TaskData } from './data.js';
import { MAIN_METRIC, majorityAccuracy } from './evaluate.js';
import {
  type Arm,
  armName,
  type CompareTask,
  type OptimCompareOptions,
  settingsFor,
} from './options.js';
import {
  type RunHooks,
  type RunProgress,
  type RunResult,
  type RunSpec,
  trainRun,
} from './train.js';

/** Bumped when the checkpoint layout or the meaning of a run changes. */
const CHECKPOINT_FORMAT = 1;

export interface SweepResult {
  arm: string;
  /** Held-out score of each candidate lr (NaN when it diverged). */
  candidates: { lr: number; score: number }[];
  chosenLr: number;
}

export interface ComparisonReport {
  options: OptimCompareOptions;
  seeds: number[];
  /** Learning rate each arm used in the comparison runs. */
  lrs: Record<string, number>;
  sweep?: { task: CompareTask; metric: string; results: SweepResult[] };
  runs: RunResult[];
  /** Per task: data sizes, vocabulary coverage and the majority-class baseline. */
  tasks: Record<
    string,
    { train: number; eval: number; vocabSize: number; unkRate: number; majority?: number }
  >;
}

interface CompareExtra {
  kind: 'optim-compare';
  format: number;
  fingerprint: string;
  completed: RunResult[];
  current: RunProgress | null;
}

function isCompareExtra(v: unknown): v is CompareExtra {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'optim-compare';
}

/** Sweep candidates of an arm: its lr times each factor, rounded to 3 significant digits. */
export function sweepLrs(arm: Arm, factors: readonly number[]): number[] {
  const base = (arm.options.lr as number | undefined) ?? defaultLr(arm);
  return factors.map((f) => Number((base * f).toPrecision(3)));
}

function defaultLr(arm: Arm): number {
  // The optimiser's own default when the recipe gives none.
  return Number(
    (
      (
        {
          sgd: 1e-3,
          adagrad: 1e-2,
          rmsprop: 1e-2,
          adadelta: 1,
          adam: 1e-3,
          adamw: 1e-3,
          adamax: 2e-3,
          nadam: 2e-3,
          radam: 1e-3,
          lamb: 1e-3,
          lion: 1e-4,
          adabelief: 1e-3,
          adafactor: 1e-2,
          'schedule-free-adamw': 2.5e-3,
        } as Record<string, number>
      )[arm.id] ?? 1e-3
    ).toPrecision(3),
  );
}

/**
 * Runs the comparison: the optional learning-rate sweep, then every task ×
 * seed × arm, each run from the same initial weights and batch order for a
 * given (task, seed). Progress is checkpointed after every run and inside
 * runs, so a stopped comparison resumes at the arm and step it was on.
 */
export async function runComparison(
  options: OptimCompareOptions,
  ctx: TaskContext,
  hooks?: RunHooks,
): Promise<ComparisonReport> {
  const fingerprint = JSON.stringify({ format: CHECKPOINT_FORMAT, seed: ctx.seed, options });
  const latest = await ctx.checkpoints.latest();
  let completed = new Map<string, RunResult>();
  let current: { progress: RunProgress; state: CheckpointState } | undefined;
  if (latest && isCompareExtra(latest.extra)) {
    if (latest.extra.fingerprint !== fingerprint) {
      throw new ValidationError(
        'the checkpoint in this output directory is from a different optim-compare configuration (options or seed changed); use another output directory or remove it',
        [],
        { where: 'task:optim-compare' },
      );
    }
    completed = new Map(latest.extra.completed.map((r) => [r.key, r]));
    if (latest.extra.current) current = { progress: latest.extra.current, state: latest };
  }

  const dataCache = new Map<CompareTask, Promise<TaskData>>();
  const dataFor = (task: CompareTask) => {
    let p = dataCache.get(task);
    if (!p) {
      p = prepareTask(task, settingsFor(options, task), options.model.vocabSize);
      dataCache.set(task, p);
    }
    return p;
  };

  const save = async (next: RunProgress | null, extra?: Partial<CheckpointState>) => {
    const state: CheckpointState = {
      step: completed.size,
      params: (extra?.params as Record<string, StoredTensor>) ?? {},
      recipe: options,
      extra: {
        kind: 'optim-compare',
        format: CHECKPOINT_FORMAT,
        fingerprint,
        completed: [...completed.values()],
        current: next,
      } satisfies CompareExtra,
    };
    if (extra?.optimizer) state.optimizer = extra.optimizer;
    await ctx.checkpoints.save(state);
  };

  const execute = async (spec: RunSpec, label: string): Promise<RunResult> => {
    const done = completed.get(spec.key);
    if (done) return done;
    const resume =
      current && current.progress.key === spec.key
        ? {
            progress: current.progress,
            params: current.state.params,
            optimizer: current.state.optimizer as OptimizerStateData | undefined,
          }
        : undefined;
    const result = await trainRun(spec, {
      resume,
      signal: ctx.signal,
      stage: ctx.progress.stage(label, spec.steps, 'steps'),
      hooks,
      save: (s) => save(s.progress, { params: s.params, optimizer: s.optimizer }),
    });
    completed.set(spec.key, result);
    await save(null);
    return result;
  };

  const seeds = Array.from({ length: options.seeds }, (_, i) => ctx.seed + i);
  const specFor = (
    data: TaskData,
    arm: Arm,
    lr: number,
    seed: number,
    key: string,
    steps?: number,
  ): RunSpec => {
    const s = settingsFor(options, data.task);
    return {
      key,
      data,
      arm,
      lr,
      seed,
      steps: steps ?? s.steps,
      batchSize: s.batchSize,
      model: options.model,
      warmupFraction: options.warmupFraction,
      clipGradNorm: options.clipGradNorm,
      evalBatchSize: options.evalBatchSize,
      checkpointEvery: options.checkpointEvery,
    };
  };

  // 1. Learning-rate sweep on a held-out slice of the training split.
  const lrs: Record<string, number> = {};
  let sweep: ComparisonReport['sweep'];
  if (options.sweep) {
    const sw = options.sweep;
    if (sw.task === 'squad') {
      throw new ValidationError(
        'the sweep runs on a GLUE task (sst2, rte or stsb), not squad',
        [],
        {
          where: 'task:optim-compare sweep.task',
        },
      );
    }
    const full = await dataFor(sw.task);
    if (full.kind === 'span') throw new ValidationError('unreachable: span data for a GLUE task');
    const split = holdOut(full.train, sw.holdout, ctx.seed);
    const data: TaskData = { ...full, train: split.train, dev: split.heldOut };
    const metric = MAIN_METRIC[sw.task];
    const results: SweepResult[] = [];
    for (const arm of options.optimizers) {
      const candidates: SweepResult['candidates'] = [];
      for (const lr of sweepLrs(arm, sw.factors)) {
        const key = `sweep/${sw.task}/${armName(arm)}/lr=${lr}`;
        const r = await execute(
          specFor(data, arm, lr, ctx.seed, key, sw.steps),
          `sweep ${sw.task} ${armName(arm)} lr=${lr}`,
        );
        candidates.push({ lr, score: r.metrics[metric] ?? Number.NaN });
      }
      // The best held-out score; ties (and all-diverged) go to the smallest rate.
      let chosen = candidates[0];
      for (const c of candidates) {
        if (Number.isNaN(chosen.score) || c.score > chosen.score) chosen = c;
      }
      lrs[armName(arm)] = chosen.lr;
      results.push({ arm: armName(arm), candidates, chosenLr: chosen.lr });
    }
    sweep = { task: sw.task, metric, results };
  } else {
    for (const arm of options.optimizers) {
      lrs[armName(arm)] = (arm.options.lr as number | undefined) ?? defaultLr(arm);
    }
  }

  // 2. The comparison: task × seed × arm, arms of a (task, seed) back to back.
  const runs: RunResult[] = [];
  const tasks: ComparisonReport['tasks'] = {};
  for (const task of options.tasks) {
    const data = await dataFor(task);
    tasks[task] = {
      train: data.train.length,
      eval: data.kind === 'span' ? data.dev.examples.length : data.dev.length,
      vocabSize: data.vocab.size,
      unkRate: data.vocab.unkRate,
      majority: majorityAccuracy(data),
    };
    for (const seed of seeds) {
      for (const arm of options.optimizers) {
        const name = armName(arm);
        const key = `run/${task}/${name}/seed=${seed}`;
        runs.push(
          await execute(specFor(data, arm, lrs[name], seed, key), `${task} ${name} seed ${seed}`),
        );
      }
    }
  }
  return { options, seeds, lrs, sweep, runs, tasks };
}
