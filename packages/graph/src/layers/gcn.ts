import { type Rng, ShapeError } from '@kd/core';
import type { Linear } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import {
  addRemainingSelfLoops,
  EdgeIndex,
  type EdgeIndexLike,
  gatherEdgeValues,
} from '../edge-index.js';
import { adjacency, type MessageContext, MessagePassing } from '../message-passing.js';
import { withDefaults, zeros } from '../nn/init.js';
import { glorotLinear, linearForward } from '../nn/linear.js';
import { gatherRows, scatterAdd } from '../scatter.js';
import { type SparseMatrix, spmm } from '../sparse.js';

export interface GCNConvOptions {
  inChannels: number;
  outChannels: number;
  /** Â = A + 2I instead of A + I. */
  improved?: boolean;
  /** Compute the normalisation once and reuse it (transductive learning). */
  cached?: boolean;
  addSelfLoops?: boolean;
  /** Add self-loops and normalise symmetrically on the fly (else use edge weights as given). */
  normalize?: boolean;
  bias?: boolean;
}

/** Edge weights: fixed numbers, or a tensor to learn through. */
export type EdgeWeight = Float32Array | readonly number[] | tf.Tensor1D;

export interface NormalizedGraph {
  edgeIndex: EdgeIndex;
  /** d_i^{-½} · w_ji · d_j^{-½} per edge (host array when the inputs were fixed). */
  weight: Float32Array | tf.Tensor1D;
}

/**
 * PyG `gcn_norm`: `add_remaining_self_loops` (fill 1, or 2 if `improved`),
 * degree at the target, deg^{-½} with inf → 0, and w' = d_j^{-½} w d_i^{-½}.
 * Fixed weights are normalised on the host; a weight tensor stays
 * differentiable.
 */
export function gcnNorm(
  edgeIndex: EdgeIndex,
  edgeWeight?: EdgeWeight,
  options: { improved?: boolean; addSelfLoops?: boolean } = {},
): NormalizedGraph {
  const fill = options.improved ? 2 : 1;
  let ei = edgeIndex;
  let source: Int32Array | undefined;
  if (options.addSelfLoops ?? true) ({ edgeIndex: ei, source } = addRemainingSelfLoops(edgeIndex));
  const n = ei.numNodes;
  const count = edgeWeight instanceof tf.Tensor ? edgeWeight.shape[0] : edgeWeight?.length;
  if (count !== undefined && count !== edgeIndex.numEdges) {
    throw new ShapeError(`${count} edge weights for ${edgeIndex.numEdges} edges`, {
      where: 'gcnNorm.edgeWeight',
    });
  }
  if (!(edgeWeight instanceof tf.Tensor)) {
    const w = source
      ? gatherEdgeValues(edgeWeight, source, fill)
      : Float32Array.from(edgeWeight ?? new Float32Array(ei.numEdges).fill(1));
    const deg = new Float64Array(n);
    for (let e = 0; e < ei.numEdges; e++) deg[ei.dst[e]] += w[e];
    const dinv = deg.map((d) => (d === 0 ? 0 : d ** -0.5));
    for (let e = 0; e < ei.numEdges; e++) w[e] = dinv[ei.src[e]] * w[e] * dinv[ei.dst[e]];
    return { edgeIndex: ei, weight: w };
  }
  const weight = tf.tidy(() => {
    let w: tf.Tensor1D = edgeWeight;
    if (source) {
      const idx = Int32Array.from(source, (s) => (s < 0 ? edgeIndex.numEdges : s));
      w = gatherRows(tf.concat([edgeWeight, tf.tensor1d([fill])]), idx) as tf.Tensor1D;
    }
    const deg = scatterAdd(w, ei.dst, n);
    const dinv = tf.where(tf.greater(deg, 0), tf.rsqrt(tf.maximum(deg, 1e-30)), tf.zerosLike(deg));
    return tf.mul(tf.mul(gatherRows(dinv, ei.src), w), gatherRows(dinv, ei.dst));
  });
  return { edgeIndex: ei, weight: weight as tf.Tensor1D };
}

