import { type Rng, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { normal } from '../init.js';
import type { ActivationName } from '../layers/activations.js';
import { type LayerKV, MultiHeadAttention } from '../layers/attention.js';
import { seedDropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { SwiGLU } from '../layers/feed-forward.js';
import { RMSNorm } from '../layers/norm.js';
import { RotaryEmbedding } from '../layers/rotary.js';
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

/** Hugging Face `LlamaConfig`, camelCase, with its defaults. */
export const LlamaConfigSchema = z.object({
  vocabSize: z.number().int().positive().default(32000),
  hiddenSize: z.number().int().positive().default(4096),
  intermediateSize: z.number().int().positive().default(11008),
  numHiddenLayers: z.number().int().nonnegative().default(32),
  numAttentionHeads: z.number().int().positive().default(32),
  /** Grouped-query attention; null means `numAttentionHeads`. */
  numKeyValueHeads: z.number().int().positive().nullable().default(null),
  /** null means hiddenSize / numAttentionHeads. */
  headDim: z.number().int().positive().nullable().default(null),
  hiddenAct: z.string().default('silu'),
  maxPositionEmbeddings: z.number().int().positive().default(2048),
  initializerRange: z.number().positive().default(0.02),
  rmsNormEps: z.number().positive().default(1e-6),
  ropeTheta: z.number().positive().default(10000),
  /** Only unscaled rotary embeddings are implemented. */
  ropeScaling: z.null().default(null),
  attentionBias: z.boolean().default(false),
  attentionDropout: z.number().min(0).max(1).default(0),
  mlpBias: z.boolean().default(false),
  tieWordEmbeddings: z.boolean().default(false),
  bosTokenId: z.number().int().nonnegative().nullable().default(1),
  eosTokenId: z.number().int().nonnegative().nullable().default(2),
  padTokenId: z.number().int().nonnegative().nullable().default(null),
  extra: z.record(z.string(), z.unknown()).default({}),
});
export type LlamaConfig = z.output<typeof LlamaConfigSchema>;
export type LlamaConfigInput = z.input<typeof LlamaConfigSchema>;

function llamaConfig(input: LlamaConfigInput | LlamaConfig): LlamaConfig {
  const c = parseConfig(LlamaConfigSchema, input, 'LlamaConfig');
  const heads = c.numAttentionHeads;
  const kv = c.numKeyValueHeads ?? heads;
  if (heads % kv !== 0) {
    throw new ValidationError(
      `num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kv})`,
      [],
      { where: 'LlamaConfig' },
    );
  }
  if (c.headDim === null && c.hiddenSize % heads !== 0) {
    throw new ValidationError(
      `hidden_size ${c.hiddenSize} is not divisible by ${heads} heads`,
      [],
      {
        where: 'LlamaConfig',
      },
    );
  }
  return c;
}

export class LlamaDecoderLayer extends Module {
  readonly self_attn: MultiHeadAttention;
  readonly mlp: SwiGLU;
  readonly input_layernorm: RMSNorm;
  readonly post_attention_layernorm: RMSNorm;

  constructor(c: LlamaConfig, rotary: RotaryEmbedding, rng: Rng) {
    super();
    const init = normal(c.initializerRange);
    this.self_attn = this.addModule(
      'self_attn',
      new MultiHeadAttention(c.hiddenSize, c.numAttentionHeads, {
        numKvHeads: c.numKeyValueHeads ?? c.numAttentionHeads,
        headDim: c.headDim ?? undefined,
        bias: c.attentionBias,
        dropout: c.attentionDropout,
        rotary,
        rng,
        weightInit: init,
      }),
    );
    this.mlp = this.addModule(
      'mlp',
      new SwiGLU(c.hiddenSize, c.intermediateSize, {
        rng,
        bias: c.mlpBias,
        weightInit: init,
        activation: c.hiddenAct as ActivationName,
      }),
    );
    this.input_layernorm = this.addModule(
      'input_layernorm',
      new RMSNorm(c.hiddenSize, c.rmsNormEps),
    );
    this.post_attention_layernorm = this.addModule(
      'post_attention_layernorm',
      new RMSNorm(c.hiddenSize, c.rmsNormEps),
    );
  }

  forward(
    x: tf.Tensor,
    mask: tf.Tensor | null,
    positions: tf.Tensor,
    past: LayerKV | undefined,
    useCache: boolean,
  ): { output: tf.Tensor; present?: LayerKV } {
    return tf.tidy(() => {
      const a = this.self_attn.forward(this.input_layernorm.forward(x), {
        mask,
        positions,
        past,
        useCache,
      });
      const h = tf.add(x, a.output);
      const output = tf.add(h, this.mlp.forward(this.post_attention_layernorm.forward(h)));
      return a.present ? { output, present: a.present } : { output };
    });
  }
}

/** Hugging Face's `LlamaModel`: `embed_tokens`, `layers.N`, `norm` (RMSNorm), rotary tables. */
export class LlamaModel extends Module {
  readonly config: LlamaConfig;
  readonly embed_tokens: Embedding;
  readonly layers: ModuleList<LlamaDecoderLayer>;
  readonly norm: RMSNorm;
  readonly rotary_emb: RotaryEmbedding;

  constructor(config: LlamaConfigInput | LlamaConfig, options: ModelOptions = {}) {
    super();
    const c = llamaConfig(config);
    this.config = c;
    const rng = modelRng(options);
    this.embed_tokens = this.addModule(
      'embed_tokens',
      new Embedding(c.vocabSize, c.hiddenSize, {
        rng,
        init: normal(c.initializerRange),
        paddingIdx: c.padTokenId ?? undefined,
      }),
    );
    const headDim = c.headDim ?? c.hiddenSize / c.numAttentionHeads;
    this.rotary_emb = new RotaryEmbedding(headDim, c.maxPositionEmbeddings, c.ropeTheta);
    this.layers = this.addModule(
      'layers',
      new ModuleList(
        Array.from(
          { length: c.numHiddenLayers },
          () => new LlamaDecoderLayer(c, this.rotary_emb, rng),
        ),
      ),
    );
    this.norm = this.addModule('norm', new RMSNorm(c.hiddenSize, c.rmsNormEps));
    this.addModule('rotary_emb', this.rotary_emb);
    seedDropout(this, rng.fork('dropout'));
  }

  /** Records `hidden` taps as Hugging Face does (the last one after `norm`). */
  forward(inputs: DecoderInputs): DecoderBodyOutput {
    return tf.tidy(() => {
      const { ids, positions, mask } = decoderPass(
        inputs,
        this.config.maxPositionEmbeddings,
        'LlamaModel',
      );
      return runDecoderLayers(
        this,
        this.embed_tokens.forward(ids),
        this.layers,
        inputs,
        (layer, h, past, useCache) => layer.forward(h, mask, positions, past, useCache),
        (h) => this.norm.forward(h),
      );
    });
  }
}

/** `LlamaForCausalLM`: `model` + `lm_head` (tied to `model.embed_tokens.weight` when configured). */
export class LlamaForCausalLM extends DecoderWithLMHead {
  readonly config: LlamaConfig;
  readonly model: LlamaModel;

  constructor(config: LlamaConfigInput | LlamaConfig, options: ModelOptions = {}) {
    const c = llamaConfig(config);
    const rng = modelRng(options);
    const model = new LlamaModel(c, { rng });
    super(model, {
      bodyName: 'model',
      hiddenSize: c.hiddenSize,
      vocabSize: c.vocabSize,
      maxPositions: c.maxPositionEmbeddings,
      initializerRange: c.initializerRange,
      tiedWeight: c.tieWordEmbeddings ? model.embed_tokens.weight : undefined,
      rng,
    });
    this.config = c;
    this.model = model;
  }
}
