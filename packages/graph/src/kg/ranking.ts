import { NumericError, ValidationError } from '@kd/core';

/**
 * How a tie between the true entity and other candidates is ranked:
 * `optimistic` puts the true one first, `pessimistic` last, `realistic` at
 * the mean of the two (the expected rank under a random order; PyKEEN's
 * default, and what Sun et al. 2020 recommend after finding that optimistic
 * ties inflate some published results).
 */
export type TieMode = 'realistic' | 'optimistic' | 'pessimistic';

/**
 * Rank of `scores[target]` among `scores` (higher is better), ignoring the
 * candidates in `filtered` other than the target itself (the filtered
 * setting of Bordes et al. 2013). Ranks start at 1.
 */
export function rankOfTarget(
  scores: ArrayLike<number>,
  target: number,
  filtered: ArrayLike<number> = [],
  ties: TieMode = 'realistic',
): number {
  const s = scores[target];
  if (Number.isNaN(s)) {
    throw new NumericError(`score of the true entity ${target} is NaN`, { where: 'rankOfTarget' });
  }
  let greater = 0;
  let equal = 0;
  for (let e = 0; e < scores.length; e++) {
    if (e === target) continue;
    const v = scores[e];
    if (v > s) greater++;
    else if (v === s) equal++;
    else if (Number.isNaN(v)) {
      throw new NumericError(`score of candidate ${e} is NaN`, { where: 'rankOfTarget' });
    }
  }
  // Filtered candidates are removed from whichever count they fell in (once
  // each, however often a known triple repeats across the splits).
  const seen = new Set<number>();
  for (let k = 0; k < filtered.length; k++) {
    const e = filtered[k];
    if (e === target || seen.has(e)) continue;
    seen.add(e);
    const v = scores[e];
    if (v > s) greater--;
    else if (v === s) equal--;
  }
  switch (ties) {
    case 'optimistic':
      return 1 + greater;
    case 'pessimistic':
      return 1 + greater + equal;
    case 'realistic':
      return 1 + greater + equal / 2;
    default:
      throw new ValidationError(
        `ties must be realistic, optimistic or pessimistic, got ${ties as string}`,
      );
  }
}

export interface RankingMetrics {
  /** Mean reciprocal rank. */
  mrr: number;
  /** Mean rank. */
  mr: number;
  /** Hits@k: fraction of ranks ≤ k, keyed by k. */
  hits: Record<number, number>;
  count: number;
}

/** MRR, MR and Hits@k of a list of ranks (the KG link-prediction summary). */
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
