import { filteredRank } from '@kd/eval';
import * as tf from '@tensorflow/tfjs-core';
import type { KgModel } from './model.js';
import { type RankingMetrics, rankingMetrics, type TieMode } from './ranking.js';
import { type TripleFilter, type Triples, tripleCount } from './triples.js';

export interface LinkPredictionOptions {
  /** Queries scored per batch. */
  batchSize?: number;
  ties?: TieMode;
  /** Filtered (default) or raw ranking. */
  filtered?: boolean;
  /** Hits@k cut-offs. */
  ks?: number[];
}

export interface LinkPredictionResult {
  /** Both directions pooled: the number papers report. */
  both: RankingMetrics;
  tail: RankingMetrics;
  head: RankingMetrics;
  /** Rank of the true tail / head per triple. */
  tailRanks: Float64Array;
  headRanks: Float64Array;
}

/**
 * The standard two-sided protocol (Bordes et al. 2013): for each triple rank
 * the true tail among all entities for (h, r, ?) and the true head for
 * (?, r, t), removing the other known true triples (train ∪ valid ∪ test) in
 * the filtered setting. Runs the model in eval mode with one encoder pass.
 */
export function evaluateLinkPrediction(
  model: KgModel,
  triples: Triples,
  filter: TripleFilter,
  options: LinkPredictionOptions = {},
): LinkPredictionResult {
  const batch = options.batchSize ?? 256;
  const ties = options.ties ?? 'realistic';
  const filtered = options.filtered ?? true;
  const n = tripleCount(triples);
  const tailRanks = new Float64Array(n);
  const headRanks = new Float64Array(n);
  const wasTraining = model.training;
  model.eval();
  const entities = model.entities();
  try {
    for (let start = 0; start < n; start += batch) {
      const end = Math.min(n, start + batch);
      const h = triples.heads.subarray(start, end);
      const r = triples.relations.subarray(start, end);
      const t = triples.tails.subarray(start, end);
      const tailScores = tf.tidy(() => model.scoreTails(h, r, entities).dataSync());
      const headScores = tf.tidy(() => model.scoreHeads(r, t, entities).dataSync());
      const numEntities = entities.shape[0];
      for (let b = 0; b < end - start; b++) {
        const row = (s: ArrayLike<number> & { subarray?: unknown }, k: number) =>
          (s as Float32Array).subarray(k * numEntities, (k + 1) * numEntities);
        tailRanks[start + b] = filteredRank(
          row(tailScores, b),
          t[b],
          filtered ? asList(filter.tailsOf(h[b], r[b])) : undefined,
          ties,
          true,
          'evaluateLinkPrediction.tail',
        );
        headRanks[start + b] = filteredRank(
          row(headScores, b),
          h[b],
          filtered ? asList(filter.headsOf(r[b], t[b])) : undefined,
          ties,
          true,
          'evaluateLinkPrediction.head',
        );
      }
    }
  } finally {
    entities.dispose();
    model.train(wasTraining);
  }
  const both = new Float64Array(2 * n);
  both.set(tailRanks);
  both.set(headRanks, n);
  return {
    both: rankingMetrics(both, options.ks),
    tail: rankingMetrics(tailRanks, options.ks),
    head: rankingMetrics(headRanks, options.ks),
    tailRanks,
    headRanks,
  };
}

/** Known-true candidates as the number list @kd/eval takes (it only reads them). */
function asList(ids: Int32Array): readonly number[] {
  return ids as unknown as readonly number[];
}

/** Scores of a set of triples in eval mode (one encoder pass). */
export function scoreTriples(model: KgModel, triples: Triples, batchSize = 4096): Float32Array {
  const wasTraining = model.training;
  model.eval();
  const entities = model.entities();
  const n = tripleCount(triples);
  const out = new Float32Array(n);
  try {
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const part = {
        heads: triples.heads.subarray(start, end),
        relations: triples.relations.subarray(start, end),
        tails: triples.tails.subarray(start, end),
      };
      out.set(
        tf.tidy(() => model.score(part, entities).dataSync()),
        start,
      );
    }
  } finally {
    entities.dispose();
    model.train(wasTraining);
  }
  return out;
}
