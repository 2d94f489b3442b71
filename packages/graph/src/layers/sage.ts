import type { Rng } from '@kd/core';
import { Linear } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { EdgeIndex, type EdgeIndexLike } from '../edge-index.js';
import { adjacency, type MessageContext, MessagePassing } from '../message-passing.js';
import { withDefaults } from '../nn/init.js';
import { spmm } from '../sparse.js';

export interface SAGEConvOptions {
  inChannels: number;
  outChannels: number;
  aggr?: 'mean' | 'max' | 'sum';
  /** L2-normalise each output row. */
  normalize?: boolean;
  /** Add W₂ x_i (PyG `root_weight`). */
  rootWeight?: boolean;
  bias?: boolean;
}

/**
 * SAGEConv (Hamilton et al. 2017), as PyG defines it:
 * x'_i = W₁ · mean_{j∈N(i)} x_j + W₂ x_i (+ L2 normalisation). Parameters:
 * `lin_l.weight`/`lin_l.bias` (neighbours), `lin_r.weight` (root), torch's
 * default Linear initialisation.
 */
export class SAGEConv extends MessagePassing {
  readonly options: Required<SAGEConvOptions>;
  readonly linL: Linear;
  readonly linR: Linear | undefined;

  constructor(options: SAGEConvOptions, rng: Rng) {
    const opts = withDefaults(
      { aggr: 'mean' as const, normalize: false, rootWeight: true, bias: true },
      options,
    );
    super(opts.aggr);
    this.options = opts;
    this.linL = this.addModule(
      'lin_l',
      new Linear(opts.inChannels, opts.outChannels, { rng, bias: opts.bias }),
    );
    if (opts.rootWeight) {
      this.linR = this.addModule(
        'lin_r',
        new Linear(opts.inChannels, opts.outChannels, { rng, bias: false }),
      );
    }
  }

  forward(x: tf.Tensor2D, edgeIndex: EdgeIndexLike): tf.Tensor2D {
    const ei = EdgeIndex.from(edgeIndex, x.shape[0], 'SAGEConv.edgeIndex');
    return tf.tidy(() => {
      let out = this.linL.forward(this.propagate(ei, { x })) as tf.Tensor2D;
      if (this.linR) out = tf.add(out, this.linR.forward(x));
      if (this.options.normalize) {
        // F.normalize(p=2, eps=1e-12): x / max(‖x‖, eps).
        const norm = tf.maximum(tf.norm(out, 2, 1, true), 1e-12);
        out = tf.div(out, norm) as tf.Tensor2D;
      }
      return out;
    });
  }

  protected override messageAndAggregate(
    ctx: MessageContext<{ x: tf.Tensor }>,
  ): tf.Tensor | undefined {
    if (this.options.aggr === 'max') return undefined;
    const ei = ctx.edgeIndex;
    const w = new Float32Array(ei.numEdges).fill(1);
    if (this.options.aggr === 'mean') {
      const { ptr } = ei.byDst();
      for (let e = 0; e < ei.numEdges; e++) w[e] = 1 / (ptr[ei.dst[e] + 1] - ptr[ei.dst[e]]);
    }
    return spmm(adjacency(ei), w, ctx.inputs.x as tf.Tensor2D);
  }
}
