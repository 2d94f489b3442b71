import * as tf from '@tensorflow/tfjs-core';
import { moment, squaredMoment } from '../ops.js';
import { checkNonNegative, checkRate } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface RadamRuleOptions {
  betas?: readonly [number, number];
  eps?: number;
}

/**
 * torch.optim.RAdam: while the variance of the adaptive rate is intractable
 * (ρₜ ≤ 5) the direction is the bias-corrected momentum m̂; after that it is
 * `m̂ · r · √(1 − β₂ᵗ) / (√v + ε)` with the rectification r of Liu et al.
 * Note ε sits next to the raw √v here, not next to the bias-corrected one as
 * in Adam; torch does this and so do we.
 */
export function scaleByRadam({ betas = [0.9, 0.999], eps = 1e-8 }: RadamRuleOptions = {}) {
  const [b1, b2] = betas;
  checkRate(b1, 'betas[0]');
  checkRate(b2, 'betas[1]');
  checkNonNegative(eps, 'eps');
  const rhoInf = 2 / (1 - b2) - 1;
  return perParameter({
    name: 'radam',
    slots: (shape) => ({ exp_avg: { shape }, exp_avg_sq: { shape } }),
    numbers: { step: 0 },
    apply: ({ g, slots, numbers }) => {
      const step = numbers.step + 1;
      const expAvg = moment(slots.exp_avg, g, b1);
      const expAvgSq = squaredMoment(slots.exp_avg_sq, g, b2);
      const bc1 = 1 - b1 ** step;
      const bc2 = 1 - b2 ** step;
      const rhoT = rhoInf - (2 * step * b2 ** step) / bc2;
      const corrected = tf.div(expAvg, bc1);
      let update = corrected;
      if (rhoT > 5) {
        const rect = Math.sqrt(
          ((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT),
        );
        update = tf.div(tf.mul(corrected, rect * Math.sqrt(bc2)), tf.add(tf.sqrt(expAvgSq), eps));
      }
      return { update, slots: { exp_avg: expAvg, exp_avg_sq: expAvgSq }, numbers: { step } };
    },
  });
}