interface GcnInputs {
  x: tf.Tensor2D;
  weight: Float32Array | tf.Tensor1D | undefined;
}

/**
 * GCNConv (Kipf & Welling 2017), as PyG defines it:
 * X' = D̂^{-½} Â D̂^{-½} X Θ + b, Θ glorot-initialised, b zeros. Parameters:
 * `lin.weight` `[out, in]`, `bias` `[out]`.
 */
export class GCNConv extends MessagePassing<GcnInputs> {
  readonly options: Required<GCNConvOptions>;
  readonly lin: Linear;
  readonly bias: tf.Variable | undefined;
  #cache: { input: EdgeIndex; graph: NormalizedGraph } | undefined;

  constructor(options: GCNConvOptions, rng: Rng) {
    super('sum');
    this.options = withDefaults(
      { improved: false, cached: false, addSelfLoops: true, normalize: true, bias: true },
      options,
    );
    this.lin = this.addModule('lin', glorotLinear(options.inChannels, options.outChannels, rng));
    if (this.options.bias) {
      this.bias = this.addParameter('bias', {
        data: zeros([options.outChannels]),
        shape: [options.outChannels],
      });
    }
  }

  /** The normalised graph this layer propagates over (cached when `cached`). */
  normalized(edgeIndex: EdgeIndex, edgeWeight?: EdgeWeight): NormalizedGraph {
    if (!this.options.normalize) {
      const w =
        edgeWeight instanceof tf.Tensor ? edgeWeight : edgeWeight && Float32Array.from(edgeWeight);
      return { edgeIndex, weight: w ?? new Float32Array(edgeIndex.numEdges).fill(1) };
    }
    // PyG caches on first use; keyed by the edge index here, so a new graph is never served stale.
    if (this.#cache?.input === edgeIndex) return this.#cache.graph;
    const graph = gcnNorm(edgeIndex, edgeWeight, this.options);
    if (this.options.cached) {
      // Cached as numbers, so no tensor outlives the call; like PyG's cache,
      // later calls do not differentiate through learnable edge weights.
      const w =
        graph.weight instanceof tf.Tensor
          ? (graph.weight.dataSync() as Float32Array).slice()
          : graph.weight;
      this.#cache = { input: edgeIndex, graph: { edgeIndex: graph.edgeIndex, weight: w } };
      return this.#cache.graph;
    }
    return graph;
  }

  forward(
    x: tf.Tensor2D | SparseMatrix,
    edgeIndex: EdgeIndexLike,
    edgeWeight?: EdgeWeight,
  ): tf.Tensor2D {
    const n = x.shape[0];
    const ei = EdgeIndex.from(edgeIndex, n, 'GCNConv.edgeIndex');
    return tf.tidy(() => {
      const { edgeIndex: norm, weight } = this.normalized(ei, edgeWeight);
      const h = linearForward(this.lin, x);
      const out = this.propagate(norm, { x: h, weight }) as tf.Tensor2D;
      return this.bias ? tf.add(out, this.bias) : out;
    });
  }

  protected override message(ctx: MessageContext<GcnInputs>): tf.Tensor {
    const xj = ctx.j(ctx.inputs.x);
    const w = ctx.inputs.weight;
    if (!w) return xj;
    const wt = w instanceof tf.Tensor ? w : tf.tensor1d(w);
    return tf.mul(xj, tf.expandDims(wt, 1));
  }

  protected override messageAndAggregate(ctx: MessageContext<GcnInputs>): tf.Tensor {
    return spmm(adjacency(ctx.edgeIndex), ctx.inputs.weight, ctx.inputs.x);
  }

  /** Forgets the cached normalisation (PyG's `_cached_edge_index = None`). */
  resetCache(): void {
    this.#cache = undefined;
  }
}
