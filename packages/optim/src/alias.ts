/**
 * The optimisers as chains of transforms (optax `alias.py`). The torch ones
 * reproduce torch.optim step for step; the others follow their papers and
 * optax (see each `scaleBy…` rule for the convention taken where they
 * differ). Every function validates its options against `options.ts`.
 */

import type { NameMatcher } from './names.js';
import {
  adabeliefOptions,
  adadeltaOptions,
  adafactorOptions,
  adagradOptions,
  adamaxOptions,
  adamOptions,
  adamwOptions,
  lambOptions,
  lionOptions,
  nadamOptions,
  radamOptions,
  rmspropOptions,
  scheduleFreeAdamwOptions,
  sgdOptions,
} from './options.js';
import { type CodeOptions, resolveOptions } from './resolve-options.js';
import { addDecayedWeights } from './transforms/add-decayed-weights.js';
import { chain } from './transforms/chain.js';
import { clipByBlockRms } from './transforms/clip.js';
import { emaUpdates } from './transforms/ema-updates.js';
import { scale } from './transforms/scale.js';
import { scaleByAdadelta } from './transforms/scale-by-adadelta.js';
import { scaleByAdagrad } from './transforms/scale-by-adagrad.js';
import { scaleByAdam } from './transforms/scale-by-adam.js';
import { scaleByAdamax } from './transforms/scale-by-adamax.js';
import { scaleByBelief } from './transforms/scale-by-belief.js';
import { scaleByFactoredRms } from './transforms/scale-by-factored-rms.js';
import { scaleByLearningRate } from './transforms/scale-by-learning-rate.js';
import { scaleByLion } from './transforms/scale-by-lion.js';
import { scaleByNadam } from './transforms/scale-by-nadam.js';
import { scaleByParamBlockRms } from './transforms/scale-by-param-block-rms.js';
import { scaleByRadam } from './transforms/scale-by-radam.js';
import { scaleByRmsprop } from './transforms/scale-by-rmsprop.js';
import { scaleBySgdMomentum } from './transforms/scale-by-sgd-momentum.js';
import { scaleByTrustRatio } from './transforms/scale-by-trust-ratio.js';
import { scheduleFreeAdamW as scheduleFreeRule } from './transforms/schedule-free-adamw.js';
import type { GradientTransformation, ScalarOrSchedule } from './types.js';

export type SgdOptions = CodeOptions<typeof sgdOptions>;
export type AdagradOptions = CodeOptions<typeof adagradOptions>;
export type RmspropOptions = CodeOptions<typeof rmspropOptions>;
export type AdadeltaOptions = CodeOptions<typeof adadeltaOptions>;
export type AdamOptions = CodeOptions<typeof adamOptions>;
export type AdamWOptions = CodeOptions<typeof adamwOptions>;
export type AdamaxOptions = CodeOptions<typeof adamaxOptions>;
export type NadamOptions = CodeOptions<typeof nadamOptions>;
export type RadamOptions = CodeOptions<typeof radamOptions>;
export type LambOptions = CodeOptions<typeof lambOptions>;
export type LionOptions = CodeOptions<typeof lionOptions>;
export type AdaBeliefOptions = CodeOptions<typeof adabeliefOptions>;
export type AdafactorOptions = CodeOptions<typeof adafactorOptions>;
export type ScheduleFreeAdamWOptions = CodeOptions<typeof scheduleFreeAdamwOptions>;

/**
 * Weight decay as a transform, or nothing. Before the rule it is torch's L2
 * `weight_decay` (added to the gradient); after the rule and before the
 * learning rate it is decoupled decay, scaled by the rate with it (AdamW).
 */
const decay = (o: { weightDecay: number; noDecay?: NameMatcher }, on = true) =>
  on && o.weightDecay > 0 && addDecayedWeights(o.weightDecay, { exclude: o.noDecay });
const l2 = decay;
const decoupled = decay;

export function sgd(options?: SgdOptions): GradientTransformation {
  const o = resolveOptions('sgd', sgdOptions, options);
  const momentum = o.momentum > 0 || o.nesterov;
  return chain(
    o.maximize && scale(-1),
    l2(o),
    momentum && scaleBySgdMomentum(o),
    scaleByLearningRate(o.lr),
  );
}

export function adagrad(options?: AdagradOptions): GradientTransformation {
  const o = resolveOptions('adagrad', adagradOptions, options);
  return chain(o.maximize && scale(-1), l2(o), scaleByAdagrad(o), scaleByLearningRate(o.lr));
}

export function rmsprop(options?: RmspropOptions): GradientTransformation {
  const o = resolveOptions('rmsprop', rmspropOptions, options);
  return chain(o.maximize && scale(-1), l2(o), scaleByRmsprop(o), scaleByLearningRate(o.lr));
}

