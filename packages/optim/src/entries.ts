import {
  defineEntry,
  type EntryDefinition,
  registry as globalRegistry,
  type Registry,
  ValidationError,
} from '@kd/core';
import { z } from 'zod';
import * as alias from './alias.js';
import { nameMatcher } from './names.js';
import { Optimizer } from './optimizer.js';
import { type OptimizerId, optimizerOptions } from './options.js';
import { parseWith } from './resolve-options.js';
import { oneCycleSchedule } from './schedules/one-cycle.js';
import { type ScheduleId, scheduleOptions } from './schedules/options.js';
import {
  constantSchedule,
  cosineRestartsSchedule,
  cosineSchedule,
  exponentialSchedule,
  linearSchedule,
  multiStepSchedule,
  polynomialSchedule,
  stepSchedule,
} from './schedules/torch.js';
import {
  warmupCosineSchedule,
  warmupLinearSchedule,
  warmupStableDecaySchedule,
} from './schedules/warmup.js';
import { chain } from './transforms/chain.js';
import { clip, clipByGlobalNorm } from './transforms/clip.js';
import { emaParams } from './transforms/ema-params.js';
import { multiSteps } from './transforms/multi-steps.js';
import { partition } from './transforms/partition.js';
import type { GradientTransformation, ScalarOrSchedule, Schedule } from './types.js';

/** What a `schedule:<id>` entry creates: the schedule for a given base value (the optimizer's lr). */
export type ScheduleFactory = (base: number) => Schedule;

const scheduleFunctions: Record<ScheduleId, (base: number, options: never) => Schedule> = {
  constant: constantSchedule,
  linear: linearSchedule,
  cosine: cosineSchedule,
  'warmup-cosine': warmupCosineSchedule,
  'warmup-linear': warmupLinearSchedule,
  'warmup-stable-decay': warmupStableDecaySchedule,
  step: stepSchedule,
  'multi-step': multiStepSchedule,
  exponential: exponentialSchedule,
  polynomial: polynomialSchedule,
  'one-cycle': oneCycleSchedule,
  'cosine-restarts': cosineRestartsSchedule,
};

const scheduleDescriptions: Record<ScheduleId, string> = {
  constant: 'the base value throughout',
  linear: 'torch LinearLR: factor from startFactor to endFactor over totalIters',
  cosine: 'torch CosineAnnealingLR to etaMin over tMax, then held',
  'warmup-cosine': 'HF linear warmup then cosine decay (to minRatio·lr)',
  'warmup-linear': 'HF linear warmup then linear decay to 0',
  'warmup-stable-decay': 'HF warmup, plateau, then linear/cosine/1-sqrt decay (WSD)',
  step: 'torch StepLR: ×gamma every stepSize steps',
  'multi-step': 'torch MultiStepLR: ×gamma at each milestone',
  exponential: 'torch ExponentialLR: ×gamma every step',
  polynomial: 'torch PolynomialLR: (1 − t/T)^power',
  'one-cycle': 'torch OneCycleLR, computed as torch does (lr is max_lr)',
  'cosine-restarts': 'torch CosineAnnealingWarmRestarts (SGDR)',
};

export const scheduleEntries = (Object.keys(scheduleOptions) as ScheduleId[]).map((id) =>
  defineEntry({
    kind: 'schedule',
    id,
    description: scheduleDescriptions[id],
    options: scheduleOptions[id],
    create:
      (options): ScheduleFactory =>
      (base) =>
        scheduleFunctions[id](base, options as never),
  }),
);

/** A `schedule:<id>` reference in an optimizer's options: `"cosine"` or `{ id, options }`. */
const scheduleRef = z
  .union([
    z.string().min(1),
    z.strictObject({
      id: z.string().min(1),
      options: z.record(z.string(), z.unknown()).optional(),
    }),
  ])
  .superRefine((value, ctx) => {
    // Built-in schedules are checked here, so a recipe fails before it runs;
    // schedules from other plugins are checked when the optimizer is created.
    const id = typeof value === 'string' ? value : value.id;
    const schema = scheduleOptions[id as ScheduleId];
    if (!schema) return;
    const parsed = schema.safeParse(typeof value === 'string' ? {} : (value.options ?? {}), {
      reportInput: true,
    });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({
          ...issue,
          path: typeof value === 'string' ? issue.path : ['options', ...issue.path],
        } as z.core.$ZodRawIssue);
      }
    }
  });

