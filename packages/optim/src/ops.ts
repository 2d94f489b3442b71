import * as tf from '@tensorflow/tfjs-core';

/*
 * Exact replacements for tfjs ops that the stock wasm backend runs one to
 * two orders of magnitude slower than add or multiply on large tensors
 * (measured on 1M floats: Maximum ≈ 20–30 ms and Sign ≈ 12–17 ms against
 * ≈ 0.4 ms for Add; Mean over axis 0 ≈ 18–26 ms, as it transposes first,
 * against ≈ 0.3 ms for the same sum as a matrix product). Each gives the
 * same float32 result as the op it replaces for finite inputs, which is all
 * an optimiser sees (gradients are checked first). They belong in a backend
 * kernel (see the package README); until then they live here.
 */

/** max(a, b) elementwise, exactly: a·m + b·(1 − m) with m = step(a − b) ∈ {0, 1}. */
export function maximum(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.step(tf.sub(a, b));
    return tf.add(tf.mul(a, m), tf.mul(b, tf.sub(1, m)));
  });
}

/** sign(x) ∈ {−1, 0, 1}, exactly: step(x) − step(−x). */
export function sign(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.step(x), tf.step(tf.mul(x, -1))));
}

/** Mean over one axis; over the first axis of a matrix as a product with a row of ones. */
export function meanAlong(x: tf.Tensor, axis: number): tf.Tensor {
  if (x.rank === 2 && axis === 0) {
    return tf.tidy(() => {
      const [n, m] = x.shape as [number, number];
      return tf.reshape(tf.matMul(tf.fill([1, n], 1 / n), x as tf.Tensor2D), [m]);
    });
  }
  return tf.mean(x, axis);
}

/** An exponential moving average step, `decay·previous + (1 − decay)·x` (optax `update_moment`). */
export function moment(previous: tf.Tensor, x: tf.Tensor, decay: number): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(previous, decay), tf.mul(x, 1 - decay)));
}

/** The same for the square of x (optax `update_moment_per_elem_norm`, order 2). */
export function squaredMoment(previous: tf.Tensor, x: tf.Tensor, decay: number): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(previous, decay), tf.mul(tf.square(x), 1 - decay)));
}
