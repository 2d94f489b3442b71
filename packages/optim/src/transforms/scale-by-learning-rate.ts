import * as tf from '@tensorflow/tfjs-core';
import type { ScalarOrSchedule } from '../types.js';
import { checkNonNegative, scheduleValue } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface ScaleByLearningRateOptions {
  /** Multiply by −lr (a descent step, the default) rather than +lr. */
  flipSign?: boolean;
}

/**
 * Multiplies updates by −lr, where lr is a number or a schedule of the
 * update count (optax `scale_by_learning_rate`). The count and the rate
 * used last are kept as `lr.count` and `lr.value`.
 */
export function scaleByLearningRate(
  lr: ScalarOrSchedule,
  { flipSign = true }: ScaleByLearningRateOptions = {},
) {
  if (typeof lr === 'number') checkNonNegative(lr, 'lr');
  const sign = flipSign ? -1 : 1;
  return perParameter<number>({
    name: 'lr',
    scalars: { count: 0, value: scheduleValue(lr, 0, 'lr') },
    prepare: (s) => {
      const value = scheduleValue(lr, s.count, 'lr');
      return { ctx: sign * value, scalars: { count: s.count + 1, value } };
    },
    apply: ({ g, ctx }) => ({ update: tf.mul(g, ctx) }),
  });
}
