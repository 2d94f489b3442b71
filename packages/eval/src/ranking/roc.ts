import { ShapeError, ValidationError } from '@kd/core';
import { z } from 'zod';
import { compareLabels } from '../classification/confusion.js';
import { defineMetric } from '../metric.js';
import {
  arrayLength,
  assertNonEmpty,
  finiteArray,
  parseOptions,
  sampleWeights,
} from '../validate.js';

/**
 * scikit-learn's ranking metrics: roc_curve, auc, roc_auc_score (binary,
 * multiclass one-vs-rest / one-vs-one, multilabel), precision_recall_curve
 * and average_precision_score. Ties are one threshold each, so tied scores
 * earn half credit, exactly as the trapezoid under sklearn's curve.
 */

export interface ClfCurve {
  /** Weighted false / true positives at each distinct threshold (descending). */
  fps: Float64Array;
  tps: Float64Array;
  thresholds: Float64Array;
}

/**
 * `_binary_clf_curve` (sklearn 1.9 `confusion_matrix_at_thresholds`):
 * zero-weight samples dropped, scores sorted descending (stable), weighted
 * true and false positives accumulated separately, one point per distinct score.
 */
export function binaryClfCurve(
  positive: Uint8Array,
  scores: Float64Array,
  weights?: Float64Array,
): ClfCurve {
  const n = scores.length;
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (weights?.[i] !== 0) idx.push(i);
  const order = Uint32Array.from(idx);
  order.sort((a, b) => scores[b] - scores[a]);
  const fps: number[] = [];
  const tps: number[] = [];
  const th: number[] = [];
  let tp = 0;
  let fp = 0;
  const k = order.length;
  for (let q = 0; q < k; q++) {
    const i = order[q];
    const w = weights ? weights[i] : 1;
    if (positive[i]) tp += w;
    else if (weights) fp += w;
    if (q === k - 1 || scores[order[q + 1]] !== scores[i]) {
      tps.push(tp);
      // Unweighted, sklearn derives false positives from the index: 1 + idx - tps.
      fps.push(weights ? fp : 1 + q - tp);
      th.push(scores[i]);
    }
  }
  return {
    fps: Float64Array.from(fps),
    tps: Float64Array.from(tps),
    thresholds: Float64Array.from(th),
  };
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** thresholds[0] is +Infinity (sklearn >= 1.3). */
  thresholds: number[];
}

/** The binary positive mask: `pos_label`, or the larger of the two labels (np.unique order). */
function positiveMask(labels: readonly unknown[], posLabel: unknown, where: string): Uint8Array {
  const values = [...new Set(labels.map((l) => (typeof l === 'boolean' ? Number(l) : l)))] as (
    | number
    | string
  )[];
  values.sort(compareLabels);
  let pos: unknown = posLabel;
  if (pos === undefined || pos === null) {
    if (values.length > 2) {
      throw new ValidationError(`expected binary references, got ${values.length} classes`, [], {
        where,
      });
    }
    const allStd = values.every((v) => v === 0 || v === 1 || v === -1);
    if (!allStd) {
      throw new ValidationError(
        `references are not in {0, 1} or {-1, 1}; pass pos_label (labels found: ${values.map((v) => JSON.stringify(v)).join(', ')})`,
        [],
        { where },
      );
    }
    pos = 1;
  }
  if (typeof pos === 'boolean') pos = Number(pos);
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    out[i] = (typeof l === 'boolean' ? Number(l) : l) === pos ? 1 : 0;
  }
  return out;
}

/** The x-direction check and trapezoid rule of `sklearn.metrics.auc`. */
export function auc(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const where = 'auc';
  const xs = finiteArray(x, 'x', where);
  const ys = finiteArray(y, 'y', where);
  if (xs.length !== ys.length)
    throw new ShapeError(`x has ${xs.length} points, y has ${ys.length}`, { where });
  if (xs.length < 2) {
    throw new ValidationError(
      `at least 2 points are needed to compute an area under a curve, got ${xs.length}`,
      [],
      { where },
    );
  }
  let direction = 1;
  let anyNeg = false;
  let allNonPos = true;
  for (let i = 1; i < xs.length; i++) {
    const d = xs[i] - xs[i - 1];
    if (d < 0) anyNeg = true;
    if (d > 0) allNonPos = false;
  }
  if (anyNeg) {
    if (allNonPos) direction = -1;
    else throw new ValidationError('x is neither increasing nor decreasing', [], { where });
  }
  return direction * trapezoid(ys, xs);
}

