import { ShapeError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Which positions count: a tensor or nested arrays whose shape is the loss
 * input's leading shape (`[B, T]` for `[B, T, V]` logits or `[B, T, d]`
 * hidden states; `[B, S]` — the attention mask — for attention maps).
 * Nonzero means valid, zero means padding. Omitted: every position counts.
 */
export type MaskInput = tf.Tensor | readonly number[] | readonly (readonly number[])[];

/** A float32 0/1 mask of exactly `shape`, or undefined when none was given. */
export function toMask(
  mask: MaskInput | undefined,
  shape: readonly number[],
  where: string,
): tf.Tensor | undefined {
  if (mask === undefined) return undefined;
  const t = mask instanceof tf.Tensor ? mask : tf.tensor(mask as number[][], undefined, 'float32');
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(
      `mask must be [${shape.join(', ')}] (1 = valid, 0 = padding), got [${t.shape.join(', ')}]`,
      { where },
    );
  }
  return tf.cast(tf.notEqual(t, 0), 'float32');
}

/**
 * Σ over valid positions of `values` divided by the number of valid
 * positions (n); 0 when n = 0 (torch gives NaN; a batch of padding should
 * not poison a weighted sum). `values` has the mask's shape. Values at
 * invalid positions are replaced by 0 before summing, so NaN or ±∞ there
 * cannot leak into the loss or its gradient.
 */
export function maskedMean(values: tf.Tensor, mask: tf.Tensor | undefined): tf.Scalar {
  return tf.tidy(() => {
    if (!mask) return tf.mean(values) as tf.Scalar;
    const kept = tf.where(tf.greater(mask, 0), values, tf.zerosLike(values));
    return tf.div(tf.sum(kept), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

/** `x · log(y)` with 0 where x = 0 (the 0·log 0 = 0 convention), from log y. */
export function xLogY(x: tf.Tensor, logY: tf.Tensor): tf.Tensor {
  return tf.where(tf.greater(x, 0), tf.mul(x, logY), tf.zerosLike(x));
}

export function sameShape(a: tf.Tensor, b: tf.Tensor, what: string, where: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(
      `student and teacher ${what} must have the same shape; got student [${a.shape.join(', ')}] and teacher [${b.shape.join(', ')}]`,
      { where },
    );
  }
}

export function checkRank(x: tf.Tensor, rank: number, layout: string, where: string): void {
  if (x.rank !== rank) {
    throw new ShapeError(`expected ${layout}, got [${x.shape.join(', ')}]`, { where });
  }
}
