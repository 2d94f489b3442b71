import { z } from 'zod';

/**
 * Option schemas of the optimisers, in torch's names (camelCase) with
 * torch's defaults for the torch optimisers and the papers'/optax's for the
 * others. One source for the registry entries and the functions in
 * `alias.ts`, so both validate and default the same way.
 */

const lr = (value: number) =>
  z.number().min(0).default(value).describe('learning rate (a schedule multiplies from here)');
const rate = z.number().min(0).lt(1);
const betas = (b1: number, b2: number) => z.tuple([rate, rate]).default([b1, b2]);
const eps = (value: number) => z.number().min(0).default(value);
const weightDecay = (value: number) => z.number().min(0).default(value);
const maximize = z.boolean().default(false).describe('ascend the objective instead (torch)');
const noDecay = z
  .array(z.string().min(1))
  .optional()
  .describe('parameter name patterns left out of weight decay, e.g. ["bias", "LayerNorm.weight"]');

export const sgdOptions = z.strictObject({
  lr: lr(1e-3),
  momentum: z.number().min(0).default(0),
  dampening: z.number().min(0).default(0),
  weightDecay: weightDecay(0),
  nesterov: z.boolean().default(false),
  maximize,
  noDecay,
});

export const adagradOptions = z.strictObject({
  lr: lr(1e-2),
  lrDecay: z.number().min(0).default(0),
  weightDecay: weightDecay(0),
  initialAccumulatorValue: z.number().min(0).default(0),
  eps: eps(1e-10),
  maximize,
  noDecay,
});

export const rmspropOptions = z.strictObject({
  lr: lr(1e-2),
  alpha: rate.default(0.99),
  eps: eps(1e-8),
  weightDecay: weightDecay(0),
  momentum: z.number().min(0).default(0),
  centered: z.boolean().default(false),
  maximize,
  noDecay,
});

export const adadeltaOptions = z.strictObject({
  lr: lr(1),
  rho: rate.default(0.9),
  eps: eps(1e-6),
  weightDecay: weightDecay(0),
  maximize,
  noDecay,
});

export const adamOptions = z.strictObject({
  lr: lr(1e-3),
  betas: betas(0.9, 0.999),
  eps: eps(1e-8),
  weightDecay: weightDecay(0),
  amsgrad: z.boolean().default(false),
  decoupledWeightDecay: z.boolean().default(false).describe('AdamW-style decay (torch >= 2.7)'),
  maximize,
  noDecay,
});

export const adamwOptions = z.strictObject({
  lr: lr(1e-3),
  betas: betas(0.9, 0.999),
  eps: eps(1e-8),
  weightDecay: weightDecay(1e-2),
  amsgrad: z.boolean().default(false),
  maximize,
  noDecay,
});

export const adamaxOptions = z.strictObject({
  lr: lr(2e-3),
  betas: betas(0.9, 0.999),
  eps: eps(1e-8),
  weightDecay: weightDecay(0),
  maximize,
  noDecay,
});

export const nadamOptions = z.strictObject({
  lr: lr(2e-3),
  betas: betas(0.9, 0.999),
  eps: eps(1e-8),
  weightDecay: weightDecay(0),
  momentumDecay: z.number().min(0).default(4e-3),
  decoupledWeightDecay: z.boolean().default(false),
  maximize,
  noDecay,
});

export const radamOptions = z.strictObject({
  lr: lr(1e-3),
  betas: betas(0.9, 0.999),
  eps: eps(1e-8),
  weightDecay: weightDecay(0),
  decoupledWeightDecay: z.boolean().default(false),
  maximize,
  noDecay,
});

export const lambOptions = z.strictObject({
  lr: lr(1e-3),
  betas: betas(0.9, 0.999),
  eps: eps(1e-6),
  weightDecay: weightDecay(0),
  noDecay,
});

export const lionOptions = z.strictObject({
  lr: lr(1e-4),
  betas: betas(0.9, 0.99),
  weightDecay: weightDecay(1e-3),
  noDecay,
});

export const adabeliefOptions = z.strictObject({
  lr: lr(1e-3),
  betas: betas(0.9, 0.999),
  eps: eps(1e-16),
  epsRoot: eps(1e-16),
  weightDecay: weightDecay(0).describe('decoupled, scaled by lr'),
  noDecay,
});

export const adafactorOptions = z.strictObject({
  lr: lr(1e-2).describe('with relativeStep, the cap of ρₜ = min(lr, 1/√t) (torch)'),
  relativeStep: z
    .boolean()
    .default(true)
    .describe("the paper's ρₜ = min(lr, 1/√t); false uses lr as is (optax)"),
  beta2Decay: z.number().max(0).default(-0.8),
  eps: z.tuple([z.number().min(0), z.number().min(0)]).default([1e-30, 1e-3]),
  d: z.number().gt(0).default(1).describe('update clipping threshold'),
  beta1: rate.optional().describe('first moment (none by default)'),
  weightDecay: weightDecay(0).describe('decoupled, θ ← θ − lr·λ·θ (torch)'),
  scaleParameter: z.boolean().default(true).describe('relative step: multiply by max(ε₂, RMS(θ))'),
  factored: z.boolean().default(true),
  minDimSizeToFactor: z.number().int().min(0).default(128),
  noDecay,
});

export const scheduleFreeAdamwOptions = z.strictObject({
  lr: lr(0.0025),
  betas: z.tuple([z.number().gt(0).lt(1), rate]).default([0.9, 0.999]),
  eps: eps(1e-8),
  weightDecay: weightDecay(0),
  warmupSteps: z.number().int().min(0).default(0),
  r: z.number().min(0).default(0),
  weightLrPower: z.number().min(0).default(2),
});

/** Every optimiser's schema by registry id. */
export const optimizerOptions = {
  sgd: sgdOptions,
  adagrad: adagradOptions,
  rmsprop: rmspropOptions,
  adadelta: adadeltaOptions,
  adam: adamOptions,
  adamw: adamwOptions,
  adamax: adamaxOptions,
  nadam: nadamOptions,
  radam: radamOptions,
  lamb: lambOptions,
  lion: lionOptions,
  adabelief: adabeliefOptions,
  adafactor: adafactorOptions,
  'schedule-free-adamw': scheduleFreeAdamwOptions,
} as const;

export type OptimizerId = keyof typeof optimizerOptions;