function trapezoid(y: ArrayLike<number>, x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 1; i < x.length; i++) s += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return s;
}

function rocPoints(
  curve: ClfCurve,
  dropIntermediate: boolean,
): { fps: number[]; tps: number[]; th: number[] } {
  let { fps, tps, thresholds } = curve;
  if (dropIntermediate && fps.length > 2) {
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      // np.diff(x, 2), in numpy's order of operations.
      const d2f = fps[i + 1] - fps[i] - (fps[i] - fps[i - 1]);
      const d2t = tps[i + 1] - tps[i] - (tps[i] - tps[i - 1]);
      if (d2f !== 0 || d2t !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = Float64Array.from(keep, (i) => curve.fps[i]);
    tps = Float64Array.from(keep, (i) => curve.tps[i]);
    thresholds = Float64Array.from(keep, (i) => curve.thresholds[i]);
  }
  return { fps: [0, ...fps], tps: [0, ...tps], th: [Number.POSITIVE_INFINITY, ...thresholds] };
}

/** `roc_curve(y_true, y_score)`. */
export function rocCurve(
  references: readonly unknown[],
  scores: ArrayLike<number>,
  options: {
    pos_label?: number | string | boolean;
    drop_intermediate?: boolean;
    sample_weight?: readonly number[];
  } = {},
): RocCurve {
  const where = 'rocCurve';
  const s = finiteArray(scores, 'scores', where);
  if (arrayLength(references, 'references', where) !== s.length) {
    throw new ShapeError(`references has ${references.length} entries, scores ${s.length}`, {
      where,
    });
  }
  const pos = positiveMask(references, options.pos_label, where);
  const w = sampleWeights(options.sample_weight, s.length, where);
  const { fps, tps, th } = rocPoints(binaryClfCurve(pos, s, w), options.drop_intermediate ?? true);
  const fl = fps[fps.length - 1];
  const tl = tps[tps.length - 1];
  return {
    fpr: fps.map((v) => (fl > 0 ? v / fl : Number.NaN)),
    tpr: tps.map((v) => (tl > 0 ? v / tl : Number.NaN)),
    thresholds: th,
  };
}

/** Binary ROC AUC on a 0/1 mask; one class present is an error (AUC is undefined). */
function binaryRocAuc(
  pos: Uint8Array,
  s: Float64Array,
  w: Float64Array | undefined,
  maxFpr: number | null,
  where: string,
): number {
  let np = 0;
  for (let i = 0; i < pos.length; i++) np += pos[i];
  if (np === 0 || np === pos.length) {
    throw new ValidationError(
      'only one class is present in the references; ROC AUC is not defined in that case',
      [],
      { where },
    );
  }
  const { fps, tps } = rocPoints(binaryClfCurve(pos, s, w), true);
  const fl = fps[fps.length - 1];
  const tl = tps[tps.length - 1];
  const fpr = fps.map((v) => v / fl);
  const tpr = tps.map((v) => v / tl);
  if (maxFpr === null || maxFpr === 1) return trapezoid(tpr, fpr);
  // McClish-standardised partial AUC up to max_fpr.
  let stop = 0;
  while (stop < fpr.length && fpr[stop] <= maxFpr) stop++;
  const x0 = fpr[stop - 1];
  const x1 = fpr[stop];
  const y0 = tpr[stop - 1];
  const y1 = tpr[stop];
  const yi = x1 === x0 ? y0 : y0 + ((maxFpr - x0) * (y1 - y0)) / (x1 - x0);
  const px = [...fpr.slice(0, stop), maxFpr];
  const py = [...tpr.slice(0, stop), yi];
  const partial = trapezoid(py, px);
  const minArea = 0.5 * maxFpr ** 2;
  return 0.5 * (1 + (partial - minArea) / (maxFpr - minArea));
}

function averageScores(scores: number[], weights: number[] | undefined): number {
  if (!weights) return scores.reduce((a, b) => a + b, 0) / scores.length;
  let s = 0;
  let ws = 0;
  for (let i = 0; i < scores.length; i++) {
    s += scores[i] * weights[i];
    ws += weights[i];
  }
  return s / ws;
}

type Matrix = Float64Array[];

function scoreMatrix(value: unknown, n: number, where: string): Matrix {
  const rows = value as ArrayLike<unknown>;
  const out: Matrix = [];
  let width = -1;
  for (let i = 0; i < n; i++) {
    const r = finiteArray(rows[i], `prediction_scores[${i}]`, where);
    if (width < 0) width = r.length;
    if (r.length !== width)
      throw new ShapeError(`prediction_scores rows have ${width} and ${r.length} columns`, {
        where,
      });
    out.push(r);
  }
  return out;
}

/**
 * `_average_binary_score` over the columns of indicator/one-hot targets:
 * macro, weighted (by positives), micro (flattened), samples (per row) or
 * null (per column).
 */
function averageBinary(
  metric: (pos: Uint8Array, s: Float64Array, w: Float64Array | undefined) => number,
  truth: Uint8Array[],
  scores: Matrix,
  average: string | null,
  w: Float64Array | undefined,
): number | number[] {
  const n = truth.length;
  const k = scores[0].length;
  if (average === 'micro') {
    const pos = new Uint8Array(n * k);
    const s = new Float64Array(n * k);
    const ww = w ? new Float64Array(n * k) : undefined;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) {
        pos[i * k + j] = truth[i][j];
        s[i * k + j] = scores[i][j];
        if (ww && w) ww[i * k + j] = w[i];
      }
    }
    return metric(pos, s, ww);
  }
  if (average === 'samples') {
    const per = truth.map((t, i) => metric(t, scores[i], undefined));
    return averageScores(per, w ? [...w] : undefined);
  }
  const per: number[] = [];
  const weight: number[] = [];
  for (let j = 0; j < k; j++) {
    const pos = Uint8Array.from(truth, (t) => t[j]);
    const s = Float64Array.from(scores, (r) => r[j]);
    per.push(metric(pos, s, w));
    let pw = 0;
    for (let i = 0; i < n; i++) pw += pos[i] * (w ? w[i] : 1);
    weight.push(pw);
  }
  if (average === null) return per;
  if (average === 'weighted') {
    const total = weight.reduce((a, b) => a + b, 0);
    if (total === 0) return 0;
    return averageScores(per, weight);
  }
  return averageScores(per, undefined);
}

