import type { Rng } from '@kd/core';
import type { Linear } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { addSelfLoops, EdgeIndex, type EdgeIndexLike, removeSelfLoops } from '../edge-index.js';
import { adjacency, type MessageContext, MessagePassing } from '../message-passing.js';
import { dropout } from '../nn/dropout.js';
import { glorot, withDefaults, zeros } from '../nn/init.js';
import { glorotLinear, linearForward } from '../nn/linear.js';
import { gatherRows } from '../scatter.js';
import { segmentSoftmax } from '../segment.js';
import { type SparseMatrix, spmm } from '../sparse.js';

export interface GATConvOptions {
  inChannels: number;
  outChannels: number;
  heads?: number;
  /** Concatenate the heads (H·C outputs) or average them (C outputs). */
  concat?: boolean;
  negativeSlope?: number;
  /** Dropout on the normalised attention coefficients (training only). */
  dropout?: number;
  /** Remove existing self-loops, then add one per node (PyG's default). */
  addSelfLoops?: boolean;
  bias?: boolean;
}

interface GatInputs {
  /** Θx, `[N, H·C]`. */
  x: tf.Tensor2D;
  /** α, `[E, H]`. */
  alpha: tf.Tensor2D;
}

/**
 * GATConv (Veličković et al. 2018), as PyG defines it:
 * α_ij = softmax_j(LeakyReLU(a_srcᵀ Θx_j + a_dstᵀ Θx_i)) over N(i) ∪ {i},
 * x'_i = ‖_h Σ_j α_ij^h Θ^h x_j (or the mean over heads) + b. Parameters:
 * `lin.weight` `[H·C, in]`, `att_src`/`att_dst` `[1, H, C]` (glorot), `bias`.
 */
export class GATConv extends MessagePassing<GatInputs> {
  readonly options: Required<GATConvOptions>;
  readonly lin: Linear;
  readonly attSrc: tf.Variable;
  readonly attDst: tf.Variable;
  readonly bias: tf.Variable | undefined;
  readonly #dropoutRng: Rng;

  constructor(options: GATConvOptions, rng: Rng) {
    super('sum');
    this.options = withDefaults(
      { heads: 1, concat: true, negativeSlope: 0.2, dropout: 0, addSelfLoops: true, bias: true },
      options,
    );
    const { inChannels, outChannels: c, heads: h } = this.options;
    this.lin = this.addModule('lin', glorotLinear(inChannels, h * c, rng));
    this.attSrc = this.addParameter('att_src', { data: glorot([1, h, c], rng), shape: [1, h, c] });
    this.attDst = this.addParameter('att_dst', { data: glorot([1, h, c], rng), shape: [1, h, c] });
    if (this.options.bias) {
      const size = this.options.concat ? h * c : c;
      this.bias = this.addParameter('bias', { data: zeros([size]), shape: [size] });
    }
    this.#dropoutRng = rng.fork('gat.attention-dropout');
  }

  /** The edges attention runs over (with the self-loops it adds). */
  graph(edgeIndex: EdgeIndex): EdgeIndex {
    if (!this.options.addSelfLoops) return edgeIndex;
    return addSelfLoops(removeSelfLoops(edgeIndex).edgeIndex).edgeIndex;
  }

  forward(x: tf.Tensor2D | SparseMatrix, edgeIndex: EdgeIndexLike): tf.Tensor2D {
    return this.forwardWithAttention(x, edgeIndex, false).out;
  }

  /**
   * Output plus the attention coefficients `[E', H]` over `edgeIndex` (the
   * graph with self-loops), as PyG's `return_attention_weights=True`.
   */
  forwardWithAttention(
    x: tf.Tensor2D | SparseMatrix,
    edgeIndex: EdgeIndexLike,
    keepAttention = true,
  ): { out: tf.Tensor2D; edgeIndex: EdgeIndex; alpha: tf.Tensor2D | undefined } {
    const n = x.shape[0];
    const ei = this.graph(EdgeIndex.from(edgeIndex, n, 'GATConv.edgeIndex'));
    const { heads: h, outChannels: c } = this.options;
    let alphaOut: tf.Tensor2D | undefined;
    const out = tf.tidy(() => {
      const xs = linearForward(this.lin, x);
      const x3 = tf.reshape(xs, [n, h, c]);
      const aSrc = tf.sum(tf.mul(x3, this.attSrc), -1);
      const aDst = tf.sum(tf.mul(x3, this.attDst), -1);
      let alpha: tf.Tensor2D = tf.leakyRelu(
        tf.add(gatherRows(aSrc, ei.src), gatherRows(aDst, ei.dst)),
        this.options.negativeSlope,
      ) as tf.Tensor2D;
      alpha = segmentSoftmax(alpha, ei.dst, n) as tf.Tensor2D;
      if (keepAttention) alphaOut = tf.keep(alpha.clone()) as tf.Tensor2D;
      alpha = dropout(alpha, this.options.dropout, this.#dropoutRng, this.training) as tf.Tensor2D;
      let y = this.propagate(ei, { x: xs, alpha }) as tf.Tensor2D;
      if (!this.options.concat) y = tf.mean(tf.reshape(y, [n, h, c]), 1) as tf.Tensor2D;
      return (this.bias ? tf.add(y, this.bias) : y) as tf.Tensor2D;
    });
    return { out, edgeIndex: ei, alpha: alphaOut };
  }

  protected override message(ctx: MessageContext<GatInputs>): tf.Tensor {
    const { heads: h, outChannels: c } = this.options;
    const xj = tf.reshape(ctx.j(ctx.inputs.x), [-1, h, c]);
    return tf.reshape(tf.mul(xj, tf.expandDims(ctx.inputs.alpha, -1)), [-1, h * c]);
  }

  protected override messageAndAggregate(ctx: MessageContext<GatInputs>): tf.Tensor {
    return spmm(adjacency(ctx.edgeIndex), ctx.inputs.alpha, ctx.inputs.x);
  }
}
