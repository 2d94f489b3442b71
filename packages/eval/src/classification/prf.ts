import { ValidationError } from '@kd/core';
import { z } from 'zod';
import { defineMetric } from '../metric.js';
import { assertNonEmpty, parseOptions } from '../validate.js';
import { ConfusionCounts, type Label, labelList } from './confusion.js';
import { isIndicatorBatch, MultilabelCounts } from './multilabel.js';

/**
 * scikit-learn's accuracy_score, precision_recall_fscore_support (and
 * precision/recall/f1/fbeta), with HF evaluate's argument names. Everything
 * is computed from streamed counts: a weighted confusion matrix for
 * binary/multiclass data, per-label and per-sample counts for multilabel
 * indicator matrices.
 */

/** sklearn `zero_division`: "warn" acts as 0 (kd does not print the warning). */
export const zeroDivisionSchema = z
  .union([z.literal('warn'), z.literal(0), z.literal(1), z.literal('nan'), z.nan()])
  .default('warn');
export type ZeroDivision = z.input<typeof zeroDivisionSchema>;

export function zeroDivisionValue(z: ZeroDivision | undefined): number {
  if (z === undefined || z === 'warn' || z === 0) return 0;
  if (z === 1) return 1;
  return Number.NaN;
}

export const AVERAGES = ['binary', 'micro', 'macro', 'weighted', 'samples'] as const;
export type Average = (typeof AVERAGES)[number] | null;

const labelSchema = z.union([z.number().int(), z.string(), z.boolean()]);

export const prfOptionsSchema = z
  .object({
    average: z.enum(AVERAGES).nullable().default('binary'),
    /** The positive class for `average: 'binary'`. */
    pos_label: labelSchema.default(1),
    /** Labels to include (and their order for `average: null`). */
    labels: z.array(labelSchema).nullable().default(null),
    zero_division: zeroDivisionSchema,
    beta: z.number().nonnegative().default(1),
  })
  .strict();
export type PrfOptions = z.input<typeof prfOptionsSchema>;
type ParsedPrf = z.output<typeof prfOptionsSchema>;

export interface PrfResult {
  precision: number | number[];
  recall: number | number[];
  fscore: number | number[];
  /** Per-label true counts (only when `average` is null). */
  support?: number[];
}

function divide(num: Float64Array, den: Float64Array, zd: number): Float64Array {
  const out = new Float64Array(num.length);
  for (let i = 0; i < num.length; i++) out[i] = den[i] === 0 ? zd : num[i] / den[i];
  return out;
}

/** `_nanaverage`: NaNs are dropped with their weights; all-zero weights fall back to the plain mean. */
export function nanAverage(values: ArrayLike<number>, weights?: ArrayLike<number>): number {
  let sum = 0;
  let wsum = 0;
  let plain = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    plain += v;
    count++;
    if (weights) {
      sum += v * weights[i];
      wsum += weights[i];
    }
  }
  if (count === 0) return Number.NaN;
  if (!weights || wsum === 0) return plain / count;
  return sum / wsum;
}

/** P/R/F from per-label counts, then averaged as sklearn does. */
export function prfFromCounts(
  tp: Float64Array,
  pred: Float64Array,
  tru: Float64Array,
  average: Average,
  beta: number,
  zeroDivision: ZeroDivision,
): PrfResult {
  const zd = zeroDivisionValue(zeroDivision);
  if (average === 'micro') {
    const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
    tp = Float64Array.of(sum(tp));
    pred = Float64Array.of(sum(pred));
    tru = Float64Array.of(sum(tru));
  }
  const precision = divide(tp, pred, zd);
  const recall = divide(tp, tru, zd);
  let fscore: Float64Array;
  if (beta === Number.POSITIVE_INFINITY) fscore = recall;
  else if (beta === 0) fscore = precision;
  else {
    const b2 = beta * beta;
    const num = tp.map((v) => (1 + b2) * v);
    const den = tru.map((v, i) => b2 * v + pred[i]);
    fscore = divide(num, den, zd);
  }
  if (average === null) {
    return {
      precision: [...precision],
      recall: [...recall],
      fscore: [...fscore],
      support: [...tru],
    };
  }
  const weights = average === 'weighted' ? tru : undefined;
  return {
    precision: nanAverage(precision, weights),
    recall: nanAverage(recall, weights),
    fscore: nanAverage(fscore, weights),
  };
}

