import * as tf from '@tensorflow/tfjs-core';

/**
 * DoRA's column norm `‖W + s·B·A‖` per output row (PEFT's `get_weight_norm`
 * on the `[out, in]` weight, `dim=1`), computed without forming `B·A`
 * (the factorisation of PEFT PR #3387):
 *
 *   ‖W + sBA‖²_i = ‖W_i‖² + 2s·Σ_k (W Aᵀ)_ik B_ik + s²·Σ_k (B·(A Aᵀ))_ik B_ik
 *
 * and **detached** (DoRA §4.3, as PEFT): no gradient flows into A or B
 * through the norm; the magnitude's gradient and the direction's gradient
 * through `B·A·x` are unaffected.
 */
export function detachedRowNorm(
  weightOutIn: tf.Tensor2D,
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  scaling: number,
): tf.Tensor1D {
  const aShape = a.shape;
  const bShape = b.shape;
  const norm = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [aIn, bIn] = args as tf.Tensor2D[];
    const value = tf.tidy(() => rowNorm(weightOutIn, aIn, bIn, scaling));
    // Shapes, not the inputs, are captured: a tidy may dispose the inputs first.
    return { value, gradFunc: () => [tf.zeros(aShape), tf.zeros(bShape)] };
  });
  return norm(a, b) as tf.Tensor1D;
}

function rowNorm(w: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D, s: number): tf.Tensor1D {
  const base = tf.sum(tf.square(w), 1);
  const cross = tf.sum(tf.mul(tf.matMul(w, a, false, true), b), 1);
  const lowRank = tf.sum(tf.mul(tf.matMul(b, tf.matMul(a, a, false, true)), b), 1);
  const sq = tf.add(tf.add(base, tf.mul(cross, 2 * s)), tf.mul(lowRank, s * s));
  // Rounding can take an exactly-zero row a hair below zero.
  return tf.sqrt(tf.relu(sq)) as tf.Tensor1D;
}

/** The row norm of an explicit `[out, in]` matrix (merging materialises `W + ΔW` anyway). */
export function explicitRowNorm(m: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(m), 1)) as tf.Tensor1D);
}
