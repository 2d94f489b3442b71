import type { Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { normal } from '../init.js';
import { seedDropout } from '../layers/dropout.js';
import { Linear } from '../layers/linear.js';
import { Module, type Parameter } from '../module.js';
import type {
  CausalLanguageModel,
  DecoderBodyOutput,
  DecoderInputs,
  DecoderOutput,
} from './decoder.js';

/** A decoder body: embeddings, layers and the final norm (`GPT2Model`, `LlamaModel`). */
export interface DecoderBody extends Module {
  forward(inputs: DecoderInputs): DecoderBodyOutput;
}

/** How {@link DecoderWithLMHead} registers the body and builds `lm_head`. */
export interface LMHeadOptions {
  /** The body's name, Hugging Face's parameter prefix (`transformer`, `model`). */
  bodyName: string;
  hiddenSize: number;
  vocabSize: number;
  /** Longest sequence the body's positions cover. */
  maxPositions: number;
  /** Std of `lm_head`'s normal initialisation when it is not tied. */
  initializerRange: number;
  /** The input embedding matrix, when `lm_head` shares it. */
  tiedWeight: Parameter | undefined;
  /** The stream the body was built from; `lm_head` draws next. */
  rng: Rng;
}

/**
 * A decoder body plus `lm_head`, a bias-free projection to the vocabulary
 * (tied to the input embeddings when configured): what `GPT2LMHeadModel`
 * and `LlamaForCausalLM` share. Subclasses build the body (consuming `rng`
 * first, as Hugging Face's initialisation order does) and hand it here.
 */
export abstract class DecoderWithLMHead extends Module implements CausalLanguageModel {
  readonly lm_head: Linear;
  readonly #body: DecoderBody;
  readonly #vocabSize: number;
  readonly #maxPositions: number;

  protected constructor(body: DecoderBody, o: LMHeadOptions) {
    super();
    this.#body = this.addModule(o.bodyName, body);
    this.#vocabSize = o.vocabSize;
    this.#maxPositions = o.maxPositions;
    this.lm_head = this.addModule(
      'lm_head',
      new Linear(o.hiddenSize, o.vocabSize, {
        bias: false,
        rng: o.rng,
        weightInit: normal(o.initializerRange),
        tiedWeight: o.tiedWeight,
      }),
    );
    seedDropout(this, o.rng.fork('dropout'));
  }

  get vocabSize(): number {
    return this.#vocabSize;
  }
  get maxPositions(): number {
    return this.#maxPositions;
  }

  forward(inputs: DecoderInputs): DecoderOutput {
    return tf.tidy(() => {
      const out = this.#body.forward(inputs);
      const logits = this.lm_head.forward(out.lastHiddenState);
      return out.cache
        ? { logits, lastHiddenState: out.lastHiddenState, cache: out.cache }
        : { logits, lastHiddenState: out.lastHiddenState };
    });
  }
}