/** Binary/multiclass P/R/F from a confusion matrix, with sklearn's label checks. */
export function prfFromConfusion(c: ConfusionCounts, o: ParsedPrf, where: string): PrfResult {
  const present = c.sortedLabels();
  let labels: (number | string)[];
  if (o.average === 'samples') {
    throw new ValidationError("average='samples' needs multilabel (indicator) inputs", [], {
      where,
    });
  }
  if (o.average === 'binary') {
    if (present.length > 2) {
      throw new ValidationError(
        `target is multiclass (labels ${present.map((l) => JSON.stringify(l)).join(', ')}) but average='binary'; choose one of micro, macro, weighted or null`,
        [],
        { where },
      );
    }
    const pos = typeof o.pos_label === 'boolean' ? Number(o.pos_label) : o.pos_label;
    if (!present.includes(pos) && present.length >= 2) {
      throw new ValidationError(
        `pos_label=${JSON.stringify(pos)} is not a valid label; it should be one of ${present.map((l) => JSON.stringify(l)).join(', ')}`,
        [],
        { where },
      );
    }
    labels = [pos];
  } else {
    labels = labelList(o.labels, where) ?? present;
  }
  const { tp, pred, true: tru } = c.perLabel(labels);
  return prfFromCounts(
    tp,
    pred,
    tru,
    o.average === 'binary' ? 'macro' : o.average,
    o.beta,
    o.zero_division,
  );
}

/** Multilabel P/R/F (`average: 'samples'` included). */
export function prfFromMultilabel(c: MultilabelCounts, o: ParsedPrf, where: string): PrfResult {
  if (o.average === 'binary') {
    throw new ValidationError(
      "target is multilabel-indicator but average='binary'; choose one of micro, macro, weighted, samples or null",
      [],
      { where },
    );
  }
  if (o.average === 'samples') {
    const s = c.samples;
    const n = s.length / 4;
    const tp = new Float64Array(n);
    const pred = new Float64Array(n);
    const tru = new Float64Array(n);
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      tp[i] = s[4 * i];
      pred[i] = s[4 * i + 1];
      tru[i] = s[4 * i + 2];
      w[i] = s[4 * i + 3];
    }
    const per = prfFromCounts(tp, pred, tru, null, o.beta, o.zero_division);
    return {
      precision: nanAverage(per.precision as number[], w),
      recall: nanAverage(per.recall as number[], w),
      fscore: nanAverage(per.fscore as number[], w),
    };
  }
  let cols = [...Array(c.width).keys()];
  const labels = labelList(o.labels, where);
  if (labels) {
    cols = labels.map((l) => {
      if (typeof l !== 'number' || l < 0 || l >= c.width) {
        throw new ValidationError(
          `label ${JSON.stringify(l)} is not a column of the ${c.width}-label indicator matrix`,
          [],
          { where },
        );
      }
      return l;
    });
  }
  const pick = (a: Float64Array) => Float64Array.from(cols, (j) => a[j]);
  return prfFromCounts(pick(c.tp), pick(c.pred), pick(c.true), o.average, o.beta, o.zero_division);
}

/** Either kind of label counts, chosen by the first batch. */
export class LabelCounts {
  confusion: ConfusionCounts | undefined;
  multilabel: MultilabelCounts | undefined;