export function adadelta(options?: AdadeltaOptions): GradientTransformation {
  const o = resolveOptions('adadelta', adadeltaOptions, options);
  return chain(o.maximize && scale(-1), l2(o), scaleByAdadelta(o), scaleByLearningRate(o.lr));
}

export function adam(options?: AdamOptions): GradientTransformation {
  const o = resolveOptions('adam', adamOptions, options);
  const dec = o.decoupledWeightDecay;
  return chain(
    o.maximize && scale(-1),
    l2(o, !dec),
    scaleByAdam(o),
    decoupled(o, dec),
    scaleByLearningRate(o.lr),
  );
}

export function adamw(options?: AdamWOptions): GradientTransformation {
  const o = resolveOptions('adamw', adamwOptions, options);
  return chain(o.maximize && scale(-1), scaleByAdam(o), decoupled(o), scaleByLearningRate(o.lr));
}

export function adamax(options?: AdamaxOptions): GradientTransformation {
  const o = resolveOptions('adamax', adamaxOptions, options);
  return chain(o.maximize && scale(-1), l2(o), scaleByAdamax(o), scaleByLearningRate(o.lr));
}

export function nadam(options?: NadamOptions): GradientTransformation {
  const o = resolveOptions('nadam', nadamOptions, options);
  const dec = o.decoupledWeightDecay;
  return chain(
    o.maximize && scale(-1),
    l2(o, !dec),
    scaleByNadam(o),
    decoupled(o, dec),
    scaleByLearningRate(o.lr),
  );
}

export function radam(options?: RadamOptions): GradientTransformation {
  const o = resolveOptions('radam', radamOptions, options);
  const dec = o.decoupledWeightDecay;
  return chain(
    o.maximize && scale(-1),
    l2(o, !dec),
    scaleByRadam(o),
    decoupled(o, dec),
    scaleByLearningRate(o.lr),
  );
}

/** LAMB (You et al. 2020) as optax builds it: Adam, decoupled decay, trust ratio, learning rate. */
export function lamb(options?: LambOptions): GradientTransformation {
  const o = resolveOptions('lamb', lambOptions, options);
  return chain(scaleByAdam(o), decoupled(o), scaleByTrustRatio(), scaleByLearningRate(o.lr));
}

/** Lion (Chen et al. 2023): θ ← θ − lr·(sign(c) + λθ). */
export function lion(options?: LionOptions): GradientTransformation {
  const o = resolveOptions('lion', lionOptions, options);
  return chain(scaleByLion(o), decoupled(o), scaleByLearningRate(o.lr));
}

/** AdaBelief (Zhuang et al. 2020) as optax, with optional decoupled decay. */
export function adabelief(options?: AdaBeliefOptions): GradientTransformation {
  const o = resolveOptions('adabelief', adabeliefOptions, options);
  return chain(scaleByBelief(o), decoupled(o), scaleByLearningRate(o.lr));
}

/**
 * Adafactor (Shazeer & Stern 2018) in optax's order: factored second
 * moment, update clipping at d, step size ρₜ (the paper's
 * min(lr, 1/√t) with relativeStep) times max(ε₂, RMS(θ)), optional first
 * moment, decoupled decay lr·λ·θ (torch), descent.
 */
export function adafactor(options?: AdafactorOptions): GradientTransformation {
  const o = resolveOptions('adafactor', adafactorOptions, options);
  const { lr } = o;
  const lrAt = (step: number) => (typeof lr === 'number' ? lr : lr(step));
  const rho: ScalarOrSchedule = o.relativeStep
    ? (step) => Math.min(lrAt(step), 1 / Math.sqrt(step + 1))
    : lr;
  const decay: ScalarOrSchedule =
    typeof lr === 'number' ? lr * o.weightDecay : (step) => lr(step) * o.weightDecay;
  // Without decay the sign flips with the step size (one full-size multiply fewer).
  const decays = o.weightDecay > 0;
  return chain(
    scaleByFactoredRms({
      factored: o.factored,
      beta2Decay: o.beta2Decay,
      eps: o.eps[0],
      minDimSizeToFactor: o.minDimSizeToFactor,
    }),
    clipByBlockRms(o.d),
    scaleByLearningRate(rho, { flipSign: !decays }),
    o.scaleParameter && scaleByParamBlockRms(o.eps[1]),
    o.beta1 !== undefined && emaUpdates(o.beta1),
    decays && addDecayedWeights(decay, { exclude: o.noDecay }),
    decays && scale(-1),
  );
}

/**
 * Schedule-free AdamW (Defazio et al. 2024) following the authors'
 * reference; evaluate at `optimizer.evalParams(...)` / `withEvalParams`.
 */
export function scheduleFreeAdamW(options?: ScheduleFreeAdamWOptions): GradientTransformation {
  return scheduleFreeRule(resolveOptions('schedule-free-adamw', scheduleFreeAdamwOptions, options));
}
