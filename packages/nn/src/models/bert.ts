import type { Rng } from '@kd/core';
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
import { labelCount, type ModelOptions, modelRng, parseConfig } from './config.js';
import {
  checkSequenceLength,
  type EncoderInputs,
  EncoderLayers,
  type EncoderOutput,
  encoderPass,
} from './encoder.js';
import { positionRange } from './inputs.js';

/** Hugging Face `BertConfig`, camelCase, with its defaults (bert-base). */
export const BertConfigSchema = z.object({
  vocabSize: z.number().int().positive().default(30522),
  hiddenSize: z.number().int().positive().default(768),
  numHiddenLayers: z.number().int().nonnegative().default(12),
  numAttentionHeads: z.number().int().positive().default(12),
  intermediateSize: z.number().int().positive().default(3072),
  hiddenAct: z.string().default('gelu'),
  hiddenDropoutProb: z.number().min(0).max(1).default(0.1),
  attentionProbsDropoutProb: z.number().min(0).max(1).default(0.1),
  maxPositionEmbeddings: z.number().int().positive().default(512),
  typeVocabSize: z.number().int().positive().default(2),
  initializerRange: z.number().positive().default(0.02),
  layerNormEps: z.number().positive().default(1e-12),
  padTokenId: z.number().int().nonnegative().nullable().default(0),
  /** Only `absolute` is implemented. */
  positionEmbeddingType: z.literal('absolute').default('absolute'),
  classifierDropout: z.number().min(0).max(1).nullable().default(null),
  /** Classification heads: label names by index (length = number of labels). */
  id2label: z.record(z.string(), z.string()).optional(),
  numLabels: z.number().int().positive().optional(),
  extra: z.record(z.string(), z.unknown()).default({}),
});
export type BertConfig = z.output<typeof BertConfigSchema>;
export type BertConfigInput = z.input<typeof BertConfigSchema>;

function bertConfig(input: BertConfigInput | BertConfig): BertConfig {
  return parseConfig(BertConfigSchema, input, 'BertConfig');
}

export class BertEmbeddings extends Module {
  readonly word_embeddings: Embedding;
  readonly position_embeddings: Embedding;
  readonly token_type_embeddings: Embedding;
  readonly LayerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(c: BertConfig, rng: Rng) {
    super();
    const init = normal(c.initializerRange);
    this.word_embeddings = this.addModule(
      'word_embeddings',
      new Embedding(c.vocabSize, c.hiddenSize, {
        rng,
        init,
        paddingIdx: c.padTokenId ?? undefined,
      }),
    );
    this.position_embeddings = this.addModule(
      'position_embeddings',
      new Embedding(c.maxPositionEmbeddings, c.hiddenSize, { rng, init }),
    );
    this.token_type_embeddings = this.addModule(
      'token_type_embeddings',
      new Embedding(c.typeVocabSize, c.hiddenSize, { rng, init }),
    );
    this.LayerNorm = this.addModule('LayerNorm', new LayerNorm(c.hiddenSize, c.layerNormEps));
    this.dropout = this.addModule('dropout', new Dropout(c.hiddenDropoutProb));
  }

  forward(inputIds: tf.Tensor, tokenTypeIds?: tf.Tensor, positionIds?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [, t] = inputIds.shape;
      checkSequenceLength(t, this.position_embeddings.numEmbeddings, 'BertEmbeddings');
      const words = this.word_embeddings.forward(inputIds);
      const types = this.token_type_embeddings.forward(tokenTypeIds ?? tf.zerosLike(inputIds));
      const positions = this.position_embeddings.forward(positionIds ?? positionRange(0, t));
      const sum = tf.add(tf.add(words, types), positions);
      return this.dropout.forward(this.LayerNorm.forward(sum));
    });
  }
}