  addBatch(batch: ClassificationBatch, where: string): number {
    const multi = isIndicatorBatch(batch?.predictions, batch?.references);
    if (multi) {
      if (this.confusion) {
        throw new ValidationError(
          'got indicator rows after class labels; a metric takes one kind of target',
          [],
          { where },
        );
      }
      this.multilabel ??= new MultilabelCounts();
      return this.multilabel.addBatch(
        batch.references,
        batch.predictions,
        batch.sample_weight,
        where,
      );
    }
    if (this.multilabel) {
      throw new ValidationError(
        'got class labels after indicator rows; a metric takes one kind of target',
        [],
        { where },
      );
    }
    this.confusion ??= new ConfusionCounts();
    return this.confusion.addBatch(
      batch?.references,
      batch?.predictions,
      batch?.sample_weight,
      where,
    );
  }

  prf(o: ParsedPrf, where: string): PrfResult {
    if (this.multilabel) return prfFromMultilabel(this.multilabel, o, where);
    return prfFromConfusion(this.confusion ?? new ConfusionCounts(), o, where);
  }
}

export interface ClassificationBatch {
  predictions: readonly Label[] | readonly (readonly (0 | 1 | boolean)[])[];
  references: readonly Label[] | readonly (readonly (0 | 1 | boolean)[])[];
  sample_weight?: readonly number[];
}
export interface ClassificationExample {
  prediction: Label | readonly (0 | 1 | boolean)[];
  reference: Label | readonly (0 | 1 | boolean)[];
  sample_weight?: number;
}

/** `precision_recall_fscore_support(y_true, y_pred, …)` (note: references first, as sklearn). */
export function precisionRecallFscoreSupport(
  references: ClassificationBatch['references'],
  predictions: ClassificationBatch['predictions'],
  options: PrfOptions & { sample_weight?: readonly number[] } = {},
): PrfResult {
  const where = 'precisionRecallFscoreSupport';
  const { sample_weight, ...rest } = options;
  const o = parseOptions(prfOptionsSchema, rest, where);
  const counts = new LabelCounts();
  assertNonEmpty(
    counts.addBatch({ predictions, references, sample_weight }, where),
    'predictions',
    where,
  );
  return counts.prf(o, where);
}

type PrfKey = 'precision' | 'recall' | 'f1';

function prfMetric(id: PrfKey, description: string) {
  const schema = id === 'f1' ? prfOptionsSchema : prfOptionsSchema.omit({ beta: true });
  return defineMetric({
    id,
    description,
    options: schema,
    init: () => new LabelCounts(),
    update: (state, batch: ClassificationBatch, _o, where) => state.addBatch(batch, where),
    toBatch: (e: ClassificationExample): ClassificationBatch =>
      ({
        predictions: [e.prediction],
        references: [e.reference],
        ...(e.sample_weight === undefined ? {} : { sample_weight: [e.sample_weight] }),
      }) as ClassificationBatch,
    finalize: (state, o, where, size) => {
      assertNonEmpty(size, 'predictions', where);
      const r = state.prf({ ...(o as ParsedPrf), beta: (o as ParsedPrf).beta ?? 1 }, where);
      const value = id === 'precision' ? r.precision : id === 'recall' ? r.recall : r.fscore;
      return { [id]: value } as Record<PrfKey, number | number[]>;
    },
  });
}

/** `metric:precision` — sklearn precision_score. */
export const precisionMetric = prfMetric(
  'precision',
  'Precision identical to scikit-learn precision_score',
);
/** `metric:recall` — sklearn recall_score. */
export const recallMetric = prfMetric('recall', 'Recall identical to scikit-learn recall_score');
/** `metric:f1` — sklearn f1_score (`beta` gives fbeta_score). */
export const f1Metric = prfMetric(
  'f1',
  'F1 (or F-beta) identical to scikit-learn f1_score / fbeta_score',
);

/** sklearn `precision_score(y_true, y_pred)`. */
export function precisionScore(
  references: ClassificationBatch['references'],
  predictions: ClassificationBatch['predictions'],
  options: Omit<PrfOptions, 'beta'> & { sample_weight?: readonly number[] } = {},
): number | number[] {
  return precisionRecallFscoreSupport(references, predictions, options).precision;
}

