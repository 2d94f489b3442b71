import * as tf from '@tensorflow/tfjs-core';
import { moment, squaredMoment } from '../ops.js';
import { checkNonNegative, checkRate } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface BeliefRuleOptions {
  betas?: readonly [number, number];
  eps?: number;
  epsRoot?: number;
}

/**
 * AdaBelief (Zhuang et al. 2020, Alg. 2; optax `scale_by_belief`):
 * `s = β₂·s + (1 − β₂)·(g − m)² + ε_root` with the new m, direction
 * `m̂ / (√ŝ + ε)`.
 */
export function scaleByBelief({
  betas = [0.9, 0.999],
  eps = 1e-16,
  epsRoot = 1e-16,
}: BeliefRuleOptions = {}) {
  const [b1, b2] = betas;
  checkRate(b1, 'betas[0]');
  checkRate(b2, 'betas[1]');
  checkNonNegative(eps, 'eps');
  checkNonNegative(epsRoot, 'epsRoot');
  return perParameter({
    name: 'adabelief',
    slots: (shape) => ({ exp_avg: { shape }, exp_avg_var: { shape } }),
    numbers: { step: 0 },
    apply: ({ g, slots, numbers }) => {
      const step = numbers.step + 1;
      const expAvg = moment(slots.exp_avg, g, b1);
      const expAvgVar = tf.add(squaredMoment(slots.exp_avg_var, tf.sub(g, expAvg), b2), epsRoot);
      const mHat = tf.div(expAvg, 1 - b1 ** step);
      const sHat = tf.div(expAvgVar, 1 - b2 ** step);
      return {
        update: tf.div(mHat, tf.add(tf.sqrt(sHat), eps)),
        slots: { exp_avg: expAvg, exp_avg_var: expAvgVar },
        numbers: { step },
      };
    },
  });
}
