import { ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';

/** What the layers accept as a graph's edges: `[2, E]` as a tensor, nested arrays or typed arrays. */
export type EdgeIndexLike =
  | EdgeIndex
  | tf.Tensor
  | readonly [ArrayLike<number>, ArrayLike<number>]
  | readonly (readonly number[])[];

/** Sorted-by-key view of an edge list: `ptr[k]..ptr[k+1]` index `perm` for key k (CSR/CSC). */
export interface CompressedIndex {
  ptr: Int32Array;
  /** Edge ids in key order (stable: equal keys keep their input order). */
  perm: Int32Array;
}

/**
 * A directed edge list `[2, E]` (row 0: source j, row 1: target i; PyG's
 * `source_to_target` flow) over `numNodes` nodes, held on the host because
 * its structure (degrees, self-loops, CSR) is computed once and reused every
 * epoch. Construction validates every index, so a bad edge fails here with
 * its position, not later as a silent wrong number.
 */
export class EdgeIndex {
  readonly src: Int32Array;
  readonly dst: Int32Array;
  readonly numNodes: number;
  #byDst: CompressedIndex | undefined;
  #bySrc: CompressedIndex | undefined;

  constructor(src: Int32Array, dst: Int32Array, numNodes: number, where = 'edgeIndex') {
    if (src.length !== dst.length) {
      throw new ShapeError(`rows differ in length: ${src.length} sources, ${dst.length} targets`, {
        where,
      });
    }
    if (!Number.isInteger(numNodes) || numNodes < 0) {
      throw new ValidationError(`numNodes must be a non-negative integer, got ${numNodes}`, [], {
        where,
      });
    }
    for (let e = 0; e < src.length; e++) {
      const s = src[e];
      const d = dst[e];
      if (s < 0 || s >= numNodes) {
        throw new ValidationError(
          `source index ${s} of edge ${e} is out of range for ${numNodes} nodes (expected 0 ≤ index < ${numNodes})`,
          [{ path: `${where}[0][${e}]`, message: `out of range: ${s}` }],
          { where: `${where}[0][${e}]` },
        );
      }
      if (d < 0 || d >= numNodes) {
        throw new ValidationError(
          `target index ${d} of edge ${e} is out of range for ${numNodes} nodes (expected 0 ≤ index < ${numNodes})`,
          [{ path: `${where}[1][${e}]`, message: `out of range: ${d}` }],
          { where: `${where}[1][${e}]` },
        );
      }
    }
    this.src = src;
    this.dst = dst;
    this.numNodes = numNodes;
  }

  /**
   * Normalises any `EdgeIndexLike`. `numNodes` defaults to max index + 1
   * (PyG's `maybe_num_nodes`); pass it whenever isolated nodes may trail.
   */
  static from(input: EdgeIndexLike, numNodes?: number, where = 'edgeIndex'): EdgeIndex {
    if (input instanceof EdgeIndex) {
      if (numNodes !== undefined && numNodes !== input.numNodes) {
        throw new ValidationError(
          `edge index is over ${input.numNodes} nodes, but ${numNodes} nodes were given`,
          [],
          { where },
        );
      }
      return input;
    }
    let rows: [ArrayLike<number>, ArrayLike<number>];
    if (input instanceof tf.Tensor) {
      if (input.rank !== 2 || input.shape[0] !== 2) {
        throw new ShapeError(`expected shape [2, E], got [${input.shape.join(', ')}]`, { where });
      }
      const data = input.dataSync();
      const e = (input.shape as number[])[1];
      rows = [data.subarray(0, e), data.subarray(e, 2 * e)];
    } else {
      if (input.length !== 2) {
        throw new ShapeError(`expected 2 rows (sources, targets), got ${input.length}`, { where });
      }
      rows = [input[0], input[1]];
    }
    const src = toInt32(rows[0], `${where}[0]`);
    const dst = toInt32(rows[1], `${where}[1]`);
    let n = numNodes;
    if (n === undefined) {
      n = 0;
      for (let e = 0; e < src.length; e++) n = Math.max(n, src[e] + 1, dst[e] + 1);
    }
    return new EdgeIndex(src, dst, n, where);
  }

  get numEdges(): number {
    return this.src.length;
  }

  /** Edges grouped by target (CSR of the transposed adjacency, PyG's `adj_t`), cached. */
  byDst(): CompressedIndex {
    this.#byDst ??= compress(this.dst, this.numNodes);
    return this.#byDst;
  }

  /** Edges grouped by source, cached. */
  bySrc(): CompressedIndex {
    this.#bySrc ??= compress(this.src, this.numNodes);
    return this.#bySrc;
  }

  /** `[2, E]` int32 tensor (caller disposes). */
  toTensor(): tf.Tensor2D {
    const data = new Int32Array(2 * this.numEdges);
    data.set(this.src, 0);
    data.set(this.dst, this.numEdges);
    return tf.tensor2d(data, [2, this.numEdges], 'int32');
  }

  /** The edges `ids` (in that order), e.g. those of one relation. */
  select(ids: ArrayLike<number>): EdgeIndex {
    const src = new Int32Array(ids.length);
    const dst = new Int32Array(ids.length);
    for (let k = 0; k < ids.length; k++) {
      src[k] = this.src[ids[k]];
      dst[k] = this.dst[ids[k]];
    }
    return new EdgeIndex(src, dst, this.numNodes);
  }
}

function toInt32(values: ArrayLike<number>, where: string): Int32Array {
  if (values instanceof Int32Array) return values;
  const out = new Int32Array(values.length);
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (!Number.isInteger(v)) {
      throw new ValidationError(
        `edge indices must be integers; entry ${k} is ${v}`,
        [{ path: `${where}[${k}]`, message: `not an integer: ${v}` }],
        { where: `${where}[${k}]` },
      );
    }
    out[k] = v;
  }
  return out;
}

