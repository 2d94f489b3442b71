import * as tf from '@tensorflow/tfjs-core';
import { EMPTY_STATE } from '../state.js';
import type { GradientTransformation, Updates } from '../types.js';
import { checkPositive } from '../validate.js';
import { perParameter } from './per-parameter.js';

/** Clips every element to [−maxDelta, maxDelta] (optax `clip`, torch `clip_grad_value_`). */
export function clip(maxDelta: number) {
  checkPositive(maxDelta, 'clip value');
  return perParameter({
    name: 'clip',
    apply: ({ g }) => ({ update: tf.clipByValue(g, -maxDelta, maxDelta) }),
  });
}

/**
 * Rescales all updates together so their global L2 norm is at most
 * `maxNorm`, with torch's `clip_grad_norm_` arithmetic: the factor is
 * `min(1, maxNorm / (norm + 1e-6))` (optax divides by the norm alone).
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation {
  checkPositive(maxNorm, 'max norm');
  return {
    name: 'clip_by_global_norm',
    init: () => EMPTY_STATE,
    update(grads: Updates, state) {
      const names = Object.keys(grads);
      if (names.length === 0) return [{}, state];
      const out = tf.tidy(() => {
        const sumSq = tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))));
        const coef = tf.minimum(tf.div(maxNorm, tf.add(tf.sqrt(sumSq), 1e-6)), 1);
        return Object.fromEntries(names.map((n) => [n, tf.mul(grads[n], coef)]));
      });
      return [out, state];
    },
  };
}

/** Divides each tensor's update by max(1, rms/threshold) (Adafactor's update clipping, d). */
export function clipByBlockRms(threshold: number) {
  checkPositive(threshold, 'clip threshold');
  return perParameter({
    name: 'clip_by_block_rms',
    apply: ({ g }) => ({
      update: tf.div(g, tf.maximum(1, tf.div(tf.sqrt(tf.mean(tf.square(g))), threshold))),
    }),
  });
}
