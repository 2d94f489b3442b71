import * as tf from '@tensorflow/tfjs-core';
import { moment } from '../ops.js';
import { checkRate } from '../validate.js';
import { perParameter } from './per-parameter.js';

export interface EmaUpdatesOptions {
  /** Divide by 1 − decayᵗ (optax `ema(debias=True)`). */
  debias?: boolean;
}

/**
 * An exponential moving average of the updates, `m = decay·m + (1 − decay)·u`
 * (optax `ema`): Adafactor's optional first moment.
 */
export function emaUpdates(decay: number, { debias = false }: EmaUpdatesOptions = {}) {
  checkRate(decay, 'decay');
  return perParameter({
    name: 'momentum',
    slots: (shape) => ({ exp_avg: { shape } }),
    numbers: { step: 0 },
    apply: ({ g, slots, numbers }) => {
      const step = numbers.step + 1;
      const m = moment(slots.exp_avg, g, decay);
      return {
        update: debias ? tf.div(m, 1 - decay ** step) : m,
        slots: { exp_avg: m },
        numbers: { step },
      };
    },
  });
}
