import * as tf from '@tensorflow/tfjs-core';
import { checkNonNegative } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface AdagradRuleOptions {
  lrDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}

/**
 * torch.optim.Adagrad: `sum += g²`, direction `g / (√sum + ε)` scaled by
 * `1 / (1 + (step − 1)·lrDecay)` (torch's per-parameter learning-rate decay).
 */
export function scaleByAdagrad({
  lrDecay = 0,
  initialAccumulatorValue = 0,
  eps = 1e-10,
}: AdagradRuleOptions = {}) {
  checkNonNegative(lrDecay, 'lrDecay');
  checkNonNegative(initialAccumulatorValue, 'initialAccumulatorValue');
  checkNonNegative(eps, 'eps');
  return perParameter({
    name: 'adagrad',
    slots: (shape) => ({ sum: { shape, init: initialAccumulatorValue } }),
    numbers: { step: 0 },
    apply: ({ g, slots, numbers }) => {
      const step = numbers.step + 1;
      const sum = tf.add(slots.sum, tf.square(g));
      const decay = 1 / (1 + (step - 1) * lrDecay);
      const update = tf.mul(tf.div(g, tf.add(tf.sqrt(sum), eps)), decay);
      return { update, slots: { sum }, numbers: { step } };
    },
  });
}
