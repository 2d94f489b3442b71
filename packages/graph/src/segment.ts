import { ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { gatherRows, scatterAdd } from './scatter.js';
import { customOp } from './sparse.js';

/**
 * Differentiable segment (scatter) reductions over the first axis, as
 * `torch_scatter` / `torch_geometric.utils.scatter` define them: row `e` of
 * `data` goes to segment `ids[e]`; empty segments give 0. They are built on
 * tfjs-core ops (`unsortedSegmentSum`, `gather`) plus host loops for the parts
 * tfjs has no op for (segment max and its argmax), so they run on cpu, wasm
 * (where @kd/core's `initBackend` adds `UnsortedSegmentSum`) and any other
 * backend.
 */
export type SegmentIds = Int32Array | readonly number[] | tf.Tensor;

export type Reduce = 'sum' | 'mean' | 'max';

/** Host copy of segment ids, checked to lie in `[0, numSegments)`. */
export function hostIds(
  ids: SegmentIds,
  numSegments: number,
  rows: number,
  where: string,
): Int32Array {
  const out =
    ids instanceof tf.Tensor
      ? Int32Array.from(ids.dataSync())
      : ids instanceof Int32Array
        ? ids
        : Int32Array.from(ids);
  if (out.length !== rows) {
    throw new ValidationError(`${out.length} segment ids for ${rows} rows`, [], { where });
  }
  for (let e = 0; e < out.length; e++) {
    if (out[e] < 0 || out[e] >= numSegments || !Number.isInteger(out[e])) {
      throw new ValidationError(
        `segment id ${out[e]} at position ${e} is outside [0, ${numSegments})`,
        [{ path: `${where}[${e}]`, message: 'out of range' }],
        { where: `${where}[${e}]` },
      );
    }
  }
  return out;
}

/** Rows per segment. */
export function segmentCounts(ids: Int32Array, numSegments: number): Float32Array {
  const c = new Float32Array(numSegments);
  for (let e = 0; e < ids.length; e++) c[ids[e]]++;
  return c;
}

/** Σ of the rows in each segment. */
export function segmentSum(data: tf.Tensor, ids: SegmentIds, numSegments: number): tf.Tensor {
  const host = hostIds(ids, numSegments, data.shape[0], 'segmentSum.ids');
  return scatterAdd(data, host, numSegments);
}

/** Mean of the rows in each segment (0 for an empty one). */
export function segmentMean(data: tf.Tensor, ids: SegmentIds, numSegments: number): tf.Tensor {
  const host = hostIds(ids, numSegments, data.shape[0], 'segmentMean.ids');
  const counts = segmentCounts(host, numSegments);
  for (let s = 0; s < numSegments; s++) counts[s] = 1 / Math.max(counts[s], 1);
  return tf.tidy(() => {
    const sum = scatterAdd(data, host, numSegments);
    const scale = tf.tensor(counts, [numSegments, ...data.shape.slice(1).map(() => 1)]);
    return tf.mul(sum, scale);
  });
}

interface SegmentMaxPlan {
  /** Max per (segment, feature); 0 for empty segments. */
  max: Float32Array;
  /** Per (row, feature): 1/(ties in its segment) where the row attains the max, else 0. */
  share: Float32Array;
}

function planMax(
  x: ArrayLike<number>,
  ids: Int32Array,
  numSegments: number,
  f: number,
): SegmentMaxPlan {
  const max = new Float32Array(numSegments * f).fill(Number.NEGATIVE_INFINITY);
  for (let e = 0; e < ids.length; e++) {
    const o = ids[e] * f;
    const xo = e * f;
    for (let k = 0; k < f; k++) if (x[xo + k] > max[o + k]) max[o + k] = x[xo + k];
  }
  const ties = new Float32Array(numSegments * f);
  for (let e = 0; e < ids.length; e++) {
    const o = ids[e] * f;
    for (let k = 0; k < f; k++) if (x[e * f + k] === max[o + k]) ties[o + k]++;
  }
  const share = new Float32Array(ids.length * f);
  for (let e = 0; e < ids.length; e++) {
    const o = ids[e] * f;
    for (let k = 0; k < f; k++) {
      if (x[e * f + k] === max[o + k]) share[e * f + k] = 1 / ties[o + k];
    }
  }
  for (let k = 0; k < max.length; k++) if (max[k] === Number.NEGATIVE_INFINITY) max[k] = 0;
  return { max, share };
}

/**
 * Max of the rows in each segment (0 for an empty one). The gradient is split
 * evenly between tied maxima, as `torch.scatter_reduce(reduce='amax')` does.
 */
export function segmentMax(data: tf.Tensor, ids: SegmentIds, numSegments: number): tf.Tensor {
  const host = hostIds(ids, numSegments, data.shape[0], 'segmentMax.ids');
  const rest = data.shape.slice(1);
  const f = rest.reduce((a, d) => a * d, 1);
  const op = customOp(([x], save) => {
    const plan = planMax(x.dataSync(), host, numSegments, f);
    save([]);
    return {
      value: tf.tensor(plan.max, [numSegments, ...rest]),
      gradFunc: (dy: tf.Tensor) =>
        tf.tidy(() => tf.mul(gatherRows(dy, host), tf.tensor(plan.share, x.shape))),
    };
  });
  return op(data);
}

/**
 * `torch_geometric.utils.softmax`: softmax of `src` within each segment (per
 * feature/head), shifted by the segment max (held constant, as PyG detaches
 * it) and with PyG's 1e-16 added to the denominator.
 */
export function segmentSoftmax(src: tf.Tensor, ids: SegmentIds, numSegments: number): tf.Tensor {
  const host = hostIds(ids, numSegments, src.shape[0], 'segmentSoftmax.ids');
  const f = src.shape.slice(1).reduce((a, d) => a * d, 1);
  const { max } = planMax(src.dataSync(), host, numSegments, f);
  const shift = new Float32Array(host.length * f);
  for (let e = 0; e < host.length; e++)
    shift.set(max.subarray(host[e] * f, host[e] * f + f), e * f);
  return tf.tidy(() => {
    const ex = tf.exp(tf.sub(src, tf.tensor(shift, src.shape)));
    const sum = scatterAdd(ex, host, numSegments);
    return tf.div(ex, tf.add(gatherRows(sum, host), 1e-16));
  });
}

/** One of the reductions by name. */
export function segmentReduce(
  data: tf.Tensor,
  ids: SegmentIds,
  numSegments: number,
  reduce: Reduce,
): tf.Tensor {
  switch (reduce) {
    case 'sum':
      return segmentSum(data, ids, numSegments);
    case 'mean':
      return segmentMean(data, ids, numSegments);
    case 'max':
      return segmentMax(data, ids, numSegments);
  }
}
