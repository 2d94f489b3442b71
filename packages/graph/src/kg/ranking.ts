import { ValidationError } from '@kd/core';

/**
 * How a tie between the true entity and other candidates is ranked (the
 * ranks themselves come from @kd/eval's `filteredRank`):
 * `optimistic` puts the true one first, `pessimistic` last, `realistic` at
 * the mean of the two (the expected rank under a random order; PyKEEN's
 * default, and what Sun et al. 2020 recommend after finding that optimistic
 * ties inflate some published results).
 */
export type TieMode = 'realistic' | 'optimistic' | 'pessimistic';

export interface RankingMetrics {
  /** Mean reciprocal rank. */
  mrr: number;
  /** Mean rank. */
  mr: number;
  /** Hits@k: fraction of ranks ≤ k, keyed by k. */
  hits: Record<number, number>;
  count: number;
}

/**
 * MRR, MR and Hits@k of a list of ranks — the summary @kd/eval's
 * `linkPrediction` gives, for ranks already computed once per query so that
 * tail, head and pooled summaries share them.
 */
export function rankingMetrics(
  ranks: ArrayLike<number>,
  ks: readonly number[] = [1, 3, 10],
): RankingMetrics {
  const n = ranks.length;
  if (n === 0) {
    return {
      mrr: Number.NaN,
      mr: Number.NaN,
      hits: Object.fromEntries(ks.map((k) => [k, Number.NaN])),
      count: 0,
    };
  }
  let rr = 0;
  let r = 0;
  const hits = Object.fromEntries(ks.map((k) => [k, 0])) as Record<number, number>;
  for (let i = 0; i < n; i++) {
    const v = ranks[i];
    if (!(v >= 1)) throw new ValidationError(`rank ${v} at position ${i}; ranks start at 1`);
    rr += 1 / v;
    r += v;
    for (const k of ks) if (v <= k) hits[k]++;
  }
  for (const k of ks) hits[k] /= n;
  return { mrr: rr / n, mr: r / n, hits, count: n };
}
