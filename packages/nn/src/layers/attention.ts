import { type Rng, ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { type Init, zeros } from '../init.js';
import { Module } from '../module.js';
import { tapsFor } from '../taps.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import type { RotaryEmbedding } from './rotary.js';

export interface AttendOptions {
  /** Additive mask broadcastable to `[B, H, T, S]` (see `additiveMask`). */
  mask?: tf.Tensor | null;
  /** Scores are divided by this; default √dh. */
  scaleDivisor?: number;
  /** Applied to the probabilities in training (BERT's attention dropout). */
  dropout?: Dropout;
}

/**
 * Scaled dot-product attention, shared by every attention module:
 * `softmax(QKᵀ/√dh + mask)·V` with q `[B, H, T, dh]` and k, v
 * `[B, Hkv, S, dh]`. With Hkv < H (grouped-query attention) query head h
 * uses key/value head ⌊h/(H/Hkv)⌋, as Hugging Face's `repeat_kv` and
 * llama2.c do; it is computed by grouping the queries, without copying the
 * keys and values H/Hkv times. Records the taps `owner` is asked for
 * (queries, keys, values, scores, attentions) from tensors it computes
 * anyway. Returns the context `[B, H, T, dh]`.
 */
export function attend(
  owner: Module,
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: AttendOptions = {},
): tf.Tensor {
  const [b, h, t, dh] = q.shape;
  const [kb, hkv, s, kdh] = k.shape;
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4 || kb !== b || kdh !== dh) {
    throw new ShapeError(
      `expected q [B, H, T, dh] and k, v [B, Hkv, S, dh]; got q [${q.shape}], k [${k.shape}], v [${v.shape}]`,
      { where: 'attend' },
    );
  }
  if (h % hkv !== 0 || v.shape[1] !== hkv || v.shape[2] !== s) {
    throw new ShapeError(
      `query heads (${h}) must be a multiple of key/value heads (${hkv}); got k [${k.shape}], v [${v.shape}]`,
      { where: 'attend' },
    );
  }
  const rep = h / hkv;
  const sink = tapsFor(owner);
  return tf.tidy(() => {
    if (sink) {
      if (sink.wants('queries')) sink.record('queries', q);
      if (sink.wants('keys')) sink.record('keys', k);
      if (sink.wants('values')) sink.record('values', v);
    }
    const qg = rep === 1 ? q : q.reshape([b, hkv, rep * t, dh]);
    let scores = tf.matMul(qg, k, false, true);
    if (rep !== 1) scores = scores.reshape([b, h, t, s]);
    scores = tf.div(scores, options.scaleDivisor ?? Math.sqrt(dh));
    if (options.mask) scores = tf.add(scores, options.mask);
    if (sink?.wants('scores')) sink.record('scores', scores);
    const probs = tf.softmax(scores);
    if (sink?.wants('attentions')) sink.record('attentions', probs);
    const dropped = options.dropout ? options.dropout.forward(probs) : probs;
    const pg = rep === 1 ? dropped : dropped.reshape([b, hkv, rep * t, s]);
    const ctx = tf.matMul(pg, v);
    return rep === 1 ? ctx : ctx.reshape([b, h, t, dh]);
  });
}

/** `[B, T, H·dh]` → `[B, H, T, dh]`. */
export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor {
  const [b, t, d] = x.shape;
  return tf.transpose(x.reshape([b, t, heads, d / heads]), [0, 2, 1, 3]);
}

/** `[B, H, T, dh]` → `[B, T, H·dh]`. */
export function mergeHeads(x: tf.Tensor): tf.Tensor {
  const [b, h, t, dh] = x.shape;
  return tf.transpose(x, [0, 2, 1, 3]).reshape([b, t, h * dh]);
}

/** Keys and values of earlier positions for one layer: `[B, Hkv, P, dh]` each. */
export type LayerKV = {
  key: tf.Tensor;
  value: tf.Tensor;
};

