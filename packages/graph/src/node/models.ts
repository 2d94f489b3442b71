import type { Rng } from '@kd/core';
import { Module } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import type { EdgeIndex } from '../edge-index.js';
import { GATConv } from '../layers/gat.js';
import { GCNConv } from '../layers/gcn.js';
import { dropout, sparseDropout } from '../nn/dropout.js';
import { SparseMatrix } from '../sparse.js';

/** Node features: dense `[N, F]`, or sparse bag-of-words rows. */
export type NodeFeatures = tf.Tensor2D | SparseMatrix;

export interface NodeModel extends Module {
  /** Class logits `[N, C]` (caller disposes). */
  forward(x: NodeFeatures, edgeIndex: EdgeIndex): tf.Tensor2D;
}

function drop(x: NodeFeatures, p: number, rng: Rng, training: boolean): NodeFeatures {
  return x instanceof SparseMatrix
    ? sparseDropout(x, p, rng, training)
    : (dropout(x, p, rng, training) as tf.Tensor2D);
}

export interface GCNOptions {
  inChannels: number;
  hiddenChannels?: number;
  outChannels: number;
  dropout?: number;
  /** Cache the normalised adjacency (transductive training on one graph). */
  cached?: boolean;
}

/**
 * Kipf & Welling's two-layer GCN (and PyG's `examples/gcn.py`):
 * dropout → GCNConv → ReLU → dropout → GCNConv. Parameters `conv1.*`, `conv2.*`.
 */
export class GCN extends Module implements NodeModel {
  readonly conv1: GCNConv;
  readonly conv2: GCNConv;
  readonly p: number;
  readonly #rng: Rng;

  constructor(options: GCNOptions, rng: Rng) {
    super();
    const hidden = options.hiddenChannels ?? 16;
    const cached = options.cached ?? true;
    this.p = options.dropout ?? 0.5;
    this.conv1 = this.addModule(
      'conv1',
      new GCNConv({ inChannels: options.inChannels, outChannels: hidden, cached }, rng),
    );
    this.conv2 = this.addModule(
      'conv2',
      new GCNConv({ inChannels: hidden, outChannels: options.outChannels, cached }, rng),
    );
    this.#rng = rng.fork('gcn.dropout');
  }

  forward(x: NodeFeatures, edgeIndex: EdgeIndex): tf.Tensor2D {
    return tf.tidy(() => {
      const h0 = drop(x, this.p, this.#rng, this.training);
      const h1 = tf.relu(this.conv1.forward(h0, edgeIndex));
      const h2 = dropout(h1, this.p, this.#rng, this.training) as tf.Tensor2D;
      return this.conv2.forward(h2, edgeIndex);
    });
  }
}

export interface GATOptions {
  inChannels: number;
  /** Features per head in the hidden layer. */
  hiddenChannels?: number;
  heads?: number;
  outChannels: number;
  /** Heads of the output layer (averaged): 1 for Cora/CiteSeer, 8 for PubMed. */
  outHeads?: number;
  /** Dropout on inputs, hidden features and attention coefficients. */
  dropout?: number;
}

/**
 * Veličković et al.'s two-layer GAT (and PyG's `examples/gat.py`): dropout →
 * GATConv(8 heads × 8, concat) → ELU → dropout → GATConv(averaged heads).
 */
export class GAT extends Module implements NodeModel {
  readonly conv1: GATConv;
  readonly conv2: GATConv;
  readonly p: number;
  readonly #rng: Rng;

  constructor(options: GATOptions, rng: Rng) {
    super();
    const hidden = options.hiddenChannels ?? 8;
    const heads = options.heads ?? 8;
    this.p = options.dropout ?? 0.6;
    this.conv1 = this.addModule(
      'conv1',
      new GATConv(
        { inChannels: options.inChannels, outChannels: hidden, heads, dropout: this.p },
        rng,
      ),
    );
    this.conv2 = this.addModule(
      'conv2',
      new GATConv(
        {
          inChannels: hidden * heads,
          outChannels: options.outChannels,
          heads: options.outHeads ?? 1,
          concat: false,
          dropout: this.p,
        },
        rng,
      ),
    );
    this.#rng = rng.fork('gat.dropout');
  }

  forward(x: NodeFeatures, edgeIndex: EdgeIndex): tf.Tensor2D {
    return tf.tidy(() => {
      const h0 = drop(x, this.p, this.#rng, this.training);
      const h1 = tf.elu(this.conv1.forward(h0, edgeIndex));
      const h2 = dropout(h1, this.p, this.#rng, this.training) as tf.Tensor2D;
      return this.conv2.forward(h2, edgeIndex);
    });
  }
}
