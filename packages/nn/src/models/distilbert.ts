import { type Rng, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { normal, zeros } from '../init.js';
import { activation } from '../layers/activations.js';
import { attend, mergeHeads, splitHeads } from '../layers/attention.js';
import { Dropout, seedDropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { Linear } from '../layers/linear.js';
import { LayerNorm } from '../layers/norm.js';
import { Module } from '../module.js';
import { type SpanOutput, splitSpanLogits } from './bert.js';
import { labelCount, type ModelOptions, modelRng, parseConfig } from './config.js';
import { checkSequenceLength, type EncoderInputs, EncoderLayers, encoderPass } from './encoder.js';
import { positionRange } from './inputs.js';

/** Hugging Face `DistilBertConfig`, camelCase, with its defaults. */
export const DistilBertConfigSchema = z.object({
  vocabSize: z.number().int().positive().default(30522),
  maxPositionEmbeddings: z.number().int().positive().default(512),
  /** Only learned positions are implemented. */
  sinusoidalPosEmbds: z.literal(false).default(false),
  nLayers: z.number().int().nonnegative().default(6),
  nHeads: z.number().int().positive().default(12),
  dim: z.number().int().positive().default(768),
  hiddenDim: z.number().int().positive().default(3072),
  dropout: z.number().min(0).max(1).default(0.1),
  attentionDropout: z.number().min(0).max(1).default(0.1),
  activation: z.string().default('gelu'),
  initializerRange: z.number().positive().default(0.02),
  qaDropout: z.number().min(0).max(1).default(0.1),
  seqClassifDropout: z.number().min(0).max(1).default(0.2),
  padTokenId: z.number().int().nonnegative().nullable().default(0),
  tieWeightsEncoderDecoder: z.boolean().optional(),
  id2label: z.record(z.string(), z.string()).optional(),
  numLabels: z.number().int().positive().optional(),
  extra: z.record(z.string(), z.unknown()).default({}),
});
export type DistilBertConfig = z.output<typeof DistilBertConfigSchema>;
export type DistilBertConfigInput = z.input<typeof DistilBertConfigSchema>;

/** DistilBERT's LayerNorms use eps 1e-12 (hard-coded in Hugging Face). */
const EPS = 1e-12;

function distilConfig(input: DistilBertConfigInput | DistilBertConfig): DistilBertConfig {
  const c = parseConfig(DistilBertConfigSchema, input, 'DistilBertConfig');
  if (c.dim % c.nHeads !== 0) {
    throw new ValidationError(`dim ${c.dim} is not divisible by n_heads ${c.nHeads}`, [], {
      where: 'DistilBertConfig',
    });
  }
  return c;
}

function lin(c: DistilBertConfig, rng: Rng) {
  return { rng, weightInit: normal(c.initializerRange), biasInit: zeros };
}

export class DistilBertEmbeddings extends Module {
  readonly word_embeddings: Embedding;
  readonly position_embeddings: Embedding;
  readonly LayerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(c: DistilBertConfig, rng: Rng) {
    super();
    const init = normal(c.initializerRange);
    this.word_embeddings = this.addModule(
      'word_embeddings',
      new Embedding(c.vocabSize, c.dim, { rng, init, paddingIdx: c.padTokenId ?? undefined }),
    );
    this.position_embeddings = this.addModule(
      'position_embeddings',
      new Embedding(c.maxPositionEmbeddings, c.dim, { rng, init }),
    );
    this.LayerNorm = this.addModule('LayerNorm', new LayerNorm(c.dim, EPS));
    this.dropout = this.addModule('dropout', new Dropout(c.dropout));
  }

  forward(ids: tf.Tensor, positionIds?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const t = ids.shape[1] as number;
      checkSequenceLength(t, this.position_embeddings.numEmbeddings, 'DistilBertEmbeddings');
      const sum = tf.add(
        this.word_embeddings.forward(ids),
        this.position_embeddings.forward(positionIds ?? positionRange(0, t)),
      );
      return this.dropout.forward(this.LayerNorm.forward(sum));
    });
  }
}

export class MultiHeadSelfAttention extends Module {
  readonly q_lin: Linear;
  readonly k_lin: Linear;
  readonly v_lin: Linear;
  readonly out_lin: Linear;
  readonly dropout: Dropout;
  readonly #heads: number;

  constructor(c: DistilBertConfig, rng: Rng) {
    super();
    this.#heads = c.nHeads;
    this.q_lin = this.addModule('q_lin', new Linear(c.dim, c.dim, lin(c, rng)));
    this.k_lin = this.addModule('k_lin', new Linear(c.dim, c.dim, lin(c, rng)));
    this.v_lin = this.addModule('v_lin', new Linear(c.dim, c.dim, lin(c, rng)));
    this.out_lin = this.addModule('out_lin', new Linear(c.dim, c.dim, lin(c, rng)));
    this.dropout = this.addModule('dropout', new Dropout(c.attentionDropout));
  }

