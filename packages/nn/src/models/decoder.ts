import { ShapeError } from '@kd/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { LayerKV } from '../layers/attention.js';
import { additiveMask } from '../layers/masks.js';
import type { Module } from '../module.js';
import { tapsFor } from '../taps.js';
import { type IntInput, intTensor, positionRange } from './inputs.js';

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

/** What a decoder body (`GPT2Model`, `LlamaModel`) returns. */
export type DecoderBodyOutput = {
  /** `[B, T, d]` after the final norm. */
  lastHiddenState: tf.Tensor;
  cache?: KVCache;
};

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

/** The tensors one forward pass of a decoder shares between its layers. */
export interface DecoderPass {
  /** `[B, T]` int32 token ids of the new positions. */
  ids: tf.Tensor;
  /** `[T]` (or the caller's `[B, T]`) int32 absolute positions. */
  positions: tf.Tensor;
  /** Additive causal mask over the P + T keys, padding included. */
  mask: tf.Tensor | null;
}

/**
 * Reads a forward pass's inputs: the ids of the T new positions after the P
 * cached ones, their positions (P … P+T−1 unless given) and the causal
 * additive mask. Call inside `tf.tidy`.
 */
export function decoderPass(
  inputs: DecoderInputs,
  maxPositions: number,
  where: string,
): DecoderPass {
  const ids = intTensor(inputs.inputIds, 'inputIds');
  const [, t] = ids.shape;
  const past = cacheLength(inputs.cache);
  checkPositions(past, t, maxPositions, where);
  const positions = inputs.positionIds
    ? intTensor(inputs.positionIds, 'positionIds')
    : positionRange(past, t);
  const mask = additiveMask({
    attentionMask: inputs.attentionMask
      ? intTensor(inputs.attentionMask, 'attentionMask')
      : undefined,
    causal: true,
    queryLength: t,
    keyLength: past + t,
  });
  return { ids, positions, mask };
}

/** How a decoder body calls one of its layers (mask and positions bound by the caller). */
export type DecoderLayerCall<L> = (
  layer: L,
  x: tf.Tensor,
  past: LayerKV | undefined,
  useCache: boolean,
) => { output: tf.Tensor; present?: LayerKV };

/**
 * Runs `layers` over the embeddings `x`, then `finalNorm`. Records `owner`'s
 * `hidden` taps as Hugging Face does (each layer's input, then the final
 * norm's output: L+1 tensors) and collects the extended cache when
 * `inputs.useCache`. Call inside `tf.tidy`.
 */
export function runDecoderLayers<L>(
  owner: Module,
  x: tf.Tensor,
  layers: Iterable<L>,
  inputs: DecoderInputs,
  call: DecoderLayerCall<L>,
  finalNorm: (x: tf.Tensor) => tf.Tensor,
): DecoderBodyOutput {
  const sink = tapsFor(owner);
  const hidden = sink?.wants('hidden') ? sink : undefined;
  const presents: KVCache = [];
  let h = x;
  let i = 0;
  for (const layer of layers) {
    hidden?.record('hidden', h);
    const r = call(layer, h, inputs.cache?.[i], inputs.useCache === true);
    if (r.present) presents.push(r.present);
    h = r.output;
    i++;
  }
  const lastHiddenState = finalNorm(h);
  hidden?.record('hidden', lastHiddenState);
  return inputs.useCache ? { lastHiddenState, cache: presents } : { lastHiddenState };
}
