import * as tf from '@tensorflow/tfjs-core';
import { squaredMoment } from '../ops.js';
import { checkNonNegative, checkRate } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface AdadeltaRuleOptions {
  rho?: number;
  eps?: number;
}

/**
 * torch.optim.Adadelta: `v = ρ·v + (1 − ρ)·g²`,
 * `δ = √(u + ε) / √(v + ε) · g`, `u = ρ·u + (1 − ρ)·δ²`; the direction is δ.
 */
export function scaleByAdadelta({ rho = 0.9, eps = 1e-6 }: AdadeltaRuleOptions = {}) {
  checkRate(rho, 'rho');
  checkNonNegative(eps, 'eps');
  return perParameter({
    name: 'adadelta',
    slots: (shape) => ({ square_avg: { shape }, acc_delta: { shape } }),
    numbers: { step: 0 },
    apply: ({ g, slots, numbers }) => {
      const squareAvg = squaredMoment(slots.square_avg, g, rho);
      const std = tf.sqrt(tf.add(squareAvg, eps));
      const delta = tf.mul(tf.div(tf.sqrt(tf.add(slots.acc_delta, eps)), std), g);
      const accDelta = squaredMoment(slots.acc_delta, delta, rho);
      return {
        update: delta,
        slots: { square_avg: squareAvg, acc_delta: accDelta },
        numbers: { step: numbers.step + 1 },
      };
    },
  });
}
