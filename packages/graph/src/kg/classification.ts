import { type Rng, ValidationError } from '@kd/core';
import type { TripleFilter, Triples } from './triples.js';

/**
 * One corrupted triple per positive for triple classification (Socher et
 * al. 2013): head or tail (a fair coin) replaced by a random entity such that
 * the result is not a known true triple. Fixed by the seed, so every model is
 * judged on the same negatives.
 */
export function classificationNegatives(
  positives: Triples,
  numEntities: number,
  known: TripleFilter,
  rng: Rng,
): Triples {
  const n = positives.heads.length;
  const out: Triples = {
    heads: Int32Array.from(positives.heads),
    relations: Int32Array.from(positives.relations),
    tails: Int32Array.from(positives.tails),
  };
  for (let k = 0; k < n; k++) {
    const head = rng.uniform() < 0.5;
    for (let tries = 0; ; tries++) {
      const e = rng.int(numEntities);
      const h = head ? e : positives.heads[k];
      const t = head ? positives.tails[k] : e;
      if (!known.has(h, positives.relations[k], t)) {
        out.heads[k] = h;
        out.tails[k] = t;
        break;
      }
      if (tries > 1000) {
        throw new ValidationError(
          `could not corrupt triple ${k} into a false one in 1000 draws (is the graph complete?)`,
        );
      }
    }
  }
  return out;
}

/**
 * Area under the ROC curve with ties counted one half (the Mann–Whitney
 * statistic; equals scikit-learn's `roc_auc_score`).
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] === 1) {
        pos++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** The threshold θ (predict true iff score ≥ θ) with the best accuracy on these pairs. */
export function bestThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (n === 0) return Number.NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const totalNeg = Array.from(labels).filter((l) => l !== 1).length;
  // θ above every score: everything predicted false.
  let correct = totalNeg;
  let best = correct;
  let theta = scores[order[0]] + 1;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    for (let k = i; k <= j; k++) correct += labels[order[k]] === 1 ? 1 : -1;
    if (correct > best) {
      best = correct;
      // Midway to the next lower score, so unseen scores in between fall sensibly.
      theta = j + 1 < n ? (scores[order[j]] + scores[order[j + 1]]) / 2 : scores[order[j]];
    }
    i = j + 1;
  }
  return theta;
}

export interface TripleClassificationResult {
  auc: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** θ per relation (NaN where the validation split had none: the global θ is used). */
  thresholds: Float32Array;
  globalThreshold: number;
}

/**
 * Triple classification: per-relation thresholds chosen for accuracy on the
 * validation pairs (Socher et al. 2013), applied to the test pairs; ROC-AUC
 * is threshold-free, over all test pairs. Precision, recall and F1 are for
 * the "true triple" class.
 */
export function tripleClassification(
  valid: { scores: ArrayLike<number>; labels: ArrayLike<number>; relations: ArrayLike<number> },
  test: { scores: ArrayLike<number>; labels: ArrayLike<number>; relations: ArrayLike<number> },
  numRelations: number,
): TripleClassificationResult {
  const thresholds = new Float32Array(numRelations).fill(Number.NaN);
  for (let r = 0; r < numRelations; r++) {
    const idx: number[] = [];
    for (let k = 0; k < valid.relations.length; k++) if (valid.relations[k] === r) idx.push(k);
    if (idx.length > 0) {
      thresholds[r] = bestThreshold(
        idx.map((k) => valid.scores[k]),
        idx.map((k) => valid.labels[k]),
      );
    }
  }
  const globalThreshold = bestThreshold(valid.scores, valid.labels);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let correct = 0;
  for (let k = 0; k < test.scores.length; k++) {
    const th = thresholds[test.relations[k]];
    const predicted = test.scores[k] >= (Number.isNaN(th) ? globalThreshold : th);
    const actual = test.labels[k] === 1;
    if (predicted && actual) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
    if (predicted === actual) correct++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return {
    auc: rocAuc(test.scores, test.labels),
    accuracy: test.scores.length === 0 ? Number.NaN : correct / test.scores.length,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    thresholds,
    globalThreshold,
  };
}
