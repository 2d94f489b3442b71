import * as tf from '@tensorflow/tfjs-core';

/**
 * Row gather and scatter-add with host index arrays, the two primitives
 * message passing and embedding lookups are built from. They are the stock
 * tfjs ops: `tf.gather`'s gradient is `UnsortedSegmentSum`, which @kd/core's
 * `initBackend` provides as one linear pass on wasm (where tfjs has none) and
 * cpu (where tfjs' own loops once per segment). Outside `initBackend` the cpu
 * backend's stock kernel makes the backward pass of a large embedding table
 * quadratic.
 */

/** Σ of the rows of `src` with the same id: `[numSegments, ...]`; ids must be in range. */
export function scatterAdd(src: tf.Tensor, ids: Int32Array, numSegments: number): tf.Tensor {
  return tf.tidy(() => tf.unsortedSegmentSum(src, tf.tensor1d(ids, 'int32'), numSegments));
}

/** Rows `ids` of `x` (`tf.gather` on axis 0). */
export function gatherRows(x: tf.Tensor, ids: Int32Array): tf.Tensor {
  return tf.tidy(() => tf.gather(x, tf.tensor1d(ids, 'int32')));
}