export const rocAucOptionsSchema = z
  .object({
    average: z.enum(['micro', 'macro', 'weighted', 'samples']).nullable().default('macro'),
    /** Multiclass strategy: one-vs-rest or one-vs-one (sklearn's default "raise" refuses multiclass). */
    multi_class: z.enum(['raise', 'ovr', 'ovo']).default('raise'),
    /** Class order of the score columns (multiclass); default: sorted labels of the references. */
    labels: z
      .array(z.union([z.number().int(), z.string()]))
      .nullable()
      .default(null),
    /** Standardised partial AUC up to this false-positive rate (binary only). */
    max_fpr: z.number().gt(0).max(1).nullable().default(null),
  })
  .strict();
export type RocAucOptions = z.input<typeof rocAucOptionsSchema>;

export interface ScoreBatch {
  references: readonly unknown[];
  prediction_scores: readonly unknown[];
  sample_weight?: readonly number[];
}

class ScoreState {
  references: unknown[] = [];
  scores: unknown[] = [];
  weights: number[] | undefined;
  add(batch: ScoreBatch, where: string): number {
    const n = arrayLength(batch?.references, 'references', where);
    if (arrayLength(batch?.prediction_scores, 'prediction_scores', where) !== n) {
      throw new ShapeError(
        `references and prediction_scores must have the same length, got ${n} and ${batch.prediction_scores.length}`,
        { where },
      );
    }
    const w = sampleWeights(batch.sample_weight, n, where);
    if ((w === undefined) !== (this.weights === undefined) && this.references.length > 0) {
      throw new ValidationError('pass sample_weight with every batch or with none', [], { where });
    }
    if (w) (this.weights ??= []).push(...w);
    for (let i = 0; i < n; i++) {
      this.references.push(batch.references[i]);
      this.scores.push(batch.prediction_scores[i]);
    }
    return n;
  }
}