export class BertSelfAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly dropout: Dropout;
  readonly numHeads: number;

  constructor(c: BertConfig, rng: Rng) {
    super();
    const lin = { rng, weightInit: normal(c.initializerRange), biasInit: zeros };
    this.numHeads = c.numAttentionHeads;
    this.query = this.addModule('query', new Linear(c.hiddenSize, c.hiddenSize, lin));
    this.key = this.addModule('key', new Linear(c.hiddenSize, c.hiddenSize, lin));
    this.value = this.addModule('value', new Linear(c.hiddenSize, c.hiddenSize, lin));
    this.dropout = this.addModule('dropout', new Dropout(c.attentionProbsDropoutProb));
  }

  forward(x: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    return tf.tidy(() => {
      const q = splitHeads(this.query.forward(x), this.numHeads);
      const k = splitHeads(this.key.forward(x), this.numHeads);
      const v = splitHeads(this.value.forward(x), this.numHeads);
      return mergeHeads(attend(this, q, k, v, { mask, dropout: this.dropout }));
    });
  }
}

/** `LayerNorm(dropout(dense(h)) + residual)`: BERT's post-norm sublayer output. */
export class BertResidualOutput extends Module {
  readonly dense: Linear;
  readonly LayerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(c: BertConfig, inDim: number, rng: Rng) {
    super();
    const lin = { rng, weightInit: normal(c.initializerRange), biasInit: zeros };
    this.dense = this.addModule('dense', new Linear(inDim, c.hiddenSize, lin));
    this.LayerNorm = this.addModule('LayerNorm', new LayerNorm(c.hiddenSize, c.layerNormEps));
    this.dropout = this.addModule('dropout', new Dropout(c.hiddenDropoutProb));
  }

  forward(h: tf.Tensor, residual: tf.Tensor): tf.Tensor {
    return tf.tidy(() =>
      this.LayerNorm.forward(tf.add(this.dropout.forward(this.dense.forward(h)), residual)),
    );
  }
}

export class BertAttention extends Module {
  readonly self: BertSelfAttention;
  readonly output: BertResidualOutput;

  constructor(c: BertConfig, rng: Rng) {
    super();
    this.self = this.addModule('self', new BertSelfAttention(c, rng));
    this.output = this.addModule('output', new BertResidualOutput(c, c.hiddenSize, rng));
  }

  forward(x: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    return tf.tidy(() => this.output.forward(this.self.forward(x, mask), x));
  }
}

export class BertIntermediate extends Module {
  readonly dense: Linear;
  readonly #act: (x: tf.Tensor) => tf.Tensor;

  constructor(c: BertConfig, rng: Rng) {
    super();
    const lin = { rng, weightInit: normal(c.initializerRange), biasInit: zeros };
    this.dense = this.addModule('dense', new Linear(c.hiddenSize, c.intermediateSize, lin));
    this.#act = activation(c.hiddenAct);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.#act(this.dense.forward(x)));
  }
}

export class BertLayer extends Module {
  readonly attention: BertAttention;
  readonly intermediate: BertIntermediate;
  readonly output: BertResidualOutput;

  constructor(c: BertConfig, rng: Rng) {
    super();
    this.attention = this.addModule('attention', new BertAttention(c, rng));
    this.intermediate = this.addModule('intermediate', new BertIntermediate(c, rng));
    this.output = this.addModule('output', new BertResidualOutput(c, c.intermediateSize, rng));
  }

  forward(x: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    return tf.tidy(() => {
      const a = this.attention.forward(x, mask);
      return this.output.forward(this.intermediate.forward(a), a);
    });
  }
}

/** `layer.N`; records the `hidden` taps: its input, then every layer's output. */
export class BertEncoder extends EncoderLayers<BertLayer> {
  constructor(c: BertConfig, rng: Rng) {
    super(Array.from({ length: c.numHiddenLayers }, () => new BertLayer(c, rng)));
  }
}

export class BertPooler extends Module {
  readonly dense: Linear;

  constructor(c: BertConfig, rng: Rng) {
    super();
    const lin = { rng, weightInit: normal(c.initializerRange), biasInit: zeros };
    this.dense = this.addModule('dense', new Linear(c.hiddenSize, c.hiddenSize, lin));
  }

  forward(h: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [b, , d] = h.shape;
      const cls = tf.slice(h, [0, 0, 0], [b, 1, d]).reshape([b, d]);
      return tf.tanh(this.dense.forward(cls));
    });
  }
}

/**
 * Hugging Face's `BertModel`: embeddings (word + position + token type,
 * LayerNorm, dropout), post-LN encoder layers, optional pooler. Parameter
 * names are Hugging Face's (`encoder.layer.0.attention.self.query.weight`).
 */
