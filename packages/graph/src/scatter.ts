import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './sparse.js';

/**
 * tfjs-backend-cpu implements `UnsortedSegmentSum` — the kernel behind
 * `tf.unsortedSegmentSum` and `tf.gather`'s gradient — as one masked sum per
 * segment, O(numSegments × size): an embedding table of 14k rows makes every
 * backward pass crawl. On that backend these two ops use a linear host loop
 * instead; elsewhere (wasm with @kd/core's kernel, GPU backends) they are the
 * stock ops. Both paths give the same numbers.
 */
function hostPath(): boolean {
  return tf.getBackend() === 'cpu';
}

function rowSize(x: tf.Tensor): number {
  return x.shape.slice(1).reduce((a, d) => a * d, 1);
}

function hostScatter(x: ArrayLike<number>, ids: Int32Array, n: number, f: number): Float32Array {
  const out = new Float32Array(n * f);
  for (let e = 0; e < ids.length; e++) {
    const o = ids[e] * f;
    const s = e * f;
    for (let k = 0; k < f; k++) out[o + k] += x[s + k];
  }
  return out;
}

/** Σ of the rows of `src` with the same id: `[numSegments, ...]`; ids must be in range. */
export function scatterAdd(src: tf.Tensor, ids: Int32Array, numSegments: number): tf.Tensor {
  if (!hostPath()) {
    return tf.tidy(() => tf.unsortedSegmentSum(src, tf.tensor1d(ids, 'int32'), numSegments));
  }
  const rest = src.shape.slice(1);
  return customOp(([x], save) => {
    save([]);
    return {
      value: tf.tensor(hostScatter(x.dataSync(), ids, numSegments, rowSize(x)), [
        numSegments,
        ...rest,
      ]),
      gradFunc: (dy: tf.Tensor) => gatherRows(dy, ids),
    };
  })(src);
}

/** Rows `ids` of `x` (`tf.gather` on axis 0) with a linear-time gradient on every backend. */
export function gatherRows(x: tf.Tensor, ids: Int32Array): tf.Tensor {
  if (!hostPath()) return tf.tidy(() => tf.gather(x, tf.tensor1d(ids, 'int32')));
  const n = x.shape[0];
  return customOp(([v], save) => {
    save([]);
    return {
      value: tf.tidy(() => tf.gather(v, tf.tensor1d(ids, 'int32'))),
      gradFunc: (dy: tf.Tensor) => scatterAdd(dy, ids, n),
    };
  })(x);
}