/** Counting sort of edge ids by key (stable). */
export function compress(keys: Int32Array, numKeys: number): CompressedIndex {
  const ptr = new Int32Array(numKeys + 1);
  for (let e = 0; e < keys.length; e++) ptr[keys[e] + 1]++;
  for (let k = 0; k < numKeys; k++) ptr[k + 1] += ptr[k];
  const next = ptr.slice(0, numKeys);
  const perm = new Int32Array(keys.length);
  for (let e = 0; e < keys.length; e++) perm[next[keys[e]]++] = e;
  return { ptr, perm };
}

/** Number of edges per node along `index` (optionally weighted), as PyG's `degree`. */
export function degree(
  index: Int32Array,
  numNodes: number,
  weights?: ArrayLike<number>,
): Float32Array {
  const deg = new Float32Array(numNodes);
  for (let e = 0; e < index.length; e++) deg[index[e]] += weights ? weights[e] : 1;
  return deg;
}

/** Result of a self-loop transform: the new edges and where each came from. */
export interface LoopResult {
  edgeIndex: EdgeIndex;
  /**
   * For each new edge, the id of the input edge it copies, or −1 for an added
   * loop: gather edge weights/attributes with it (`fill` where −1).
   */
  source: Int32Array;
}

// Edge indices are immutable, so their self-loop variants are memoised: a
// layer called every epoch on the same graph then reuses one EdgeIndex (and
// its CSR) instead of rebuilding it.
const memo = {
  remove: new WeakMap<EdgeIndex, LoopResult>(),
  add: new WeakMap<EdgeIndex, LoopResult>(),
  remaining: new WeakMap<EdgeIndex, LoopResult>(),
};

function memoised(
  cache: WeakMap<EdgeIndex, LoopResult>,
  edgeIndex: EdgeIndex,
  build: (e: EdgeIndex) => LoopResult,
): LoopResult {
  let r = cache.get(edgeIndex);
  if (!r) {
    r = build(edgeIndex);
    cache.set(edgeIndex, r);
  }
  return r;
}