function isRow(v: unknown): boolean {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

function rocAucOf(
  state: ScoreState,
  o: z.output<typeof rocAucOptionsSchema>,
  where: string,
): number | number[] {
  const refs = state.references;
  const n = refs.length;
  assertNonEmpty(n, 'references', where);
  const w = state.weights ? Float64Array.from(state.weights) : undefined;
  const metric = (pos: Uint8Array, s: Float64Array, ww: Float64Array | undefined) =>
    binaryRocAuc(pos, s, ww, o.max_fpr, where);
  if (isRow(refs[0])) {
    // Multilabel indicator targets.
    const truth = refs.map((r, i) =>
      Uint8Array.from(finiteArray(r, `references[${i}]`, where), (v) => (v ? 1 : 0)),
    );
    const scores = scoreMatrix(state.scores, n, where);
    if (truth[0].length !== scores[0].length) {
      throw new ShapeError(
        `references have ${truth[0].length} labels, prediction_scores ${scores[0].length} columns`,
        { where },
      );
    }
    return averageBinary(metric, truth, scores, o.average, w);
  }
  const twoD = isRow(state.scores[0]);
  const classes = [...new Set(refs.map((r) => (typeof r === 'boolean' ? Number(r) : r)))] as (
    | number
    | string
  )[];
  classes.sort(compareLabels);
  const multiclass =
    classes.length > 2 || (twoD && (state.scores[0] as ArrayLike<number>).length > 2);
  if (!multiclass) {
    if (twoD)
      throw new ShapeError('binary references take one score per example (the positive class)', {
        where,
      });
    const s = finiteArray(state.scores, 'prediction_scores', where);
    if (classes.length < 2) {
      throw new ValidationError(
        'only one class is present in the references; ROC AUC is not defined in that case',
        [],
        { where },
      );
    }
    const pos = Uint8Array.from(refs, (r) =>
      (typeof r === 'boolean' ? Number(r) : r) === classes[1] ? 1 : 0,
    );
    return metric(pos, s, w);
  }
  if (!twoD) {
    throw new ShapeError(
      'multiclass references need prediction_scores of shape (n_samples, n_classes)',
      { where },
    );
  }
  if (o.max_fpr !== null && o.max_fpr !== 1) {
    throw new ValidationError('partial AUC (max_fpr) is not available for multiclass targets', [], {
      where,
    });
  }
  if (o.multi_class === 'raise') {
    throw new ValidationError("multiclass references need multi_class 'ovr' or 'ovo'", [], {
      where,
    });
  }
  const scores = scoreMatrix(state.scores, n, where);
  for (let i = 0; i < n; i++) {
    const sum = scores[i].reduce((a, b) => a + b, 0);
    // np.allclose(1, sum): |1 - sum| <= 1e-8 + 1e-5 * |sum|
    if (!(Math.abs(1 - sum) <= 1e-8 + 1e-5 * Math.abs(sum))) {
      throw new ValidationError(
        `prediction_scores[${i}] sums to ${sum}; multiclass ROC AUC needs probabilities that sum to 1 over classes`,
        [],
        { where },
      );
    }
  }
  let cls = classes;
  if (o.labels) {
    cls = o.labels;
    const sorted = [...cls].sort(compareLabels);
    if (new Set(cls).size !== cls.length)
      throw new ValidationError("'labels' must be unique", [], { where });
    if (sorted.some((v, i) => v !== cls[i]))
      throw new ValidationError("'labels' must be ordered", [], { where });
    for (const c of classes) {
      if (!cls.includes(c))
        throw new ValidationError("references contain labels not in 'labels'", [], { where });
    }
  }
  if (cls.length !== scores[0].length) {
    throw new ShapeError(
      `${cls.length} classes but prediction_scores has ${scores[0].length} columns`,
      { where },
    );
  }
  const idx = refs.map((r) =>
    cls.indexOf((typeof r === 'boolean' ? Number(r) : r) as number | string),
  );
  if (o.multi_class === 'ovr') {
    if (o.average === 'samples')
      throw new ValidationError("average 'samples' is not available for multiclass ovr", [], {
        where,
      });
    const truth = idx.map((c) => {
      const row = new Uint8Array(cls.length);
      row[c] = 1;
      return row;
    });
    return averageBinary(metric, truth, scores, o.average, w);
  }
  // One-vs-one (Hand & Till): mean over class pairs of the two directed AUCs.
  if (w)
    throw new ValidationError('sample_weight is not supported for one-vs-one ROC AUC', [], {
      where,
    });
  if (o.average === null || o.average === 'micro' || o.average === 'samples') {
    throw new ValidationError(
      `average ${JSON.stringify(o.average)} is not available for multi_class 'ovo'`,
      [],
      { where },
    );
  }
  const present = [...new Set(idx)].sort((a, b) => a - b);
  const pairScores: number[] = [];
  const prevalence: number[] = [];
  for (let x = 0; x < present.length; x++) {
    for (let y = x + 1; y < present.length; y++) {
      const a = present[x];
      const b = present[y];
      const rows: number[] = [];
      for (let i = 0; i < n; i++) if (idx[i] === a || idx[i] === b) rows.push(i);
      const aTrue = Uint8Array.from(rows, (i) => (idx[i] === a ? 1 : 0));
      const bTrue = Uint8Array.from(rows, (i) => (idx[i] === b ? 1 : 0));
      const sa = Float64Array.from(rows, (i) => scores[i][a]);
      const sb = Float64Array.from(rows, (i) => scores[i][b]);
      pairScores.push((metric(aTrue, sa, undefined) + metric(bTrue, sb, undefined)) / 2);
      prevalence.push(rows.length / n);
    }
  }
  return averageScores(pairScores, o.average === 'weighted' ? prevalence : undefined);
}

/** sklearn `roc_auc_score(y_true, y_score)` (references first, as sklearn). */
export function rocAucScore(
  references: readonly unknown[],
  predictionScores: readonly unknown[],
  options: RocAucOptions & { sample_weight?: readonly number[] } = {},
): number | number[] {
  const where = 'rocAucScore';
  const { sample_weight, ...rest } = options;
  const o = parseOptions(rocAucOptionsSchema, rest, where);
  const state = new ScoreState();
  state.add({ references, prediction_scores: predictionScores, sample_weight }, where);
  return rocAucOf(state, o, where);
}

/** `metric:roc_auc` (HF argument name `prediction_scores`). */
export const rocAucMetric = defineMetric({
  id: 'roc_auc',
  description:
    'ROC AUC identical to scikit-learn roc_auc_score (binary, multiclass ovr/ovo, multilabel)',
  options: rocAucOptionsSchema,
  init: () => new ScoreState(),
  update: (state, batch: ScoreBatch, _o, where) => state.add(batch, where),
  finalize: (state, o, where) => ({ roc_auc: rocAucOf(state, o, where) }),
});

/** Uninterpolated average precision of one binary column. */
function binaryAveragePrecision(
  pos: Uint8Array,
  s: Float64Array,
  w: Float64Array | undefined,
): number {
  const { fps, tps } = binaryClfCurve(pos, s, w);
  const m = tps.length;
  const last = tps[m - 1];
  // precision_recall_curve, reversed, with (P=1, R=0) appended.
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  for (let i = 0; i < m; i++) {
    const k = m - 1 - i;
    const ps = tps[k] + fps[k];
    precision[i] = ps !== 0 ? tps[k] / ps : 0;
    recall[i] = last === 0 ? 1 : tps[k] / last;
  }
  precision[m] = 1;
  recall[m] = 0;
  let ap = 0;
  for (let i = 0; i < m; i++) ap += (recall[i + 1] - recall[i]) * precision[i];
  return Math.max(0, -ap);
}

export const averagePrecisionOptionsSchema = z
  .object({
    average: z.enum(['micro', 'macro', 'weighted', 'samples']).nullable().default('macro'),
    pos_label: z.union([z.number().int(), z.string(), z.boolean()]).default(1),
  })
  .strict();

function averagePrecisionOf(
  state: ScoreState,
  o: z.output<typeof averagePrecisionOptionsSchema>,
  where: string,
): number | number[] {
  const refs = state.references;
  const n = refs.length;
  assertNonEmpty(n, 'references', where);
  const w = state.weights ? Float64Array.from(state.weights) : undefined;
  if (isRow(refs[0])) {
    if (o.pos_label !== 1)
      throw new ValidationError('pos_label is fixed to 1 for multilabel references', [], { where });
    const truth = refs.map((r, i) =>
      Uint8Array.from(finiteArray(r, `references[${i}]`, where), (v) => (v ? 1 : 0)),
    );
    return averageBinary(
      binaryAveragePrecision,
      truth,
      scoreMatrix(state.scores, n, where),
      o.average,
      w,
    );
  }
  const classes = [...new Set(refs.map((r) => (typeof r === 'boolean' ? Number(r) : r)))] as (
    | number
    | string
  )[];
  classes.sort(compareLabels);
  if (classes.length > 2) {
    if (o.pos_label !== 1)
      throw new ValidationError('pos_label is fixed to 1 for multiclass references', [], { where });
    const scores = scoreMatrix(state.scores, n, where);
    if (scores[0].length !== classes.length) {
      throw new ShapeError(
        `${classes.length} classes but prediction_scores has ${scores[0].length} columns`,
        { where },
      );
    }
    const truth = refs.map((r) => {
      const row = new Uint8Array(classes.length);
      row[classes.indexOf((typeof r === 'boolean' ? Number(r) : r) as number | string)] = 1;
      return row;
    });
    return averageBinary(binaryAveragePrecision, truth, scores, o.average, w);
  }
  const pos = typeof o.pos_label === 'boolean' ? Number(o.pos_label) : o.pos_label;
  if (classes.length === 2 && !classes.includes(pos)) {
    throw new ValidationError(
      `pos_label=${JSON.stringify(pos)} is not a valid label; it should be one of ${classes.map((c) => JSON.stringify(c)).join(', ')}`,
      [],
      { where },
    );
  }
  const mask = positiveMask(refs, pos, where);
  return binaryAveragePrecision(mask, finiteArray(state.scores, 'prediction_scores', where), w);
}

/** sklearn `average_precision_score(y_true, y_score)`. */
export function averagePrecisionScore(
  references: readonly unknown[],
  predictionScores: readonly unknown[],
  options: z.input<typeof averagePrecisionOptionsSchema> & {
    sample_weight?: readonly number[];
  } = {},
): number | number[] {
  const where = 'averagePrecisionScore';
  const { sample_weight, ...rest } = options;
  const o = parseOptions(averagePrecisionOptionsSchema, rest, where);
  const state = new ScoreState();
  state.add({ references, prediction_scores: predictionScores, sample_weight }, where);
  return averagePrecisionOf(state, o, where);
}

/** `metric:average_precision`. */
export const averagePrecisionMetric = defineMetric({
  id: 'average_precision',
  description: 'Average precision identical to scikit-learn average_precision_score',
  options: averagePrecisionOptionsSchema,
  init: () => new ScoreState(),
  update: (state, batch: ScoreBatch, _o, where) => state.add(batch, where),
  finalize: (state, o, where) => ({ average_precision: averagePrecisionOf(state, o, where) }),
});
