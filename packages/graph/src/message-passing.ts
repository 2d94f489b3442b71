import { ValidationError } from '@kd/core';
import { Module } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import type { EdgeIndex } from './edge-index.js';
import { gatherRows } from './scatter.js';
import { segmentMax, segmentMean, segmentSoftmax, segmentSum } from './segment.js';
import { SparseMatrix } from './sparse.js';

/**
 * How messages arriving at a node are combined: PyG's `aggr` strings, plus
 * `softmax` (PyG `SoftmaxAggregation`: Σ_j softmax_j(t·m_j) ⊙ m_j per feature).
 */
export type Aggregation = 'sum' | 'add' | 'mean' | 'max' | { softmax: { t?: number } };

/** Combines per-edge messages `[E, ...]` into per-node outputs `[numNodes, ...]` along `index`. */
export function aggregate(
  messages: tf.Tensor,
  index: Int32Array,
  numNodes: number,
  aggr: Aggregation,
): tf.Tensor {
  if (typeof aggr === 'object') {
    const t = aggr.softmax.t ?? 1;
    return tf.tidy(() => {
      const w = segmentSoftmax(t === 1 ? messages : tf.mul(messages, t), index, numNodes);
      return segmentSum(tf.mul(w, messages), index, numNodes);
    });
  }
  switch (aggr) {
    case 'sum':
    case 'add':
      return segmentSum(messages, index, numNodes);
    case 'mean':
      return segmentMean(messages, index, numNodes);
    case 'max':
      return segmentMax(messages, index, numNodes);
    default:
      throw new ValidationError(
        `unknown aggregation ${JSON.stringify(aggr)}; expected sum, add, mean, max or { softmax: { t } }`,
      );
  }
}

const adjacencyCache = new WeakMap<EdgeIndex, SparseMatrix>();

/** The (cached) aggregation matrix of an edge index: entry (i, j) per edge j → i. */
export function adjacency(edgeIndex: EdgeIndex): SparseMatrix {
  let a = adjacencyCache.get(edgeIndex);
  if (!a) {
    a = SparseMatrix.fromEdgeIndex(edgeIndex);
    adjacencyCache.set(edgeIndex, a);
  }
  return a;
}

/**
 * What `message`, `aggregate` and `update` see during one `propagate` call:
 * the inputs, and `j()`/`i()` to lift node tensors to edges — PyG's `x_j`
 * (source, the sender) and `x_i` (target, the receiver).
 */
export class MessageContext<I> {
  readonly edgeIndex: EdgeIndex;
  readonly inputs: I;
  constructor(edgeIndex: EdgeIndex, inputs: I) {
    this.edgeIndex = edgeIndex;
    this.inputs = inputs;
  }

  get numNodes(): number {
    return this.edgeIndex.numNodes;
  }

  /** `x_j`: rows of a node tensor at each edge's source. */
  j(x: tf.Tensor): tf.Tensor {
    return gatherRows(x, this.edgeIndex.src);
  }

  /** `x_i`: rows of a node tensor at each edge's target. */
  i(x: tf.Tensor): tf.Tensor {
    return gatherRows(x, this.edgeIndex.dst);
  }
}

/**
 * PyG's `MessagePassing` for tfjs: `propagate` builds each edge's message
 * (`message`), reduces them at the target (`aggregate`, by `aggr`) and
 * post-processes (`update`). A layer that can do message + aggregate as one
 * sparse product overrides `messageAndAggregate` (PyG's fused path); set
 * `fuse = false` to force the edge-wise path (tests compare the two).
 */
export abstract class MessagePassing<I = { x: tf.Tensor }> extends Module {
  readonly aggr: Aggregation;
  /** Use `messageAndAggregate` when the layer provides one. */
  fuse = true;

  constructor(aggr: Aggregation = 'sum') {
    super();
    this.aggr = aggr;
  }

  /** Runs message → aggregate → update over `edgeIndex` (flow: source → target). */
  propagate(edgeIndex: EdgeIndex, inputs: I): tf.Tensor {
    return tf.tidy(() => {
      const ctx = new MessageContext(edgeIndex, inputs);
      const fused = this.fuse ? this.messageAndAggregate(ctx) : undefined;
      const out = fused ?? this.aggregate(this.message(ctx), ctx);
      return this.update(out, ctx);
    });
  }

  /** Per-edge message; the default sends `x_j`. */
  protected message(ctx: MessageContext<I>): tf.Tensor {
    return ctx.j((ctx.inputs as { x: tf.Tensor }).x);
  }

  protected aggregate(messages: tf.Tensor, ctx: MessageContext<I>): tf.Tensor {
    return aggregate(messages, ctx.edgeIndex.dst, ctx.numNodes, this.aggr);
  }

  /** Fused message + aggregate; `undefined` falls back to the edge-wise path. */
  protected messageAndAggregate(_ctx: MessageContext<I>): tf.Tensor | undefined {
    return undefined;
  }

  protected update(aggregated: tf.Tensor, _ctx: MessageContext<I>): tf.Tensor {
    return aggregated;
  }
}
