import type { EncodedExample, SquadExample, SquadFeature } from '@kd/data';
import { glue, squad } from '@kd/eval';
import type { BertForQuestionAnswering, BertForSequenceClassification, Module } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import type { TaskData } from './data.js';

/** The metric each task is ranked by (and its column in the table). */
export const MAIN_METRIC = {
  sst2: 'accuracy',
  rte: 'accuracy',
  stsb: 'pearson',
  squad: 'f1',
} as const;

/** The metrics each task reports, in table order. */
export const TASK_METRICS: Record<TaskData['task'], readonly string[]> = {
  sst2: ['accuracy'],
  rte: ['accuracy'],
  stsb: ['pearson', 'spearman'],
  squad: ['f1', 'exact_match'],
};

/** Indices sorted by length so evaluation batches carry little padding (order does not affect metrics). */
function byLength(lengths: readonly number[]): number[] {
  return lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
}

function padRows(rows: readonly { ids: Int32Array; types: Int32Array }[], padId: number) {
  const seqLen = rows.reduce((m, r) => Math.max(m, r.ids.length), 1);
  const n = rows.length;
  const inputIds = new Int32Array(n * seqLen).fill(padId);
  const attentionMask = new Int32Array(n * seqLen);
  const tokenTypeIds = new Int32Array(n * seqLen);
  rows.forEach((r, b) => {
    inputIds.set(r.ids, b * seqLen);
    tokenTypeIds.set(r.types, b * seqLen);
    attentionMask.fill(1, b * seqLen, b * seqLen + r.ids.length);
  });
  const shape: [number, number] = [n, seqLen];
  return {
    inputIds: tf.tensor2d(inputIds, shape, 'int32'),
    attentionMask: tf.tensor2d(attentionMask, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(tokenTypeIds, shape, 'int32'),
  };
}

/** Logits of every example, `[n][labels]`, in dataset order. */
export function classify(
  model: BertForSequenceClassification,
  examples: readonly EncodedExample[],
  padId: number,
  batchSize: number,
): number[][] {
  const order = byLength(examples.map((e) => e.ids.length));
  const out: number[][] = new Array(examples.length);
  for (let s = 0; s < order.length; s += batchSize) {
    const idx = order.slice(s, s + batchSize);
    const logits = tf.tidy(() => {
      const inputs = padRows(
        idx.map((i) => ({ ids: examples[i].ids, types: examples[i].tokenTypeIds })),
        padId,
      );
      return model.forward(inputs).logits.arraySync() as number[][];
    });
    idx.forEach((i, k) => {
      out[i] = logits[k];
    });
  }
  return out;
}

/** Start and end logits of every SQuAD window, in feature order. */
function spanLogits(
  model: BertForQuestionAnswering,
  features: readonly SquadFeature[],
  batchSize: number,
): { start: Float32Array; end: Float32Array }[] {
  const lengths = features.map((f) => f.attentionMask.reduce((a, v) => a + v, 0));
  const order = byLength(lengths);
  const out: { start: Float32Array; end: Float32Array }[] = new Array(features.length);
  for (let s = 0; s < order.length; s += batchSize) {
    const idx = order.slice(s, s + batchSize);
    const rows = idx.map((i) => ({
      ids: features[i].inputIds.subarray(0, lengths[i]),
      types: features[i].tokenTypeIds.subarray(0, lengths[i]),
    }));
    const [start, end] = tf.tidy(() => {
      const o = model.forward(padRows(rows, 0));
      return [o.startLogits.dataSync() as Float32Array, o.endLogits.dataSync() as Float32Array];
    });
    const t = start.length / idx.length;
    idx.forEach((i, k) => {
      out[i] = {
        start: start.slice(k * t, k * t + lengths[i]),
        end: end.slice(k * t, k * t + lengths[i]),
      };
    });
  }
  return out;
}

/**
 * Hugging Face `postprocess_qa_predictions` for SQuAD v1.1: over every
 * window of an example, the best start ≤ end pair of context tokens (at most
 * `maxAnswerLength` tokens, among the `nBest` highest start and end logits),
 * scored by start + end logit, mapped back to the context's characters.
 */
export function decodeSpans(
  examples: readonly SquadExample[],
  features: readonly SquadFeature[],
  logits: readonly { start: ArrayLike<number>; end: ArrayLike<number> }[],
  options: { nBest?: number; maxAnswerLength?: number } = {},
): string[] {
  const nBest = options.nBest ?? 20;
  const maxLen = options.maxAnswerLength ?? 30;
  const best = examples.map(() => ({ score: Number.NEGATIVE_INFINITY, text: '' }));
  const top = (a: ArrayLike<number>) =>
    Array.from({ length: a.length }, (_, i) => i)
      .sort((x, y) => a[y] - a[x] || x - y)
      .slice(0, nBest);
  features.forEach((f, k) => {
    const { start, end } = logits[k];
    const ex = examples[f.exampleIndex];
    for (const s of top(start)) {
      for (const e of top(end)) {
        const so = f.offsets[s];
        const eo = f.offsets[e];
        if (!so || !eo || e < s || e - s + 1 > maxLen) continue;
        const score = start[s] + end[e];
        const b = best[f.exampleIndex];
        if (score > b.score) {
          b.score = score;
          b.text = ex.context.slice(so[0], eo[1]);
        }
      }
    }
  });
  return best.map((b) => b.text);
}

/** Metrics of a trained model on the task's evaluation split, as fractions (SQuAD's 0–100 divided by 100). */
export function evaluate(model: Module, data: TaskData, batchSize: number): Record<string, number> {
  if (data.kind === 'span') {
    const logits = spanLogits(model as BertForQuestionAnswering, data.dev.features, batchSize);
    const predictions = decodeSpans(data.dev.examples, data.dev.features, logits);
    const r = squad(
      predictions,
      data.dev.examples.map((e) => e.answers.text),
    );
    return { f1: r.f1 / 100, exact_match: r.exact_match / 100 };
  }
  const logits = classify(
    model as BertForSequenceClassification,
    data.dev,
    data.vocab.special.pad,
    batchSize,
  );
  const refs = data.dev.map((e) => e.label);
  if (data.kind === 'regression') {
    const r = glue(
      'stsb',
      logits.map((l) => l[0]),
      refs,
    ) as { pearson: number; spearmanr: number };
    return { pearson: r.pearson, spearman: r.spearmanr };
  }
  const predictions = logits.map((l) => l.indexOf(Math.max(...l)));
  return glue(data.task, predictions, refs) as { accuracy: number };
}

/** Accuracy of always predicting the training split's most frequent class. */
export function majorityAccuracy(data: TaskData): number | undefined {
  if (data.kind !== 'classification') return undefined;
  const counts = new Map<number, number>();
  for (const e of data.train) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  const majority = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
  return data.dev.filter((e) => e.label === majority).length / data.dev.length;
}