/** PyG `remove_self_loops`: drops every (i, i) edge, keeping the others in order. */
export function removeSelfLoops(edgeIndex: EdgeIndex): LoopResult {
  return memoised(memo.remove, edgeIndex, removeLoops);
}

/** PyG `add_self_loops`: appends (i, i) for every node, even where one exists. */
export function addSelfLoops(edgeIndex: EdgeIndex): LoopResult {
  return memoised(memo.add, edgeIndex, addLoops);
}

/**
 * PyG `add_remaining_self_loops`: removes existing loops, then appends exactly
 * one loop per node; a node that had a loop keeps that loop's weight (the last
 * one, where it had several), the others get the fill value.
 */
export function addRemainingSelfLoops(edgeIndex: EdgeIndex): LoopResult {
  return memoised(memo.remaining, edgeIndex, addRemainingLoops);
}

function removeLoops(edgeIndex: EdgeIndex): LoopResult {
  const keep: number[] = [];
  for (let e = 0; e < edgeIndex.numEdges; e++) {
    if (edgeIndex.src[e] !== edgeIndex.dst[e]) keep.push(e);
  }
  const source = Int32Array.from(keep);
  return { edgeIndex: edgeIndex.select(source), source };
}

function addLoops(edgeIndex: EdgeIndex): LoopResult {
  const n = edgeIndex.numNodes;
  const e0 = edgeIndex.numEdges;
  const src = new Int32Array(e0 + n);
  const dst = new Int32Array(e0 + n);
  src.set(edgeIndex.src);
  dst.set(edgeIndex.dst);
  const source = new Int32Array(e0 + n).fill(-1);
  for (let e = 0; e < e0; e++) source[e] = e;
  for (let i = 0; i < n; i++) {
    src[e0 + i] = i;
    dst[e0 + i] = i;
  }
  return { edgeIndex: new EdgeIndex(src, dst, n), source };
}

function addRemainingLoops(edgeIndex: EdgeIndex): LoopResult {
  const n = edgeIndex.numNodes;
  const { edgeIndex: noLoops, source: kept } = removeSelfLoops(edgeIndex);
  const loopSource = new Int32Array(n).fill(-1);
  for (let e = 0; e < edgeIndex.numEdges; e++) {
    if (edgeIndex.src[e] === edgeIndex.dst[e]) loopSource[edgeIndex.src[e]] = e;
  }
  const withLoops = addSelfLoops(noLoops).edgeIndex;
  const source = new Int32Array(withLoops.numEdges);
  source.set(kept);
  source.set(loopSource, kept.length);
  return { edgeIndex: withLoops, source };
}

/**
 * PyG `to_undirected` + `coalesce`: adds every reverse edge, sorts by
 * (source, target) and drops duplicates.
 */
export function toUndirected(edgeIndex: EdgeIndex): EdgeIndex {
  const n = edgeIndex.numNodes;
  const keys = new Set<number>();
  const add = (s: number, d: number) => keys.add(s * n + d);
  for (let e = 0; e < edgeIndex.numEdges; e++) {
    add(edgeIndex.src[e], edgeIndex.dst[e]);
    add(edgeIndex.dst[e], edgeIndex.src[e]);
  }
  const sorted = Float64Array.from(keys).sort();
  const src = new Int32Array(sorted.length);
  const dst = new Int32Array(sorted.length);
  for (let k = 0; k < sorted.length; k++) {
    src[k] = Math.floor(sorted[k] / n);
    dst[k] = sorted[k] - src[k] * n;
  }
  return new EdgeIndex(src, dst, n);
}

/** Gathers per-edge values through a `LoopResult.source` map, filling −1 with `fill`. */
export function gatherEdgeValues(
  values: ArrayLike<number> | undefined,
  source: Int32Array,
  fill: number,
): Float32Array {
  const out = new Float32Array(source.length);
  for (let e = 0; e < source.length; e++) {
    const s = source[e];
    out[e] = s < 0 ? fill : values ? values[s] : 1;
  }
  return out;
}
