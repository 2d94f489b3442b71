import * as tf from '@tensorflow/tfjs-core';
import { maximum, moment } from '../ops.js';
import { checkNonNegative, checkRate } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface AdamaxRuleOptions {
  betas?: readonly [number, number];
  eps?: number;
}

/**
 * torch.optim.Adamax: `u = max(β₂·u, |g| + ε)`, direction `m / u / (1 − β₁ᵗ)`.
 */
export function scaleByAdamax({ betas = [0.9, 0.999], eps = 1e-8 }: AdamaxRuleOptions = {}) {
  const [b1, b2] = betas;
  checkRate(b1, 'betas[0]');
  checkRate(b2, 'betas[1]');
  checkNonNegative(eps, 'eps');
  return perParameter({
    name: 'adamax',
    slots: (shape) => ({ exp_avg: { shape }, exp_inf: { shape } }),
    numbers: { step: 0 },
    apply: ({ g, slots, numbers }) => {
      const step = numbers.step + 1;
      const expAvg = moment(slots.exp_avg, g, b1);
      const expInf = maximum(tf.mul(slots.exp_inf, b2), tf.add(tf.abs(g), eps));
      return {
        update: tf.div(tf.div(expAvg, expInf), 1 - b1 ** step),
        slots: { exp_avg: expAvg, exp_inf: expInf },
        numbers: { step },
      };
    },
  });
}
