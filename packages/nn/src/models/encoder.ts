import { ShapeError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { additiveMask } from '../layers/masks.js';
import { Module } from '../module.js';
import { ModuleList } from '../module-list.js';
import { tapsFor } from '../taps.js';
import { type IntInput, intTensor, sameShape } from './inputs.js';

export interface EncoderInputs {
  /** `[B, T]` token ids. */
  inputIds: IntInput;
  /** `[B, T]`: 1 for tokens, 0 for padding (default all ones). */
  attentionMask?: IntInput;
  /** `[B, T]` segment ids (default zeros). */
  tokenTypeIds?: IntInput;
  /** `[B, T]` positions (default 0…T−1). */
  positionIds?: IntInput;
}

export interface EncoderOutput {
  /** `[B, T, d]`. */
  lastHiddenState: tf.Tensor;
  /** `[B, d]`: tanh(dense(h[CLS])) when the model has a pooler. */
  poolerOutput?: tf.Tensor;
}

/** One forward pass's inputs as int32 tensors, with the additive padding mask. */
export interface EncoderPass {
  ids: tf.Tensor;
  tokenTypeIds: tf.Tensor | undefined;
  positionIds: tf.Tensor | undefined;
  /** Additive `[B, 1, 1, T]` mask from `attentionMask` (null without one). */
  mask: tf.Tensor | null;
}

/**
 * Reads `EncoderInputs` (masks and type ids must have the ids' shape).
 * Call inside `tf.tidy`.
 */
export function encoderPass(inputs: EncoderInputs): EncoderPass {
  const ids = intTensor(inputs.inputIds, 'inputIds');
  const [, t] = ids.shape;
  const attention = inputs.attentionMask
    ? intTensor(inputs.attentionMask, 'attentionMask')
    : undefined;
  if (attention) sameShape(ids, attention, 'attentionMask');
  const tokenTypeIds = inputs.tokenTypeIds
    ? intTensor(inputs.tokenTypeIds, 'tokenTypeIds')
    : undefined;
  if (tokenTypeIds) sameShape(ids, tokenTypeIds, 'tokenTypeIds');
  const positionIds = inputs.positionIds ? intTensor(inputs.positionIds, 'positionIds') : undefined;
  const mask = additiveMask({ attentionMask: attention, queryLength: t, keyLength: t });
  return { ids, tokenTypeIds, positionIds, mask };
}

/** Throws unless a sequence of `length` fits the learned position table. */
export function checkSequenceLength(length: number, maxPositions: number, where: string): void {
  if (length > maxPositions) {
    throw new ShapeError(
      `sequence length ${length} exceeds max_position_embeddings ${maxPositions}`,
      { where },
    );
  }
}

/** A layer of a bidirectional encoder: hidden states in, hidden states out. */
export interface EncoderLayer extends Module {
  forward(x: tf.Tensor, mask: tf.Tensor | null): tf.Tensor;
}

/**
 * The stack of encoder layers under `layer.N` (`BertEncoder`,
 * `DistilBertTransformer`). Records the `hidden` taps: its input, then every
 * layer's output (L+1 tensors, Hugging Face's `output_hidden_states`).
 */
export class EncoderLayers<L extends EncoderLayer> extends Module {
  readonly layer: ModuleList<L>;

  constructor(layers: Iterable<L>) {
    super();
    this.layer = this.addModule('layer', new ModuleList(layers));
  }

  forward(x: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    const sink = tapsFor(this);
    const hidden = sink?.wants('hidden') ? sink : undefined;
    return tf.tidy(() => {
      hidden?.record('hidden', x);
      let h = x;
      for (const layer of this.layer) {
        h = layer.forward(h, mask);
        hidden?.record('hidden', h);
      }
      return h;
    });
  }
}