/** sklearn `recall_score(y_true, y_pred)`. */
export function recallScore(
  references: ClassificationBatch['references'],
  predictions: ClassificationBatch['predictions'],
  options: Omit<PrfOptions, 'beta'> & { sample_weight?: readonly number[] } = {},
): number | number[] {
  return precisionRecallFscoreSupport(references, predictions, options).recall;
}

/** sklearn `f1_score` / `fbeta_score` (with `beta`). */
export function f1Score(
  references: ClassificationBatch['references'],
  predictions: ClassificationBatch['predictions'],
  options: PrfOptions & { sample_weight?: readonly number[] } = {},
): number | number[] {
  return precisionRecallFscoreSupport(references, predictions, options).fscore;
}

export const accuracyOptionsSchema = z
  .object({
    /** false: the (weighted) number of correct predictions instead of the fraction. */
    normalize: z.boolean().default(true),
  })
  .strict();

function accuracyOf(state: LabelCounts, normalize: boolean, where: string): number {
  let correct: number;
  let total: number;
  if (state.multilabel) {
    correct = state.multilabel.subsetCorrect;
    total = state.multilabel.weightSum;
  } else {
    const c = state.confusion ?? new ConfusionCounts();
    correct = c.correctWeight();
    total = c.totalWeight();
  }
  if (!normalize) return correct;
  if (total === 0) {
    throw new ValidationError('sample weights sum to zero; accuracy is undefined', [], { where });
  }
  return correct / total;
}

/** sklearn `accuracy_score` (subset accuracy for indicator rows). */
export function accuracyScore(
  references: ClassificationBatch['references'],
  predictions: ClassificationBatch['predictions'],
  options: z.input<typeof accuracyOptionsSchema> & { sample_weight?: readonly number[] } = {},
): number {
  const where = 'accuracyScore';
  const { sample_weight, ...rest } = options;
  const o = parseOptions(accuracyOptionsSchema, rest, where);
  const counts = new LabelCounts();
  assertNonEmpty(
    counts.addBatch({ predictions, references, sample_weight }, where),
    'predictions',
    where,
  );
  return accuracyOf(counts, o.normalize, where);
}

/** `metric:accuracy`. */
export const accuracyMetric = defineMetric({
  id: 'accuracy',
  description: 'Accuracy identical to scikit-learn accuracy_score (subset accuracy for multilabel)',
  options: accuracyOptionsSchema,
  init: () => new LabelCounts(),
  update: (state, batch: ClassificationBatch, _o, where) => state.addBatch(batch, where),
  finalize: (state, o, where, size) => {
    assertNonEmpty(size, 'predictions', where);
    return { accuracy: accuracyOf(state, o.normalize, where) };
  },
});

export const confusionMatrixOptionsSchema = z
  .object({
    labels: z.array(labelSchema).nullable().default(null),
    /** Normalise over true rows, predicted columns or everything. */
    normalize: z.enum(['true', 'pred', 'all']).nullable().default(null),
  })
  .strict();

function confusionOf(
  state: LabelCounts,
  o: z.output<typeof confusionMatrixOptionsSchema>,
  where: string,
): number[][] {
  if (state.multilabel) {
    throw new ValidationError('confusion_matrix takes class labels, not indicator rows', [], {
      where,
    });
  }
  const c = state.confusion ?? new ConfusionCounts();
  const labels = labelList(o.labels, where) ?? c.sortedLabels();
  if (o.labels && !labels.some((l) => c.isTrueLabel(l))) {
    throw new ValidationError('at least one label in labels must appear in references', [], {
      where,
    });
  }
  const m = c.matrix(labels);
  if (o.normalize === null) return m.map((r) => [...r]);
  // sklearn divides with errstate(all='ignore') and turns 0/0 into 0.
  const k = labels.length;
  const out = m.map((r) => [...r]);
  if (o.normalize === 'true') {
    for (let i = 0; i < k; i++) {
      const s = m[i].reduce((a, b) => a + b, 0);
      for (let j = 0; j < k; j++) out[i][j] = s === 0 ? 0 : m[i][j] / s;
    }
  } else if (o.normalize === 'pred') {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += m[i][j];
      for (let i = 0; i < k; i++) out[i][j] = s === 0 ? 0 : m[i][j] / s;
    }
  } else {
    let s = 0;
    for (const r of m) for (const v of r) s += v;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out[i][j] = s === 0 ? 0 : m[i][j] / s;
  }
  return out;
}

