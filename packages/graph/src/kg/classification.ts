import { type Rng, ValidationError } from '@kd/core';
import { accuracyScore, precisionRecallFscoreSupport, rocAucScore } from '@kd/eval';
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
 * the "true triple" class (scikit-learn semantics, from @kd/eval).
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
  const labels = Array.from(test.labels, (l) => (l === 1 ? 1 : 0));
  const predicted = Array.from(test.scores, (s, k) => {
    const th = thresholds[test.relations[k]];
    return s >= (Number.isNaN(th) ? globalThreshold : th) ? 1 : 0;
  });
  // scikit-learn's definitions, via @kd/eval (references first, as sklearn).
  const prf = precisionRecallFscoreSupport(labels, predicted, {
    average: 'binary',
    zero_division: 0,
  });
  return {
    auc: rocAucScore(labels, Array.from(test.scores)) as number,
    accuracy: accuracyScore(labels, predicted),
    precision: prf.precision as number,
    recall: prf.recall as number,
    f1: prf.fscore as number,
    thresholds,
    globalThreshold,
  };
}
