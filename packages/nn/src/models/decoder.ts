import { ShapeError } from '@kd/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { LayerKV } from '../layers/attention.js';
import type { Module } from '../module.js';
import type { IntInput } from './inputs.js';

/**
 * Keys and values of the positions already seen, one entry per layer
 * (`[B, Hkv, P, dh]` each). A forward pass with `useCache` returns a new
 * cache; the caller disposes the old one (`disposeCache`).
 */
export type KVCache = LayerKV[];

export interface DecoderInputs {
  /** `[B, T]` token ids of the new positions. */
  inputIds: IntInput;
  /** `[B, P + T]`: 1 for tokens, 0 for padding, over past and new positions. */
  attentionMask?: IntInput;
  /** `[B, T]` absolute positions (default P … P+T−1). */
  positionIds?: IntInput;
  /** Keys/values of the P earlier positions. */
  cache?: KVCache;
  /** Return the cache extended with these positions. */
  useCache?: boolean;
}

export type DecoderOutput = {
  /** `[B, T, V]`. */
  logits: tf.Tensor;
  /** `[B, T, d]` after the final norm. */
  lastHiddenState: tf.Tensor;
  cache?: KVCache;
};

/** What generation needs from a decoder language model. */
export interface CausalLanguageModel extends Module {
  readonly vocabSize: number;
  /** Longest sequence the position embeddings / rotary tables cover. */
  readonly maxPositions: number;
  forward(inputs: DecoderInputs): DecoderOutput;
}

export function cacheLength(cache: KVCache | undefined): number {
  return cache && cache.length > 0 ? (cache[0].key.shape[2] as number) : 0;
}

export function disposeCache(cache: KVCache | undefined): void {
  if (!cache) return;
  for (const l of cache) {
    l.key.dispose();
    l.value.dispose();
  }
}

export function checkPositions(past: number, t: number, max: number, where: string): void {
  if (past + t > max) {
    throw new ShapeError(`positions ${past}…${past + t - 1} exceed the model's ${max} positions`, {
      where,
    });
  }
}