/** sklearn `confusion_matrix(y_true, y_pred)`: rows are true labels, columns predicted. */
export function confusionMatrix(
  references: readonly Label[],
  predictions: readonly Label[],
  options: z.input<typeof confusionMatrixOptionsSchema> & {
    sample_weight?: readonly number[];
  } = {},
): number[][] {
  const where = 'confusionMatrix';
  const { sample_weight, ...rest } = options;
  const o = parseOptions(confusionMatrixOptionsSchema, rest, where);
  const counts = new LabelCounts();
  assertNonEmpty(
    counts.addBatch({ predictions, references, sample_weight }, where),
    'predictions',
    where,
  );
  return confusionOf(counts, o, where);
}

/** `metric:confusion_matrix`. */
export const confusionMatrixMetric = defineMetric({
  id: 'confusion_matrix',
  description: 'Confusion matrix identical to scikit-learn confusion_matrix',
  options: confusionMatrixOptionsSchema,
  init: () => new LabelCounts(),
  update: (state, batch: ClassificationBatch, _o, where) => state.addBatch(batch, where),
  finalize: (state, o, where, size) => {
    assertNonEmpty(size, 'predictions', where);
    return { confusion_matrix: confusionOf(state, o, where) };
  },
});

/** MCC from a confusion matrix (Gorodkin's R_K; 0 when either marginal is constant). */
export function mccFromConfusion(c: ConfusionCounts): number {
  const labels = c.sortedLabels();
  const m = c.matrix(labels);
  const k = labels.length;
  const t = new Float64Array(k);
  const p = new Float64Array(k);
  let correct = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      t[i] += m[i][j];
      p[j] += m[i][j];
    }
    correct += m[i][i];
  }
  let n = 0;
  let tp = 0;
  let pp = 0;
  let tt = 0;
  for (let i = 0; i < k; i++) {
    n += p[i];
    tp += t[i] * p[i];
    pp += p[i] * p[i];
    tt += t[i] * t[i];
  }
  const covYtYp = correct * n - tp;
  const covYpYp = n * n - pp;
  const covYtYt = n * n - tt;
  const prod = covYpYp * covYtYt;
  return prod === 0 ? 0 : covYtYp / Math.sqrt(prod);
}

function mccOf(state: LabelCounts, where: string): number {
  if (state.multilabel) {
    throw new ValidationError('matthews_correlation takes class labels, not indicator rows', [], {
      where,
    });
  }
  return mccFromConfusion(state.confusion ?? new ConfusionCounts());
}

/** sklearn `matthews_corrcoef(y_true, y_pred)`. */
export function matthewsCorrcoef(
  references: readonly Label[],
  predictions: readonly Label[],
  options: { sample_weight?: readonly number[] } = {},
): number {
  const where = 'matthewsCorrcoef';
  const { sample_weight, ...rest } = options;
  parseOptions(z.object({}).strict(), rest, where);
  const counts = new LabelCounts();
  assertNonEmpty(
    counts.addBatch({ predictions, references, sample_weight }, where),
    'predictions',
    where,
  );
  return mccOf(counts, where);
}

/** `metric:matthews_correlation`. */
export const matthewsCorrelationMetric = defineMetric({
  id: 'matthews_correlation',
  description: 'Matthews correlation coefficient identical to scikit-learn matthews_corrcoef',
  options: z.object({}).strict(),
  init: () => new LabelCounts(),
  update: (state, batch: ClassificationBatch, _o, where) => state.addBatch(batch, where),
  finalize: (state, _o, where, size) => {
    assertNonEmpty(size, 'predictions', where);
    return { matthews_correlation: mccOf(state, where) };
  },
});
