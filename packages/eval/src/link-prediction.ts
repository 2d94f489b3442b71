import { describeValue, NumericError, ShapeError, ValidationError } from '@kd/core';
import { z } from 'zod';
import { defineMetric } from './metric.js';
import { arrayLength, assertNonEmpty, parseOptions } from './validate.js';

/**
 * Filtered rank-based link-prediction metrics (MRR, MR, Hits@k), the
 * protocol of Bordes et al. 2013 as PyKEEN's RankBasedEvaluator implements
 * it. For each query the true candidate's score is compared with every other
 * candidate except the filtered ones (other known true answers):
 *   optimistic  = 1 + #{score > true score}
 *   pessimistic = 1 + #{score >= true score} (the true candidate excluded)
 *   realistic   = (optimistic + pessimistic) / 2   (PyKEEN's default)
 * Ties decide published numbers (an all-constant model gets MRR 1 under the
 * optimistic policy), so the policy is an option and is echoed in the result.
 */

export const linkPredictionOptionsSchema = z
  .object({
    tie_policy: z.enum(['realistic', 'optimistic', 'pessimistic']).default('realistic'),
    ks: z.array(z.number().int().positive()).min(1).default([1, 3, 10]),
    /** false when lower scores are better (distances). */
    higher_is_better: z.boolean().default(true),
  })
  .strict();
export type LinkPredictionOptions = z.input<typeof linkPredictionOptionsSchema>;
type Parsed = z.output<typeof linkPredictionOptionsSchema>;

export interface LinkPredictionBatch {
  /** Scores of every candidate, one row per query. */
  scores: readonly ArrayLike<number>[];
  /** Index of the true candidate in each row. */
  targets: readonly number[];
  /** Per query, indices of other true candidates to leave out (the filtered setting). */
  filters?: readonly (readonly number[])[];
}

export type LinkPredictionResult = {
  mrr: number;
  mr: number;
  tie_policy: Parsed['tie_policy'];
  num_queries: number;
} & Record<`hits_at_${number}`, number>;

/** Rank of `scores[target]` among the unfiltered candidates under a tie policy. */
export function filteredRank(
  scores: ArrayLike<number>,
  target: number,
  filter: readonly number[] | undefined,
  policy: Parsed['tie_policy'],
  higherIsBetter = true,
  where = 'filteredRank',
): number {
  const n = scores.length;
  if (!Number.isInteger(target) || target < 0 || target >= n) {
    throw new ValidationError(
      `target ${describeValue(target)} is not a candidate index in [0, ${n})`,
      [],
      { where },
    );
  }
  const skip = filter && filter.length > 0 ? new Set(filter) : undefined;
  const t = scores[target];
  if (!Number.isFinite(t)) throw new NumericError(`the true candidate's score is ${t}`, { where });
  let better = 0;
  let equal = 0;
  for (let i = 0; i < n; i++) {
    if (i === target || skip?.has(i)) continue;
    const s = scores[i];
    if (Number.isNaN(s)) throw new NumericError(`candidate ${i} has score NaN`, { where });
    if (higherIsBetter ? s > t : s < t) better++;
    else if (s === t) equal++;
  }
  const optimistic = 1 + better;
  const pessimistic = 1 + better + equal;
  return policy === 'optimistic'
    ? optimistic
    : policy === 'pessimistic'
      ? pessimistic
      : (optimistic + pessimistic) / 2;
}

class RankState {
  sumRank = 0;
  sumInv = 0;
  hits: number[];
  count = 0;
  constructor(readonly o: Parsed) {
    this.hits = o.ks.map(() => 0);
  }
  addRank(rank: number): void {
    this.sumRank += rank;
    this.sumInv += 1 / rank;
    this.o.ks.forEach((k, i) => {
      if (rank <= k) this.hits[i]++;
    });
    this.count++;
  }
  add(batch: LinkPredictionBatch, where: string): number {
    const n = arrayLength(batch?.scores, 'scores', where);
    if (arrayLength(batch.targets, 'targets', where) !== n) {
      throw new ShapeError(`targets has ${batch.targets.length} entries for ${n} score rows`, {
        where,
      });
    }
    if (batch.filters !== undefined && arrayLength(batch.filters, 'filters', where) !== n) {
      throw new ShapeError(`filters has ${batch.filters.length} entries for ${n} score rows`, {
        where,
      });
    }
    for (let i = 0; i < n; i++) {
      arrayLength(batch.scores[i], `scores[${i}]`, where);
      this.addRank(
        filteredRank(
          batch.scores[i],
          batch.targets[i],
          batch.filters?.[i],
          this.o.tie_policy,
          this.o.higher_is_better,
          where,
        ),
      );
    }
    return n;
  }
  result(where: string): LinkPredictionResult {
    assertNonEmpty(this.count, 'queries', where);
    const out: Record<string, number | string> = {
      mrr: this.sumInv / this.count,
      mr: this.sumRank / this.count,
    };
    this.o.ks.forEach((k, i) => {
      out[`hits_at_${k}`] = this.hits[i] / this.count;
    });
    out.tie_policy = this.o.tie_policy;
    out.num_queries = this.count;
    return out as LinkPredictionResult;
  }
}

/** Filtered MRR, MR and Hits@k over queries. */
export function linkPrediction(
  batch: LinkPredictionBatch,
  options: LinkPredictionOptions = {},
): LinkPredictionResult {
  const where = 'linkPrediction';
  const o = parseOptions(linkPredictionOptionsSchema, options, where);
  const s = new RankState(o);
  s.add(batch, where);
  return s.result(where);
}

/** `metric:link_prediction`. */
export const linkPredictionMetric = defineMetric({
  id: 'link_prediction',
  description:
    "Filtered MRR / MR / Hits@k with a stated tie policy (PyKEEN's realistic rank by default)",
  options: linkPredictionOptionsSchema,
  init: (o) => new RankState(o),
  update: (s, b: LinkPredictionBatch, _o, where) => s.add(b, where),
  toBatch: (e: {
    scores: ArrayLike<number>;
    target: number;
    filter?: readonly number[];
  }): LinkPredictionBatch => ({
    scores: [e.scores],
    targets: [e.target],
    ...(e.filter ? { filters: [e.filter] } : {}),
  }),
  finalize: (s, _o, where) => s.result(where),
});
