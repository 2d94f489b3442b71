import * as tf from '@tensorflow/tfjs-core';
import { checkPositive } from '../validate.js';
import { perParameter } from './per-parameter.js';

/**
 * Multiplies each tensor's update by max(rms(θ), minScale): Adafactor's
 * relative step size, α = max(ε₂, RMS(θ))·ρ (optax `scale_by_param_block_rms`).
 */
export function scaleByParamBlockRms(minScale = 1e-3) {
  checkPositive(minScale, 'minScale');
  return perParameter({
    name: 'param_block_rms',
    needsParams: true,
    apply: ({ g, param }) => ({
      update: tf.mul(g, tf.maximum(tf.sqrt(tf.mean(tf.square(param!))), minScale)),
    }),
  });
}
