import * as tf from '@tensorflow/tfjs-core';
import { perParameter } from './per-parameter.js';

/**
 * LAMB's layer-wise trust ratio (You et al. 2020; optax
 * `scale_by_trust_ratio`): each tensor's update is multiplied by
 * ‖θ‖ / ‖u‖, or by 1 when either norm is zero.
 */
export function scaleByTrustRatio() {
  return perParameter({
    name: 'trust_ratio',
    needsParams: true,
    apply: ({ g, param }) => {
      const paramNorm = tf.sqrt(tf.sum(tf.square(param!)));
      const updateNorm = tf.sqrt(tf.sum(tf.square(g)));
      const zero = tf.logicalOr(tf.equal(paramNorm, 0), tf.equal(updateNorm, 0));
      const ratio = tf.where(zero, tf.onesLike(paramNorm), tf.div(paramNorm, updateNorm));
      return { update: tf.mul(g, ratio) };
    },
  });
}