type Ref = z.output<typeof scheduleRef>;

function groupSchema(id: OptimizerId) {
  const overrides = (optimizerOptions[id] as z.ZodObject).partial();
  return z
    .looseObject({
      params: z.array(z.string().min(1)).min(1).describe('name patterns of the group’s parameters'),
      name: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/)
        .optional(),
      lrScale: z
        .number()
        .gt(0)
        .optional()
        .describe('multiplies the group’s lr (LoRA+: 16 for lora_B)'),
    })
    .superRefine((group, ctx) => {
      const { params: _p, name: _n, lrScale: _s, ...rest } = group;
      const parsed = overrides.safeParse(rest, { reportInput: true });
      if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue(issue as never);
    });
}

/** Options every `optimizer:<id>` entry takes besides its own. */
function commonOptions(id: OptimizerId) {
  return {
    schedule: scheduleRef.optional().describe('a schedule:<id> entry shaping lr'),
    clipGradNorm: z
      .number()
      .gt(0)
      .optional()
      .describe('clip the global gradient norm (torch clip_grad_norm_)'),
    clipGradValue: z.number().gt(0).optional().describe('clip every gradient element to ±value'),
    accumulateSteps: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('gradient accumulation over k micro-batches'),
    emaDecay: z
      .number()
      .gt(0)
      .lt(1)
      .optional()
      .describe('keep an EMA of the weights for evaluation'),
    nonFinite: z
      .enum(['error', 'skip'])
      .default('error')
      .describe('NaN/Inf gradient: throw or skip the step'),
    groups: z.array(groupSchema(id)).optional().describe('parameter groups with their own options'),
  };
}

const optimizerDescriptions: Record<OptimizerId, string> = {
  sgd: 'torch SGD (momentum, dampening, nesterov, L2 weightDecay)',
  adagrad: 'torch Adagrad',
  rmsprop: 'torch RMSprop (alpha, centered, momentum)',
  adadelta: 'torch Adadelta',
  adam: 'torch Adam (amsgrad, L2 or decoupled weightDecay)',
  adamw: 'torch AdamW (decoupled weight decay)',
  adamax: 'torch Adamax',
  nadam: 'torch NAdam',
  radam: 'torch RAdam',
  lamb: 'LAMB (You et al. 2020; optax)',
  lion: 'Lion (Chen et al. 2023; optax)',
  adabelief: 'AdaBelief (Zhuang et al. 2020; optax)',
  adafactor: 'Adafactor (Shazeer & Stern 2018; optax order, torch relative step)',
  'schedule-free-adamw': 'Schedule-free AdamW (Defazio et al. 2024, reference implementation)',
};

const factories: Record<OptimizerId, (options: never) => GradientTransformation> = {
  sgd: alias.sgd,
  adagrad: alias.adagrad,
  rmsprop: alias.rmsprop,
  adadelta: alias.adadelta,
  adam: alias.adam,
  adamw: alias.adamw,
  adamax: alias.adamax,
  nadam: alias.nadam,
  radam: alias.radam,
  lamb: alias.lamb,
  lion: alias.lion,
  adabelief: alias.adabelief,
  adafactor: alias.adafactor,
  'schedule-free-adamw': alias.scheduleFreeAdamW,
};

export function optimizerEntrySchema(id: OptimizerId) {
  return (optimizerOptions[id] as z.ZodObject).extend(commonOptions(id));
}

export type OptimizerEntryOptions = Record<string, unknown>;

function resolveSchedule(ref: Ref, reg: Registry): ScheduleFactory {
  const id = typeof ref === 'string' ? ref : ref.id;
  const options = typeof ref === 'string' ? {} : (ref.options ?? {});
  // Built-in schedules work without registering the plugin (createOptimizer in code).
  if (!reg.has('schedule', id) && id in scheduleFunctions) {
    const parsed = parseWith(`schedule:${id}`, scheduleOptions[id as ScheduleId], options);
    return (base) => scheduleFunctions[id as ScheduleId](base, parsed as never);
  }
  return reg.create<ScheduleFactory>('schedule', id, options);
}