export interface AttentionCallOptions {
  /** Additive mask from `additiveMask`. */
  mask?: tf.Tensor | null;
  /** Absolute positions `[T]` or `[B, T]` (int32), for rotary embeddings. */
  positions?: tf.Tensor;
  /** Cached keys/values of earlier positions. */
  past?: LayerKV;
  /** Also return this call's keys/values with the past prepended. */
  useCache?: boolean;
}

export interface MultiHeadAttentionOptions {
  /** Key/value heads (grouped-query attention); default `numHeads`. */
  numKvHeads?: number;
  /** Default dim / numHeads. */
  headDim?: number;
  /** Biases on the q/k/v/o projections; default false (Llama). */
  bias?: boolean;
  /** Attention-probability dropout. */
  dropout?: number;
  rotary?: RotaryEmbedding;
  rng?: Rng;
  weightInit?: Init;
}

/**
 * Multi-head attention with Hugging Face Llama's layout and names
 * (`q_proj`, `k_proj`, `v_proj`, `o_proj`): optional grouped-query heads,
 * rotary positions, KV cache. BERT, DistilBERT and GPT-2 keep their own
 * layouts but share {@link attend}.
 */
export class MultiHeadAttention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly #dropout: Dropout | undefined;
  readonly #rotary: RotaryEmbedding | undefined;

  constructor(
    readonly dim: number,
    numHeads: number,
    options: MultiHeadAttentionOptions = {},
  ) {
    super();
    this.numHeads = numHeads;
    this.numKvHeads = options.numKvHeads ?? numHeads;
    this.headDim = options.headDim ?? dim / numHeads;
    if (!Number.isInteger(this.headDim) || numHeads % this.numKvHeads !== 0) {
      throw new ValidationError(
        `attention: dim ${dim} must split into ${numHeads} heads and heads (${numHeads}) must be a multiple of key/value heads (${this.numKvHeads})`,
      );
    }
    const lin = {
      rng: options.rng,
      bias: options.bias ?? false,
      weightInit: options.weightInit,
      biasInit: zeros,
    };
    this.q_proj = this.addModule('q_proj', new Linear(dim, numHeads * this.headDim, lin));
    this.k_proj = this.addModule('k_proj', new Linear(dim, this.numKvHeads * this.headDim, lin));
    this.v_proj = this.addModule('v_proj', new Linear(dim, this.numKvHeads * this.headDim, lin));
    this.o_proj = this.addModule('o_proj', new Linear(numHeads * this.headDim, dim, lin));
    if (options.dropout)
      this.#dropout = this.addModule('attn_dropout', new Dropout(options.dropout));
    this.#rotary = options.rotary;
  }

  /** `x [B, T, dim]` → `{ output [B, T, dim], present? }`. */
  forward(
    x: tf.Tensor,
    options: AttentionCallOptions = {},
  ): { output: tf.Tensor; present?: LayerKV } {
    if (this.#rotary && !options.positions) {
      throw new ValidationError('rotary attention needs positions', [], {
        where: 'MultiHeadAttention',
      });
    }
    return tf.tidy(() => {
      let q = splitHeads(this.q_proj.forward(x), this.numHeads);
      let k = splitHeads(this.k_proj.forward(x), this.numKvHeads);
      let v = splitHeads(this.v_proj.forward(x), this.numKvHeads);
      if (this.#rotary && options.positions) {
        q = this.#rotary.forward(q, options.positions);
        k = this.#rotary.forward(k, options.positions);
      }
      if (options.past) {
        k = tf.concat([options.past.key, k], 2);
        v = tf.concat([options.past.value, v], 2);
      }
      const ctx = attend(this, q, k, v, { mask: options.mask, dropout: this.#dropout });
      const output = this.o_proj.forward(mergeHeads(ctx));
      return options.useCache ? { output, present: { key: k, value: v } } : { output };
    });
  }
}