  forward(x: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    return tf.tidy(() => {
      const q = splitHeads(this.q_lin.forward(x), this.#heads);
      const k = splitHeads(this.k_lin.forward(x), this.#heads);
      const v = splitHeads(this.v_lin.forward(x), this.#heads);
      const ctx = attend(this, q, k, v, { mask, dropout: this.dropout });
      return this.out_lin.forward(mergeHeads(ctx));
    });
  }
}

export class FFN extends Module {
  readonly lin1: Linear;
  readonly lin2: Linear;
  readonly dropout: Dropout;
  readonly #act: (x: tf.Tensor) => tf.Tensor;

  constructor(c: DistilBertConfig, rng: Rng) {
    super();
    this.lin1 = this.addModule('lin1', new Linear(c.dim, c.hiddenDim, lin(c, rng)));
    this.lin2 = this.addModule('lin2', new Linear(c.hiddenDim, c.dim, lin(c, rng)));
    this.dropout = this.addModule('dropout', new Dropout(c.dropout));
    this.#act = activation(c.activation);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.dropout.forward(this.lin2.forward(this.#act(this.lin1.forward(x)))));
  }
}

/** Post-LN block: `sa_layer_norm(attn(x) + x)`, then `output_layer_norm(ffn(·) + ·)`. */
export class TransformerBlock extends Module {
  readonly attention: MultiHeadSelfAttention;
  readonly sa_layer_norm: LayerNorm;
  readonly ffn: FFN;
  readonly output_layer_norm: LayerNorm;

  constructor(c: DistilBertConfig, rng: Rng) {
    super();
    this.attention = this.addModule('attention', new MultiHeadSelfAttention(c, rng));
    this.sa_layer_norm = this.addModule('sa_layer_norm', new LayerNorm(c.dim, EPS));
    this.ffn = this.addModule('ffn', new FFN(c, rng));
    this.output_layer_norm = this.addModule('output_layer_norm', new LayerNorm(c.dim, EPS));
  }

  forward(x: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    return tf.tidy(() => {
      const sa = this.sa_layer_norm.forward(tf.add(this.attention.forward(x, mask), x));
      return this.output_layer_norm.forward(tf.add(this.ffn.forward(sa), sa));
    });
  }
}

/** `transformer.layer.N`; records the `hidden` taps: its input, then every layer's output. */
export class DistilBertTransformer extends EncoderLayers<TransformerBlock> {
  constructor(c: DistilBertConfig, rng: Rng) {
    super(Array.from({ length: c.nLayers }, () => new TransformerBlock(c, rng)));
  }
}

/** Hugging Face's `DistilBertModel`: `embeddings` and `transformer.layer.N` (no token types, no pooler). */
export class DistilBertModel extends Module {
  readonly config: DistilBertConfig;
  readonly embeddings: DistilBertEmbeddings;
  readonly transformer: DistilBertTransformer;

  constructor(config: DistilBertConfigInput | DistilBertConfig, options: ModelOptions = {}) {
    super();
    const c = distilConfig(config);
    this.config = c;
    const rng = modelRng(options);
    this.embeddings = this.addModule('embeddings', new DistilBertEmbeddings(c, rng));
    this.transformer = this.addModule('transformer', new DistilBertTransformer(c, rng));
    seedDropout(this, rng.fork('dropout'));
  }

  /** `tokenTypeIds` are not used by DistilBERT and rejected. */
  forward(inputs: EncoderInputs): { lastHiddenState: tf.Tensor } {
    if (inputs.tokenTypeIds) {
      throw new ValidationError('DistilBERT has no token type embeddings; drop tokenTypeIds', [], {
        where: 'DistilBertModel',
      });
    }
    return tf.tidy(() => {
      const { ids, positionIds, mask } = encoderPass(inputs);
      return {
        lastHiddenState: this.transformer.forward(this.embeddings.forward(ids, positionIds), mask),
      };
    });
  }
}

/**
 * `DistilBertForSequenceClassification`: h[CLS] → `pre_classifier` → ReLU →
 * dropout (`seq_classif_dropout`) → `classifier`.
 */
export class DistilBertForSequenceClassification extends Module {
  readonly config: DistilBertConfig;
  readonly distilbert: DistilBertModel;
  readonly pre_classifier: Linear;
  readonly classifier: Linear;
  readonly dropout: Dropout;

  constructor(config: DistilBertConfigInput | DistilBertConfig, options: ModelOptions = {}) {
    super();
    const c = distilConfig(config);
    this.config = c;
    const rng = modelRng(options);
    this.distilbert = this.addModule('distilbert', new DistilBertModel(c, { rng }));
    this.pre_classifier = this.addModule('pre_classifier', new Linear(c.dim, c.dim, lin(c, rng)));
    this.classifier = this.addModule('classifier', new Linear(c.dim, labelCount(c), lin(c, rng)));
    this.dropout = this.addModule('dropout', new Dropout(c.seqClassifDropout));
    seedDropout(this, rng.fork('dropout'));
  }

  forward(inputs: EncoderInputs): { logits: tf.Tensor } {
    return tf.tidy(() => {
      const h = this.distilbert.forward(inputs).lastHiddenState;
      const [b, , d] = h.shape;
      const cls = tf.slice(h, [0, 0, 0], [b, 1, d]).reshape([b, d]);
      const pooled = this.dropout.forward(tf.relu(this.pre_classifier.forward(cls)));
      return { logits: this.classifier.forward(pooled) };
    });
  }
}

/** `DistilBertForTokenClassification`: dropout → `classifier` per token. */
export class DistilBertForTokenClassification extends Module {
  readonly config: DistilBertConfig;
  readonly distilbert: DistilBertModel;
  readonly dropout: Dropout;
  readonly classifier: Linear;

  constructor(config: DistilBertConfigInput | DistilBertConfig, options: ModelOptions = {}) {
    super();
    const c = distilConfig(config);
    this.config = c;
    const rng = modelRng(options);
    this.distilbert = this.addModule('distilbert', new DistilBertModel(c, { rng }));
    this.dropout = this.addModule('dropout', new Dropout(c.dropout));
    this.classifier = this.addModule('classifier', new Linear(c.dim, labelCount(c), lin(c, rng)));
    seedDropout(this, rng.fork('dropout'));
  }

  forward(inputs: EncoderInputs): { logits: tf.Tensor } {
    return tf.tidy(() => ({
      logits: this.classifier.forward(
        this.dropout.forward(this.distilbert.forward(inputs).lastHiddenState),
      ),
    }));
  }
}

/** `DistilBertForQuestionAnswering`: dropout (`qa_dropout`) → `qa_outputs` → start/end logits. */
export class DistilBertForQuestionAnswering extends Module {
  readonly config: DistilBertConfig;
  readonly distilbert: DistilBertModel;
  readonly qa_outputs: Linear;
  readonly dropout: Dropout;

  constructor(config: DistilBertConfigInput | DistilBertConfig, options: ModelOptions = {}) {
    super();
    const c = distilConfig(config);
    this.config = c;
    const rng = modelRng(options);
    this.distilbert = this.addModule('distilbert', new DistilBertModel(c, { rng }));
    this.qa_outputs = this.addModule('qa_outputs', new Linear(c.dim, 2, lin(c, rng)));
    this.dropout = this.addModule('dropout', new Dropout(c.qaDropout));
    seedDropout(this, rng.fork('dropout'));
  }

  forward(inputs: EncoderInputs): SpanOutput {
    return tf.tidy(() =>
      splitSpanLogits(
        this.qa_outputs.forward(
          this.dropout.forward(this.distilbert.forward(inputs).lastHiddenState),
        ),
      ),
    );
  }
}

/**
 * `DistilBertForMaskedLM`: `vocab_transform` → activation →
 * `vocab_layer_norm` → `vocab_projector` (weight tied to the word
 * embeddings, own bias).
 */
export class DistilBertForMaskedLM extends Module {
  readonly config: DistilBertConfig;
  readonly distilbert: DistilBertModel;
  readonly vocab_transform: Linear;
  readonly vocab_layer_norm: LayerNorm;
  readonly vocab_projector: Linear;
  readonly #act: (x: tf.Tensor) => tf.Tensor;

  constructor(config: DistilBertConfigInput | DistilBertConfig, options: ModelOptions = {}) {
    super();
    const c = distilConfig(config);
    this.config = c;
    const rng = modelRng(options);
    this.distilbert = this.addModule('distilbert', new DistilBertModel(c, { rng }));
    this.vocab_transform = this.addModule('vocab_transform', new Linear(c.dim, c.dim, lin(c, rng)));
    this.vocab_layer_norm = this.addModule('vocab_layer_norm', new LayerNorm(c.dim, EPS));
    this.vocab_projector = this.addModule(
      'vocab_projector',
      new Linear(c.dim, c.vocabSize, {
        tiedWeight: this.distilbert.embeddings.word_embeddings.weight,
        biasInit: zeros,
      }),
    );
    this.#act = activation(c.activation);
    seedDropout(this, rng.fork('dropout'));
  }

  forward(inputs: EncoderInputs): { logits: tf.Tensor } {
    return tf.tidy(() => {
      const h = this.distilbert.forward(inputs).lastHiddenState;
      const t = this.vocab_layer_norm.forward(this.#act(this.vocab_transform.forward(h)));
      return { logits: this.vocab_projector.forward(t) };
    });
  }
}