export class BertModel extends Module {
  readonly config: BertConfig;
  readonly embeddings: BertEmbeddings;
  readonly encoder: BertEncoder;
  readonly pooler: BertPooler | undefined;

  constructor(
    config: BertConfigInput | BertConfig,
    options: ModelOptions & { addPoolingLayer?: boolean } = {},
  ) {
    super();
    const c = bertConfig(config);
    this.config = c;
    const rng = modelRng(options);
    this.embeddings = this.addModule('embeddings', new BertEmbeddings(c, rng));
    this.encoder = this.addModule('encoder', new BertEncoder(c, rng));
    this.pooler =
      options.addPoolingLayer === false
        ? undefined
        : this.addModule('pooler', new BertPooler(c, rng));
    seedDropout(this, rng.fork('dropout'));
  }

  forward(inputs: EncoderInputs): EncoderOutput {
    return tf.tidy(() => {
      const { ids, tokenTypeIds, positionIds, mask } = encoderPass(inputs);
      const emb = this.embeddings.forward(ids, tokenTypeIds, positionIds);
      const lastHiddenState = this.encoder.forward(emb, mask);
      return this.pooler
        ? { lastHiddenState, poolerOutput: this.pooler.forward(lastHiddenState) }
        : { lastHiddenState };
    });
  }
}

/** `BertForSequenceClassification`: pooler → dropout → `classifier` → logits `[B, labels]`. */
export class BertForSequenceClassification extends Module {
  readonly config: BertConfig;
  readonly bert: BertModel;
  readonly dropout: Dropout;
  readonly classifier: Linear;

  constructor(config: BertConfigInput | BertConfig, options: ModelOptions = {}) {
    super();
    const c = bertConfig(config);
    this.config = c;
    const rng = modelRng(options);
    this.bert = this.addModule('bert', new BertModel(c, { rng }));
    this.dropout = this.addModule(
      'dropout',
      new Dropout(c.classifierDropout ?? c.hiddenDropoutProb),
    );
    this.classifier = this.addModule(
      'classifier',
      new Linear(c.hiddenSize, labelCount(c), {
        rng,
        weightInit: normal(c.initializerRange),
        biasInit: zeros,
      }),
    );
    seedDropout(this, rng.fork('dropout'));
  }

  forward(inputs: EncoderInputs): { logits: tf.Tensor } {
    return tf.tidy(() => {
      const { poolerOutput } = this.bert.forward(inputs);
      return { logits: this.classifier.forward(this.dropout.forward(poolerOutput as tf.Tensor)) };
    });
  }
}

/** `BertForTokenClassification`: dropout → `classifier` per token → logits `[B, T, labels]`. */
export class BertForTokenClassification extends Module {
  readonly config: BertConfig;
  readonly bert: BertModel;
  readonly dropout: Dropout;
  readonly classifier: Linear;

  constructor(config: BertConfigInput | BertConfig, options: ModelOptions = {}) {
    super();
    const c = bertConfig(config);
    this.config = c;
    const rng = modelRng(options);
    this.bert = this.addModule('bert', new BertModel(c, { rng, addPoolingLayer: false }));
    this.dropout = this.addModule(
      'dropout',
      new Dropout(c.classifierDropout ?? c.hiddenDropoutProb),
    );
    this.classifier = this.addModule(
      'classifier',
      new Linear(c.hiddenSize, labelCount(c), {
        rng,
        weightInit: normal(c.initializerRange),
        biasInit: zeros,
      }),
    );
    seedDropout(this, rng.fork('dropout'));
  }

  forward(inputs: EncoderInputs): { logits: tf.Tensor } {
    return tf.tidy(() => {
      const { lastHiddenState } = this.bert.forward(inputs);
      return { logits: this.classifier.forward(this.dropout.forward(lastHiddenState)) };
    });
  }
}

/** Span (extractive QA) logits: `qa_outputs` → `[B, T]` start and end scores. */
export type SpanOutput = {
  startLogits: tf.Tensor;
  endLogits: tf.Tensor;
};

export function splitSpanLogits(logits: tf.Tensor): SpanOutput {
  const [b, t] = logits.shape;
  const start = tf.slice(logits, [0, 0, 0], [b, t, 1]).reshape([b, t]);
  const end = tf.slice(logits, [0, 0, 1], [b, t, 1]).reshape([b, t]);
  return { startLogits: start, endLogits: end };
}

