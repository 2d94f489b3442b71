import type { Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { normal } from '../init.js';
import { activation } from '../layers/activations.js';
import { attend, type LayerKV, mergeHeads, splitHeads } from '../layers/attention.js';
import { Dropout, seedDropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { Conv1D } from '../layers/linear.js';
import { LayerNorm } from '../layers/norm.js';
import { Module } from '../module.js';
import { ModuleList } from '../module-list.js';
import { DecoderWithLMHead } from './causal-lm.js';
import { type ModelOptions, modelRng, parseConfig } from './config.js';
import {
  type DecoderBodyOutput,
  type DecoderInputs,
  decoderPass,
  runDecoderLayers,
} from './decoder.js';

/** Hugging Face `GPT2Config`, camelCase, with its defaults (gpt2 small). */
export const GPT2ConfigSchema = z.object({
  vocabSize: z.number().int().positive().default(50257),
  nPositions: z.number().int().positive().default(1024),
  nEmbd: z.number().int().positive().default(768),
  nLayer: z.number().int().nonnegative().default(12),
  nHead: z.number().int().positive().default(12),
  /** Feed-forward width; null means 4·nEmbd. */
  nInner: z.number().int().positive().nullable().default(null),
  activationFunction: z.string().default('gelu_new'),
  residPdrop: z.number().min(0).max(1).default(0.1),
  embdPdrop: z.number().min(0).max(1).default(0.1),
  attnPdrop: z.number().min(0).max(1).default(0.1),
  layerNormEpsilon: z.number().positive().default(1e-5),
  initializerRange: z.number().positive().default(0.02),
  scaleAttnWeights: z.boolean().default(true),
  /** Only false is implemented (the GPT-2 checkpoints' setting). */
  scaleAttnByInverseLayerIdx: z.literal(false).default(false),
  reorderAndUpcastAttn: z.boolean().default(false),
  tieWordEmbeddings: z.boolean().default(true),
  bosTokenId: z.number().int().nonnegative().nullable().default(50256),
  eosTokenId: z.number().int().nonnegative().nullable().default(50256),
  extra: z.record(z.string(), z.unknown()).default({}),
});
export type GPT2Config = z.output<typeof GPT2ConfigSchema>;
export type GPT2ConfigInput = z.input<typeof GPT2ConfigSchema>;

function gpt2Config(input: GPT2ConfigInput | GPT2Config): GPT2Config {
  return parseConfig(GPT2ConfigSchema, input, 'GPT2Config');
}

export class GPT2Attention extends Module {
  readonly c_attn: Conv1D;
  readonly c_proj: Conv1D;
  readonly attn_dropout: Dropout;
  readonly resid_dropout: Dropout;
  readonly #heads: number;
  readonly #scale: boolean;

  constructor(c: GPT2Config, rng: Rng) {
    super();
    const d = c.nEmbd;
    this.#heads = c.nHead;
    this.#scale = c.scaleAttnWeights;
    this.c_attn = this.addModule(
      'c_attn',
      new Conv1D(d, 3 * d, { rng, weightInit: normal(c.initializerRange) }),
    );
    this.c_proj = this.addModule(
      'c_proj',
      new Conv1D(d, d, { rng, weightInit: normal(c.initializerRange / Math.sqrt(2 * c.nLayer)) }),
    );
    this.attn_dropout = this.addModule('attn_dropout', new Dropout(c.attnPdrop));
    this.resid_dropout = this.addModule('resid_dropout', new Dropout(c.residPdrop));
  }

  forward(
    x: tf.Tensor,
    mask: tf.Tensor | null,
    past: LayerKV | undefined,
    useCache: boolean,
  ): { output: tf.Tensor; present?: LayerKV } {
    return tf.tidy(() => {
      const [q, k0, v0] = tf.split(this.c_attn.forward(x), 3, -1);
      let k = splitHeads(k0, this.#heads);
      let v = splitHeads(v0, this.#heads);
      if (past) {
        k = tf.concat([past.key, k], 2);
        v = tf.concat([past.value, v], 2);
      }
      const ctx = attend(this, splitHeads(q, this.#heads), k, v, {
        mask,
        dropout: this.attn_dropout,
        scaleDivisor: this.#scale ? undefined : 1,
      });
      const output = this.resid_dropout.forward(this.c_proj.forward(mergeHeads(ctx)));
      return useCache ? { output, present: { key: k, value: v } } : { output };
    });
  }
}

export class GPT2MLP extends Module {
  readonly c_fc: Conv1D;
  readonly c_proj: Conv1D;
  readonly dropout: Dropout;
  readonly #act: (x: tf.Tensor) => tf.Tensor;

  constructor(c: GPT2Config, rng: Rng) {
    super();
    const inner = c.nInner ?? 4 * c.nEmbd;
    this.c_fc = this.addModule(
      'c_fc',
      new Conv1D(c.nEmbd, inner, { rng, weightInit: normal(c.initializerRange) }),
    );
    this.c_proj = this.addModule(
      'c_proj',
      new Conv1D(inner, c.nEmbd, {
        rng,
        weightInit: normal(c.initializerRange / Math.sqrt(2 * c.nLayer)),
      }),
    );
    this.dropout = this.addModule('dropout', new Dropout(c.residPdrop));
    this.#act = activation(c.activationFunction);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() =>
      this.dropout.forward(this.c_proj.forward(this.#act(this.c_fc.forward(x)))),
    );
  }
}

/** Pre-LN block: `x + attn(ln_1(x))`, then `+ mlp(ln_2(·))`. */
export class GPT2Block extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: GPT2Attention;
  readonly ln_2: LayerNorm;
  readonly mlp: GPT2MLP;

  constructor(c: GPT2Config, rng: Rng) {
    super();
    this.ln_1 = this.addModule('ln_1', new LayerNorm(c.nEmbd, c.layerNormEpsilon));
    this.attn = this.addModule('attn', new GPT2Attention(c, rng));
    this.ln_2 = this.addModule('ln_2', new LayerNorm(c.nEmbd, c.layerNormEpsilon));
    this.mlp = this.addModule('mlp', new GPT2MLP(c, rng));
  }

  forward(
    x: tf.Tensor,
    mask: tf.Tensor | null,
    past: LayerKV | undefined,
    useCache: boolean,
  ): { output: tf.Tensor; present?: LayerKV } {
    return tf.tidy(() => {
      const a = this.attn.forward(this.ln_1.forward(x), mask, past, useCache);
      const h = tf.add(x, a.output);
      const output = tf.add(h, this.mlp.forward(this.ln_2.forward(h)));
      return a.present ? { output, present: a.present } : { output };
    });
  }
}

/** Hugging Face's `GPT2Model`: `wte`, `wpe`, `drop`, blocks `h.N`, `ln_f`. */
export class GPT2Model extends Module {
  readonly config: GPT2Config;
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly drop: Dropout;
  readonly h: ModuleList<GPT2Block>;
  readonly ln_f: LayerNorm;

  constructor(config: GPT2ConfigInput | GPT2Config, options: ModelOptions = {}) {
    super();
    const c = gpt2Config(config);
    this.config = c;
    const rng = modelRng(options);
    const init = normal(c.initializerRange);
    this.wte = this.addModule('wte', new Embedding(c.vocabSize, c.nEmbd, { rng, init }));
    this.wpe = this.addModule('wpe', new Embedding(c.nPositions, c.nEmbd, { rng, init }));
    this.drop = this.addModule('drop', new Dropout(c.embdPdrop));
    this.h = this.addModule(
      'h',
      new ModuleList(Array.from({ length: c.nLayer }, () => new GPT2Block(c, rng))),
    );
    this.ln_f = this.addModule('ln_f', new LayerNorm(c.nEmbd, c.layerNormEpsilon));
    seedDropout(this, rng.fork('dropout'));
  }

  /**
   * Records the `hidden` taps as Hugging Face does: the embeddings output,
   * each block's input after that, and finally `ln_f` of the last block's
   * output (L+1 tensors).
   */
  forward(inputs: DecoderInputs): DecoderBodyOutput {
    return tf.tidy(() => {
      const { ids, positions, mask } = decoderPass(inputs, this.config.nPositions, 'GPT2Model');
      const x = this.drop.forward(tf.add(this.wte.forward(ids), this.wpe.forward(positions)));
      return runDecoderLayers(
        this,
        x,
        this.h,
        inputs,
        (block, h, past, useCache) => block.forward(h, mask, past, useCache),
        (h) => this.ln_f.forward(h),
      );
    });
  }
}

/** `GPT2LMHeadModel`: `transformer` + `lm_head` (tied to `transformer.wte.weight` by default). */
export class GPT2LMHeadModel extends DecoderWithLMHead {
  readonly config: GPT2Config;
  readonly transformer: GPT2Model;

  constructor(config: GPT2ConfigInput | GPT2Config, options: ModelOptions = {}) {
    const c = gpt2Config(config);
    const rng = modelRng(options);
    const transformer = new GPT2Model(c, { rng });
    super(transformer, {
      bodyName: 'transformer',
      hiddenSize: c.nEmbd,
      vocabSize: c.vocabSize,
      maxPositions: c.nPositions,
      initializerRange: c.initializerRange,
      tiedWeight: c.tieWordEmbeddings ? transformer.wte.weight : undefined,
      rng,
    });
    this.config = c;
    this.transformer = transformer;
  }
}
