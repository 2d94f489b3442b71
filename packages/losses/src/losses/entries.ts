import { defineEntry, ShapeError, ValidationError } from '@kd/core';
import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { attentionKl, attentionMse } from './attention.js';
import { causalLmCrossEntropy, crossEntropyLoss } from './hard-label.js';
import { hiddenCosine, hiddenMse, type Projection } from './hidden.js';
import { generalizedJsd, logitKd, logitMse, softCrossEntropy } from './logits.js';
import { selfRelationKl } from './relation.js';

/**
 * What a loss compares. `logits` is the model's output; the rest are @kd/nn
 * taps: `hidden` (embeddings output, then each layer's output), and per
 * attention layer `attentions` (probabilities), `scores` (pre-softmax),
 * `queries`, `keys`, `values`.
 */
export type FeatureKind =
  | 'logits'
  | 'hidden'
  | 'attentions'
  | 'scores'
  | 'queries'
  | 'keys'
  | 'values';

/** What the distiller hands a loss for one (student, teacher) feature pair. */
export interface LossInputs {
  student: tf.Tensor;
  /** Absent for hard-label losses. */
  teacher?: tf.Tensor;
  /** `[B, T]` for token features and attention maps; absent for `[B, C]` classification logits. */
  mask?: tf.Tensor;
  /** Gold labels: `[B]` class ids (or `[B, T]` token labels). */
  labels?: tf.Tensor;
  /** `[B, T]` input ids, the targets of causal language modelling. */
  inputIds?: tf.Tensor;
  /** A scheduled temperature; overrides the loss's own. */
  temperature?: number;
  /** Learned map from the student's width to the teacher's. */
  projection?: Projection;
}

/**
 * A `loss:<id>` registry entry's product: the loss with its options bound,
 * plus what the distiller needs to know to feed it.
 */
export interface DistillLoss {
  readonly id: string;
  readonly feature: FeatureKind;
  /** False for hard-label losses (they read labels or input ids instead). */
  readonly needsTeacher: boolean;
  /** Compared per layer through a layer map (hidden states, attention maps). */
  readonly layered: boolean;
  /** A learned projection can bridge a width mismatch. */
  readonly projectable: boolean;
  /** The loss's own temperature, for losses that soften distributions. */
  readonly temperature?: number;
  compute(inputs: LossInputs): tf.Scalar;
  /**
   * Called once per layer pair when the distiller is built, so shape
   * problems (head counts a loss cannot bridge) fail before training.
   */
  validate?(pair: {
    student: AttentionLayerShape;
    teacher: AttentionLayerShape;
    where: string;
  }): void;
}

/** Head counts and head width of one attention layer (as the distiller probes them). */
export interface AttentionLayerShape {
  heads: number;
  kvHeads: number;
  headDim: number;
}

function teacherOf(inputs: LossInputs, id: string): tf.Tensor {
  if (!inputs.teacher) {
    throw new ValidationError(`loss:${id} needs the teacher's features`, [], {
      where: `loss:${id}`,
    });
  }
  return inputs.teacher;
}

const temperature = z.number().positive().default(1).describe('softmax temperature T');
const scaleByTemperatureSquared = z
  .boolean()
  .default(true)
  .describe('multiply by T² so gradients keep their scale as T changes');

const logitKdOptions = z.strictObject({
  temperature,
  direction: z
    .enum(['forward', 'reverse'])
    .default('forward')
    .describe('KL(p_t‖p_s) or KL(p_s‖p_t)'),
  scaleByTemperatureSquared,
});
const softOptions = z.strictObject({ temperature, scaleByTemperatureSquared });
const jsdOptions = z.strictObject({
  temperature,
  beta: z.number().min(0).max(1).default(0.5).describe('0 = forward KL, 1 = reverse KL'),
  scaleByTemperatureSquared,
});
const empty = z.strictObject({});
const attentionKlOptions = z.strictObject({
  input: z
    .enum(['probs', 'scores'])
    .default('probs')
    .describe('compare the attentions tap or the scores tap'),
});
const attentionMseOptions = z.strictObject({
  maskThreshold: z.number().default(-100).describe('scores at or below this (masked) compare as 0'),
});
const relationOptions = z.strictObject({
  of: z.enum(['values', 'queries', 'keys']).default('values'),
  relationHeads: z.number().int().positive().optional().describe('MiniLMv2 relation heads'),
});
const ceOptions = z.strictObject({
  ignoreIndex: z.number().int().default(-100),
  labelSmoothing: z.number().min(0).max(1).default(0),
});
const lmCeOptions = z.strictObject({ ignoreIndex: z.number().int().default(-100) });

const logitEntry = <S extends z.ZodType>(
  id: string,
  description: string,
  options: S,
  fn: (
    s: tf.Tensor,
    t: tf.Tensor,
    o: z.output<S> & { mask?: tf.Tensor; temperature: number },
  ) => tf.Scalar,
) =>
  defineEntry({
    kind: 'loss',
    id,
    description,
    options,
    create: (o): DistillLoss => ({
      id,
      feature: 'logits',
      needsTeacher: true,
      layered: false,
      projectable: false,
      temperature: (o as { temperature: number }).temperature,
      compute: (i) =>
        fn(i.student, teacherOf(i, id), {
          ...(o as Record<string, unknown>),
          mask: i.mask,
          temperature: i.temperature ?? (o as { temperature: number }).temperature,
        } as z.output<S> & { mask?: tf.Tensor; temperature: number }),
    }),
  });

