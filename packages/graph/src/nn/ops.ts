import * as tf from '@tensorflow/tfjs-core';
import { customOp } from '../sparse.js';

/** Identity whose gradient is zero (`torch.Tensor.detach`; tfjs has no stopGradient). */
export function detach(x: tf.Tensor): tf.Tensor {
  return customOp(([v], save) => {
    save([]);
    return { value: tf.clone(v), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  })(x);
}

/**
 * log σ(x) = −softplus(−x). tfjs' `logSigmoid` is a customGrad whose
 * gradient reads its input from a closure, which an enclosing `tidy` has
 * already disposed by the time gradients run; softplus is a kernel whose
 * gradient saves what it needs.
 */
export function logSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.neg(tf.softplus(tf.neg(x))));
}
