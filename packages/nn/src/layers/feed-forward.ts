import type { Rng } from '@kd/core';
import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import { type Init, zeros } from '../init.js';
import { Module } from '../module.js';
import { type ActivationName, activation } from './activations.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';

export interface FeedForwardOptions {
  rng?: Rng;
  /** Default `gelu` (exact). */
  activation?: ActivationName;
  /** Default true. */
  bias?: boolean;
  dropout?: number;
  weightInit?: Init;
}

/**
 * `fc2(dropout(act(fc1(x))))`: the two-layer position-wise feed-forward of a
 * transformer block, for models built from parts (the bundled BERT, GPT-2 and
 * Llama keep their Hugging Face module layouts instead).
 */
export class FeedForward extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly dropout: Dropout;
  readonly #act: (x: tf.Tensor) => tf.Tensor;

  constructor(dim: number, hidden: number, options: FeedForwardOptions = {}) {
    super();
    const lin = {
      rng: options.rng,
      bias: options.bias,
      weightInit: options.weightInit,
      biasInit: zeros,
    };
    this.fc1 = this.addModule('fc1', new Linear(dim, hidden, lin));
    this.fc2 = this.addModule('fc2', new Linear(hidden, dim, lin));
    this.dropout = this.addModule('dropout', new Dropout(options.dropout ?? 0));
    this.#act = activation(options.activation ?? 'gelu');
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tfc.tidy(() => this.fc2.forward(this.dropout.forward(this.#act(this.fc1.forward(x)))));
  }
}

/**
 * Llama's gated feed-forward `down(act(gate(x)) ⊙ up(x))` with SiLU (SwiGLU),
 * under Hugging Face's names `gate_proj`, `up_proj`, `down_proj` (llama2.c's
 * w1, w3, w2).
 */
export class SwiGLU extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;
  readonly #act: (x: tf.Tensor) => tf.Tensor;

  constructor(
    dim: number,
    hidden: number,
    options: { rng?: Rng; bias?: boolean; weightInit?: Init; activation?: ActivationName } = {},
  ) {
    super();
    const lin = {
      rng: options.rng,
      bias: options.bias ?? false,
      weightInit: options.weightInit,
      biasInit: zeros,
    };
    this.gate_proj = this.addModule('gate_proj', new Linear(dim, hidden, lin));
    this.up_proj = this.addModule('up_proj', new Linear(dim, hidden, lin));
    this.down_proj = this.addModule('down_proj', new Linear(hidden, dim, lin));
    this.#act = activation(options.activation ?? 'silu');
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tfc.tidy(() =>
      this.down_proj.forward(
        tfc.mul(this.#act(this.gate_proj.forward(x)), this.up_proj.forward(x)),
      ),
    );
  }
}