const layeredEntry = <S extends z.ZodType>(
  id: string,
  description: string,
  options: S,
  feature: (o: z.output<S>) => FeatureKind,
  projectable: boolean,
  fn: (i: LossInputs & { teacher: tf.Tensor }, o: z.output<S>) => tf.Scalar,
  validate?: (
    pair: { student: AttentionLayerShape; teacher: AttentionLayerShape; where: string },
    o: z.output<S>,
  ) => void,
) =>
  defineEntry({
    kind: 'loss',
    id,
    description,
    options,
    create: (o): DistillLoss => ({
      id,
      feature: feature(o),
      needsTeacher: true,
      layered: true,
      projectable,
      compute: (i) => fn({ ...i, teacher: teacherOf(i, id) }, o),
      ...(validate
        ? { validate: (pair: Parameters<typeof validate>[0]) => validate(pair, o) }
        : {}),
    }),
  });

/** Every `loss:<id>` entry @kd/losses provides. */
export const lossEntries = [
  logitEntry(
    'logit-kd',
    'T²·KL(p_t‖p_s) (or reverse KL) between softened output distributions, masked',
    logitKdOptions,
    logitKd,
  ),
  logitEntry(
    'soft-ce',
    'T²·(−Σ p_t log p_s): cross-entropy with the teacher’s softened distribution',
    softOptions,
    softCrossEntropy,
  ),
  logitEntry(
    'jsd',
    'generalized Jensen–Shannon divergence JSD_β (TRL GKD), T²-scaled',
    jsdOptions,
    generalizedJsd,
  ),
  logitEntry('logit-mse', 'MSE between tempered logits, T²-scaled', softOptions, logitMse),
  layeredEntry(
    'hidden-mse',
    'Σ‖h_s W + b − h_t‖²/(n·d_t) over valid positions (learned projection for width mismatch)',
    empty,
    () => 'hidden',
    true,
    (i) => hiddenMse(i.student, i.teacher, { mask: i.mask, projection: i.projection }),
  ),
  layeredEntry(
    'hidden-cosine',
    'mean over valid positions of 1 − cos(h_s W + b, h_t)',
    empty,
    () => 'hidden',
    true,
    (i) => hiddenCosine(i.student, i.teacher, { mask: i.mask, projection: i.projection }),
  ),
  layeredEntry(
    'attention-kl',
    'KL(A_t‖A_s) over keys per valid (batch, head, query) (MiniLM); heads averaged when counts differ',
    attentionKlOptions,
    (o) => (o.input === 'scores' ? 'scores' : 'attentions'),
    false,
    (i, o) => attentionKl(i.student, i.teacher, { mask: i.mask, input: o.input }),
  ),
  layeredEntry(
    'attention-mse',
    'MSE of pre-softmax attention scores, masked entries zeroed (TinyBERT)',
    attentionMseOptions,
    () => 'scores',
    false,
    (i, o) => attentionMse(i.student, i.teacher, { mask: i.mask, maskThreshold: o.maskThreshold }),
  ),
  layeredEntry(
    'value-relation',
    'KL between softmax(V Vᵀ/√d) of teacher and student (MiniLM; queries/keys as MiniLMv2)',
    relationOptions,
    (o) => o.of,
    false,
    (i, o) =>
      selfRelationKl(i.student, i.teacher, { mask: i.mask, relationHeads: o.relationHeads }),
    (pair, o) => {
      // Values and keys have the key/value heads; queries all heads.
      const heads = (x: AttentionLayerShape) => (o.of === 'queries' ? x.heads : x.kvHeads);
      const hs = heads(pair.student);
      const ht = heads(pair.teacher);
      if (o.relationHeads === undefined) {
        if (hs !== ht) {
          throw new ShapeError(
            `per-head ${o.of} relations need equal head counts, but the student has ${hs} and the teacher ${ht}; set relationHeads (MiniLMv2) to compare any widths`,
            { where: pair.where },
          );
        }
        return;
      }
      for (const [side, h, x] of [
        ['student', hs, pair.student],
        ['teacher', ht, pair.teacher],
      ] as const) {
        if ((h * x.headDim) % o.relationHeads !== 0) {
          throw new ShapeError(
            `the ${side}'s ${h}·${x.headDim} ${o.of} features do not split into ${o.relationHeads} relation heads`,
            { where: pair.where },
          );
        }
      }
    },
  ),
  defineEntry({
    kind: 'loss',
    id: 'ce',
    description:
      'hard-label cross-entropy (classification or token labels; ignore_index, label smoothing)',
    options: ceOptions,
    create: (o): DistillLoss => ({
      id: 'ce',
      feature: 'logits',
      needsTeacher: false,
      layered: false,
      projectable: false,
      compute: (i) => {
        if (!i.labels) {
          throw new ValidationError('loss:ce needs labels in the batch', [], { where: 'loss:ce' });
        }
        return crossEntropyLoss(i.student, i.labels, { ...o, mask: i.mask });
      },
    }),
  }),
  defineEntry({
    kind: 'loss',
    id: 'lm-ce',
    description: 'causal language-model cross-entropy on the next token (hard labels)',
    options: lmCeOptions,
    create: (o): DistillLoss => ({
      id: 'lm-ce',
      feature: 'logits',
      needsTeacher: false,
      layered: false,
      projectable: false,
      compute: (i) => {
        const ids = i.labels ?? i.inputIds;
        if (!ids) {
          throw new ValidationError('loss:lm-ce needs input ids or labels', [], {
            where: 'loss:lm-ce',
          });
        }
        return causalLmCrossEntropy(i.student, ids, { mask: i.mask, ignoreIndex: o.ignoreIndex });
      },
    }),
  }),
];
