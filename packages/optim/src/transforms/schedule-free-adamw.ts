import { ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { squaredMoment } from '../ops.js';
import type { ScalarOrSchedule } from '../types.js';
import { checkNonNegative, checkRate, scheduleValue } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface ScheduleFreeAdamWOptions {
  lr?: ScalarOrSchedule;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  warmupSteps?: number;
  /** Polynomial weighting of the average, (t + 1)^r. */
  r?: number;
  weightLrPower?: number;
}

interface Ctx {
  lr: number;
  ckp1: number;
}

/**
 * Schedule-free AdamW (Defazio et al. 2024), following the authors'
 * reference implementation (`adamw_schedulefree_reference.py`):
 * `γₜ = lr·min(1, t/warmup)·√(1 − β₂ᵗ)`, `z ← z − γₜ(g/(√v + ε) + λy)`,
 * `x ← (1 − cₜ)x + cₜz` with `cₜ = γmax² / Σγmax²`, and the parameters hold
 * `y = β₁x + (1 − β₁)z`. Only z and v are stored (x is implied by y and z),
 * the update to y is `cₜ(z − y) + γₜ(β₁(1 − cₜ) − 1)·ĝ`. Evaluate at
 * `x = (y − (1 − β₁)z)/β₁` via `evalParams`.
 *
 * optax's `schedule_free_adamw` differs in two places: ε is added to the
 * bias-corrected √v̂ (here to the raw √v, with the correction folded into γ),
 * and its averaging weight uses the scheduled rate without the √(1 − β₂ᵗ)
 * factor.
 */
export function scheduleFreeAdamW({
  lr = 0.0025,
  betas = [0.9, 0.999],
  eps = 1e-8,
  weightDecay = 0,
  warmupSteps = 0,
  r = 0,
  weightLrPower = 2,
}: ScheduleFreeAdamWOptions = {}) {
  const [b1, b2] = betas;
  if (typeof lr === 'number') checkNonNegative(lr, 'lr');
  checkRate(b1, 'betas[0]');
  if (b1 === 0) {
    throw new ValidationError(
      'betas[0] must be > 0 for schedule-free (x is recovered as (y − (1 − β₁)z)/β₁)',
    );
  }
  checkRate(b2, 'betas[1]');
  checkNonNegative(eps, 'eps');
  checkNonNegative(weightDecay, 'weightDecay');
  checkNonNegative(warmupSteps, 'warmupSteps');
  checkNonNegative(r, 'r');
  checkNonNegative(weightLrPower, 'weightLrPower');
  return perParameter<Ctx>({
    name: 'schedule_free',
    needsParams: true,
    slots: (shape) => ({ z: { shape, init: 'param' }, exp_avg_sq: { shape } }),
    scalars: { k: 0, weight_sum: 0, lr_max: 0 },
    prepare: (s) => {
      const k = s.k;
      const sched = k < warmupSteps ? (k + 1) / warmupSteps : 1;
      const lrT = scheduleValue(lr, k, 'lr') * sched * Math.sqrt(1 - b2 ** (k + 1));
      const lrMax = Math.max(lrT, s.lr_max);
      const weight = (k + 1) ** r * lrMax ** weightLrPower;
      const weightSum = s.weight_sum + weight;
      const ckp1 = weightSum > 0 ? weight / weightSum : 0;
      return {
        ctx: { lr: lrT, ckp1 },
        scalars: { k: k + 1, weight_sum: weightSum, lr_max: lrMax },
      };
    },
    apply: ({ g, slots, param, ctx }) => {
      const y = param!;
      const v = squaredMoment(slots.exp_avg_sq, g, b2);
      let normalized = tf.div(g, tf.add(tf.sqrt(v), eps));
      if (weightDecay !== 0) normalized = tf.add(normalized, tf.mul(y, weightDecay));
      const update = tf.add(
        tf.mul(tf.sub(slots.z, y), ctx.ckp1),
        tf.mul(normalized, ctx.lr * (b1 * (1 - ctx.ckp1) - 1)),
      );
      const z = tf.sub(slots.z, tf.mul(normalized, ctx.lr));
      return { update, slots: { z, exp_avg_sq: v } };
    },
    evalParam: ({ slots, param }) => tf.div(tf.sub(param, tf.mul(slots.z, 1 - b1)), b1),
  });
}
