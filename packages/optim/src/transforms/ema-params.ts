import * as tf from '@tensorflow/tfjs-core';
import { moment } from '../ops.js';
import { checkRate } from '../validate.js';
import { perParameter } from './per-parameter.js';

/**
 * Keeps an exponential moving average of the parameters after each update,
 * `ema = decay·ema + (1 − decay)·θₜ` (torch `AveragedModel` with
 * `get_ema_multi_avg_fn`), starting from the initial parameters. Updates
 * pass through unchanged; put it last in a chain so it sees the final
 * updates. `evalParams` gives the averaged weights.
 */
export function emaParams(decay: number) {
  checkRate(decay, 'ema decay');
  return perParameter({
    name: 'ema',
    needsParams: true,
    slots: (shape) => ({ ema: { shape, init: 'param' } }),
    apply: ({ g, slots, param }) => {
      const next = tf.add(param!, g);
      return {
        update: tf.clone(g),
        slots: { ema: moment(slots.ema, next, decay) },
      };
    },
    evalParam: ({ slots }) => tf.clone(slots.ema),
  });
}
