import * as tf from '@tensorflow/tfjs-core';
import { maximum, moment, squaredMoment } from '../ops.js';
import { checkNonNegative, checkRate } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface AdamRuleOptions {
  betas?: readonly [number, number];
  eps?: number;
  amsgrad?: boolean;
}

/**
 * torch.optim.Adam's direction: `m̂ / (√v / √(1 − β₂ᵗ) + ε)` with
 * `m̂ = m / (1 − β₁ᵗ)`. AMSGrad keeps the running maximum of the raw v and
 * bias-corrects that maximum, as torch does (optax bias-corrects before the
 * maximum). The step count t is kept per parameter.
 */
export function scaleByAdam({
  betas = [0.9, 0.999],
  eps = 1e-8,
  amsgrad = false,
}: AdamRuleOptions = {}) {
  const [b1, b2] = betas;
  checkRate(b1, 'betas[0]');
  checkRate(b2, 'betas[1]');
  checkNonNegative(eps, 'eps');
  return perParameter({
    name: 'adam',
    slots: (shape) => ({
      exp_avg: { shape },
      exp_avg_sq: { shape },
      ...(amsgrad ? { max_exp_avg_sq: { shape } } : {}),
    }),
    numbers: { step: 0 },
    apply: ({ g, slots, numbers }) => {
      const step = numbers.step + 1;
      const expAvg = moment(slots.exp_avg, g, b1);
      const expAvgSq = squaredMoment(slots.exp_avg_sq, g, b2);
      const next: Record<string, tf.Tensor> = { exp_avg: expAvg, exp_avg_sq: expAvgSq };
      let second = expAvgSq;
      if (amsgrad) {
        second = maximum(slots.max_exp_avg_sq, expAvgSq);
        next.max_exp_avg_sq = second;
      }
      const bc1 = 1 - b1 ** step;
      const bc2Sqrt = Math.sqrt(1 - b2 ** step);
      // m̂/(√v/√bc₂ + ε) = m/(√v + ε√bc₂)·(√bc₂/bc₁): one full-size op fewer (torch's capturable form).
      const denom = tf.add(tf.sqrt(second), eps * bc2Sqrt);
      return {
        update: tf.mul(tf.div(expAvg, denom), bc2Sqrt / bc1),
        slots: next,
        numbers: { step },
      };
    },
  });
}
