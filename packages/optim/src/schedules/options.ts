import { z } from 'zod';

/**
 * Option schemas of the schedules. A schedule takes its base value (the
 * optimizer's `lr`) separately, so one recipe entry shapes any optimizer's
 * rate: `{ id: 'warmup-cosine', options: { warmupSteps: 100, totalSteps: 1000 } }`.
 */

const steps = z.number().int().min(0);
const positiveSteps = z.number().int().min(1);
const ratio = z.number().min(0).max(1);

export const constantScheduleOptions = z.strictObject({});

/** torch LinearLR: the factor moves linearly from startFactor to endFactor over totalIters. */
export const linearScheduleOptions = z.strictObject({
  startFactor: z
    .number()
    .gt(0)
    .max(1)
    .default(1 / 3),
  endFactor: z.number().min(0).max(1).default(1),
  totalIters: positiveSteps.default(5),
});

/** torch CosineAnnealingLR (held at etaMin after tMax). */
export const cosineScheduleOptions = z.strictObject({
  tMax: positiveSteps,
  etaMin: z.number().min(0).default(0),
});

/** HF get_cosine_schedule_with_warmup (minRatio as HF's cosine_with_min_lr). */
export const warmupCosineScheduleOptions = z.strictObject({
  warmupSteps: steps,
  totalSteps: positiveSteps,
  numCycles: z.number().gt(0).default(0.5),
  minRatio: ratio.default(0),
});

/** HF get_linear_schedule_with_warmup. */
export const warmupLinearScheduleOptions = z.strictObject({
  warmupSteps: steps,
  totalSteps: positiveSteps,
});

/** HF get_wsd_schedule (Hägele et al. 2024's warmup-stable-decay). */
export const warmupStableDecayScheduleOptions = z.strictObject({
  warmupSteps: steps,
  stableSteps: steps,
  decaySteps: steps,
  warmupType: z.enum(['linear', 'cosine', '1-sqrt']).default('linear'),
  decayType: z.enum(['linear', 'cosine', '1-sqrt']).default('cosine'),
  minRatio: ratio.default(0),
});

/** torch StepLR. */
export const stepScheduleOptions = z.strictObject({
  stepSize: positiveSteps,
  gamma: z.number().min(0).default(0.1),
});

/** torch MultiStepLR. */
export const multiStepScheduleOptions = z.strictObject({
  milestones: z.array(steps).min(1),
  gamma: z.number().min(0).default(0.1),
});

/** torch ExponentialLR. */
export const exponentialScheduleOptions = z.strictObject({
  gamma: z.number().min(0),
});

/** torch PolynomialLR. */
export const polynomialScheduleOptions = z.strictObject({
  totalIters: positiveSteps.default(5),
  power: z.number().min(0).default(1),
});

/** torch OneCycleLR (learning rate only; the base value is max_lr). */
export const oneCycleScheduleOptions = z.strictObject({
  totalSteps: positiveSteps,
  pctStart: ratio.default(0.3),
  annealStrategy: z.enum(['cos', 'linear']).default('cos'),
  divFactor: z.number().gt(0).default(25),
  finalDivFactor: z.number().gt(0).default(1e4),
  threePhase: z.boolean().default(false),
});

/** torch CosineAnnealingWarmRestarts. */
export const cosineRestartsScheduleOptions = z.strictObject({
  t0: positiveSteps,
  tMult: z.number().int().min(1).default(1),
  etaMin: z.number().min(0).default(0),
});

export const scheduleOptions = {
  constant: constantScheduleOptions,
  linear: linearScheduleOptions,
  cosine: cosineScheduleOptions,
  'warmup-cosine': warmupCosineScheduleOptions,
  'warmup-linear': warmupLinearScheduleOptions,
  'warmup-stable-decay': warmupStableDecayScheduleOptions,
  step: stepScheduleOptions,
  'multi-step': multiStepScheduleOptions,
  exponential: exponentialScheduleOptions,
  polynomial: polynomialScheduleOptions,
  'one-cycle': oneCycleScheduleOptions,
  'cosine-restarts': cosineRestartsScheduleOptions,
} as const;

export type ScheduleId = keyof typeof scheduleOptions;