const scaled = (lr: ScalarOrSchedule, by: number): ScalarOrSchedule =>
  by === 1 ? lr : typeof lr === 'number' ? lr * by : (step) => lr(step) * by;

/**
 * Builds the optimizer a registry entry describes: the optimiser's chain
 * with its schedule, parameter groups, clipping, accumulation and EMA.
 */
function build(id: OptimizerId, options: Record<string, unknown>, reg: Registry): Optimizer {
  const {
    schedule,
    clipGradNorm,
    clipGradValue,
    accumulateSteps,
    emaDecay,
    nonFinite,
    groups,
    ...own
  } = options as {
    schedule?: Ref;
    clipGradNorm?: number;
    clipGradValue?: number;
    accumulateSteps: number;
    emaDecay?: number;
    nonFinite: 'error' | 'skip';
    groups?: { params: string[]; name?: string; lrScale?: number; [k: string]: unknown }[];
  } & Record<string, unknown>;
  const factory = schedule ? resolveSchedule(schedule, reg) : undefined;
  const core = (o: Record<string, unknown>, lrScale = 1) => {
    const base = o.lr as number;
    return factories[id]({ ...o, lr: scaled(factory ? factory(base) : base, lrScale) } as never);
  };
  let body: GradientTransformation;
  if (groups && groups.length > 0) {
    const labels = groups.map((g, i) => g.name ?? `group${i}`);
    if (labels.includes('default') || new Set(labels).size !== labels.length) {
      throw new ValidationError(
        `optimizer:${id}: group names must be unique and not "default", got ${labels.join(', ')}`,
      );
    }
    const transforms: Record<string, GradientTransformation> = { default: core(own) };
    const matchers = groups.map((g) => nameMatcher(g.params));
    groups.forEach((g, i) => {
      const { params: _p, name: _n, lrScale, ...over } = g;
      const merged = parseWith(`optimizer:${id} groups[${i}]`, optimizerOptions[id], {
        ...own,
        ...over,
      });
      transforms[labels[i]] = core(merged as Record<string, unknown>, lrScale ?? 1);
    });
    body = partition(transforms, (name) => {
      const i = matchers.findIndex((m) => m(name));
      return i < 0 ? 'default' : labels[i];
    });
  } else {
    body = core(own);
  }
  let transform: GradientTransformation = chain(
    clipGradValue !== undefined && clip(clipGradValue),
    clipGradNorm !== undefined && clipByGlobalNorm(clipGradNorm),
    body,
    emaDecay !== undefined && emaParams(emaDecay),
  );
  if (accumulateSteps > 1) transform = multiSteps(transform, accumulateSteps);
  return new Optimizer(transform, { nonFinite, config: { id, options: options as never } });
}

export const optimizerEntries = (Object.keys(optimizerOptions) as OptimizerId[]).map((id) =>
  defineEntry({
    kind: 'optimizer',
    id,
    description: optimizerDescriptions[id],
    options: optimizerEntrySchema(id),
    create: (options, ctx) => build(id, options as Record<string, unknown>, ctx.registry),
  }),
);

// biome-ignore lint/suspicious/noExplicitAny: entries differ in schema and product.
export const entries: readonly EntryDefinition<any, any>[] = [
  ...optimizerEntries,
  ...scheduleEntries,
];

/**
 * An optimizer from its registry id and options, exactly as a recipe's
 * `optimizer: { id, options }` would build it (validated, defaults filled):
 * `createOptimizer('adamw', { lr: 3e-4, schedule: { id: 'warmup-cosine', options: {...} } })`.
 */
export function createOptimizer(
  id: OptimizerId,
  options: Record<string, unknown> = {},
  reg: Registry = globalRegistry,
): Optimizer {
  const parsed = parseWith(`optimizer:${id}`, optimizerEntrySchema(id), options);
  return build(id, parsed as Record<string, unknown>, reg);
}
