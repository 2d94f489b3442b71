import * as tf from '@tensorflow/tfjs-core';
import { squaredMoment } from '../ops.js';
import { checkNonNegative, checkRate } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface RmspropRuleOptions {
  alpha?: number;
  eps?: number;
  centered?: boolean;
  momentum?: number;
}

/**
 * torch.optim.RMSprop: `v = α·v + (1 − α)·g²`; centered subtracts the
 * squared running mean of g. ε is added outside the square root,
 * `g / (√(v − ḡ²) + ε)`, as torch does (tfjs' centered RMSProp puts ε inside
 * with the wrong sign, `√(v − (ḡ² + ε))`). With momentum the buffer
 * accumulates the scaled gradient.
 */
export function scaleByRmsprop({
  alpha = 0.99,
  eps = 1e-8,
  centered = false,
  momentum = 0,
}: RmspropRuleOptions = {}) {
  checkRate(alpha, 'alpha');
  checkNonNegative(eps, 'eps');
  checkNonNegative(momentum, 'momentum');
  return perParameter({
    name: 'rmsprop',
    slots: (shape) => ({
      square_avg: { shape },
      ...(centered ? { grad_avg: { shape } } : {}),
      ...(momentum > 0 ? { momentum_buffer: { shape } } : {}),
    }),
    numbers: { step: 0 },
    apply: ({ g, slots, numbers }) => {
      const squareAvg = squaredMoment(slots.square_avg, g, alpha);
      const next: Record<string, tf.Tensor> = { square_avg: squareAvg };
      let avg: tf.Tensor;
      if (centered) {
        const gradAvg = tf.add(slots.grad_avg, tf.mul(tf.sub(g, slots.grad_avg), 1 - alpha));
        next.grad_avg = gradAvg;
        avg = tf.add(tf.sqrt(tf.sub(squareAvg, tf.square(gradAvg))), eps);
      } else {
        avg = tf.add(tf.sqrt(squareAvg), eps);
      }
      let update = tf.div(g, avg);
      if (momentum > 0) {
        update = tf.add(tf.mul(slots.momentum_buffer, momentum), update);
        next.momentum_buffer = update;
      }
      return { update, slots: next, numbers: { step: numbers.step + 1 } };
    },
  });
}
