import * as tf from '@tensorflow/tfjs-core';
import { checkFinite } from '../validate.js';
import { perParameter } from './per-parameter.js';

/** Multiplies updates by a constant (optax `scale`; `scale(-1)` turns a direction into a descent step). */
export function scale(factor: number) {
  checkFinite(factor, 'scale factor');
  return perParameter({ name: 'scale', apply: ({ g }) => ({ update: tf.mul(g, factor) }) });
}
