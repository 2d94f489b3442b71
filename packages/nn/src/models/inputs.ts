import { ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';

/** Token ids, masks and type ids: an int32 tensor `[B, T]` or nested arrays. */
export type IntInput = tf.Tensor | readonly (readonly number[])[];

/**
 * An int32 `[B, T]` tensor from `x` (a tensor passes through; arrays become
 * a new tensor that the caller's tidy owns).
 */
export function intTensor(x: IntInput, where: string): tf.Tensor {
  if (x instanceof tf.Tensor) {
    if (x.rank !== 2) {
      throw new ShapeError(`expected [batch, length], got [${x.shape.join(', ')}]`, { where });
    }
    return x.dtype === 'int32' ? x : tf.cast(x, 'int32');
  }
  if (!Array.isArray(x) || x.length === 0 || !Array.isArray(x[0])) {
    throw new ValidationError(`expected [batch][length] numbers or an int32 tensor`, [], { where });
  }
  const t = x[0].length;
  if (x.some((row) => row.length !== t)) {
    throw new ShapeError(`rows have different lengths; pad them to one length`, { where });
  }
  return tf.tensor2d(x as number[][], [x.length, t], 'int32');
}

/** Asserts that two `[B, T]` inputs have the same shape. */
export function sameShape(a: tf.Tensor, b: tf.Tensor, where: string): void {
  if (a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new ShapeError(`expected [${a.shape.join(', ')}], got [${b.shape.join(', ')}]`, {
      where,
    });
  }
}

/** `[T]` int32 positions `start … start+T−1`. */
export function positionRange(start: number, length: number): tf.Tensor {
  return tf.range(start, start + length, 1, 'int32');
}