/** `BertForQuestionAnswering`: `qa_outputs` (2 units) on every token. */
export class BertForQuestionAnswering extends Module {
  readonly config: BertConfig;
  readonly bert: BertModel;
  readonly qa_outputs: Linear;

  constructor(config: BertConfigInput | BertConfig, options: ModelOptions = {}) {
    super();
    const c = bertConfig(config);
    this.config = c;
    const rng = modelRng(options);
    this.bert = this.addModule('bert', new BertModel(c, { rng, addPoolingLayer: false }));
    this.qa_outputs = this.addModule(
      'qa_outputs',
      new Linear(c.hiddenSize, 2, { rng, weightInit: normal(c.initializerRange), biasInit: zeros }),
    );
    seedDropout(this, rng.fork('dropout'));
  }

  forward(inputs: EncoderInputs): SpanOutput {
    return tf.tidy(() =>
      splitSpanLogits(this.qa_outputs.forward(this.bert.forward(inputs).lastHiddenState)),
    );
  }
}

export class BertPredictionHeadTransform extends Module {
  readonly dense: Linear;
  readonly LayerNorm: LayerNorm;
  readonly #act: (x: tf.Tensor) => tf.Tensor;

  constructor(c: BertConfig, rng: Rng) {
    super();
    this.dense = this.addModule(
      'dense',
      new Linear(c.hiddenSize, c.hiddenSize, {
        rng,
        weightInit: normal(c.initializerRange),
        biasInit: zeros,
      }),
    );
    this.LayerNorm = this.addModule('LayerNorm', new LayerNorm(c.hiddenSize, c.layerNormEps));
    this.#act = activation(c.hiddenAct);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.LayerNorm.forward(this.#act(this.dense.forward(x))));
  }
}

/**
 * The MLM decoder: `decoder.weight` is the word-embedding matrix (tied, not
 * saved) and `bias` its own parameter (`cls.predictions.bias`, also
 * reachable as `cls.predictions.decoder.bias`).
 */
export class BertLMPredictionHead extends Module {
  readonly transform: BertPredictionHeadTransform;
  readonly decoder: Linear;

  constructor(c: BertConfig, wordEmbeddings: tf.Variable, rng: Rng) {
    super();
    this.transform = this.addModule('transform', new BertPredictionHeadTransform(c, rng));
    const [vocab, dim] = wordEmbeddings.shape;
    this.decoder = this.addModule(
      'decoder',
      new Linear(dim, vocab, { tiedWeight: wordEmbeddings, biasInit: zeros }),
    );
    this.registerParameter('bias', this.decoder.bias as tf.Variable);
  }

  forward(h: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.decoder.forward(this.transform.forward(h)));
  }
}

export class BertOnlyMLMHead extends Module {
  readonly predictions: BertLMPredictionHead;
  constructor(c: BertConfig, wordEmbeddings: tf.Variable, rng: Rng) {
    super();
    this.predictions = this.addModule(
      'predictions',
      new BertLMPredictionHead(c, wordEmbeddings, rng),
    );
  }
  forward(h: tf.Tensor): tf.Tensor {
    return this.predictions.forward(h);
  }
}

/** `BertForMaskedLM`: encoder without pooler and the tied MLM head → logits `[B, T, V]`. */
export class BertForMaskedLM extends Module {
  readonly config: BertConfig;
  readonly bert: BertModel;
  readonly cls: BertOnlyMLMHead;

  constructor(config: BertConfigInput | BertConfig, options: ModelOptions = {}) {
    super();
    const c = bertConfig(config);
    this.config = c;
    const rng = modelRng(options);
    this.bert = this.addModule('bert', new BertModel(c, { rng, addPoolingLayer: false }));
    this.cls = this.addModule(
      'cls',
      new BertOnlyMLMHead(c, this.bert.embeddings.word_embeddings.weight, rng),
    );
    seedDropout(this, rng.fork('dropout'));
  }

  forward(inputs: EncoderInputs): { logits: tf.Tensor } {
    return tf.tidy(() => ({ logits: this.cls.forward(this.bert.forward(inputs).lastHiddenState) }));
  }
}
