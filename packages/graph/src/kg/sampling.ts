import { type Rng, ValidationError } from '@kd/core';
import type { TripleFilter, Triples } from './triples.js';

export type NegativeSampler = 'uniform' | 'bernoulli';

/**
 * Per-relation probability of corrupting the head (Wang et al. 2014,
 * "bern"): tph / (tph + hpt), where tph is the mean number of tails per head
 * and hpt the mean number of heads per tail in the training triples. One-to-
 * many relations then mostly get their head replaced, which makes fewer false
 * negatives.
 */
export function bernoulliHeadProbability(train: Triples, numRelations: number): Float32Array {
  const pairsHR = new Map<number, number>();
  const pairsRT = new Map<number, number>();
  const count = new Float64Array(numRelations);
  for (let k = 0; k < train.heads.length; k++) {
    const r = train.relations[k];
    const hr = train.heads[k] * numRelations + r;
    const rt = train.tails[k] * numRelations + r;
    pairsHR.set(hr, (pairsHR.get(hr) ?? 0) + 1);
    pairsRT.set(rt, (pairsRT.get(rt) ?? 0) + 1);
    count[r]++;
  }
  const heads = new Float64Array(numRelations);
  const tails = new Float64Array(numRelations);
  for (const key of pairsHR.keys()) heads[key % numRelations]++;
  for (const key of pairsRT.keys()) tails[key % numRelations]++;
  const out = new Float32Array(numRelations);
  for (let r = 0; r < numRelations; r++) {
    if (count[r] === 0) {
      out[r] = 0.5;
      continue;
    }
    const tph = count[r] / heads[r];
    const hpt = count[r] / tails[r];
    out[r] = tph / (tph + hpt);
  }
  return out;
}

export interface NegativeSamplingOptions {
  /** Negatives per positive. */
  count: number;
  sampler: NegativeSampler;
  numEntities: number;
  /** Per-relation head-corruption probabilities (required for `bernoulli`). */
  headProbability?: Float32Array;
  /** Resample (up to 10 tries) negatives that are known true triples. */
  filter?: TripleFilter;
}

/** Corrupted triples: row b·k + j is negative j of positive b; `corruptHead[i]` says which end changed. */
export interface Negatives extends Triples {
  corruptHead: Uint8Array;
}

/**
 * Corrupts each positive `count` times by replacing its head or tail with a
 * uniformly drawn entity; the side is a fair coin (`uniform`, Bordes et al.)
 * or the relation's Bernoulli probability.
 */
export function sampleNegatives(
  batch: Triples,
  options: NegativeSamplingOptions,
  rng: Rng,
): Negatives {
  const { count: k, numEntities: n } = options;
  if (options.sampler === 'bernoulli' && !options.headProbability) {
    throw new ValidationError(
      'bernoulli sampling needs headProbability (bernoulliHeadProbability(train))',
    );
  }
  const b = batch.heads.length;
  const out: Negatives = {
    heads: new Int32Array(b * k),
    relations: new Int32Array(b * k),
    tails: new Int32Array(b * k),
    corruptHead: new Uint8Array(b * k),
  };
  for (let i = 0; i < b; i++) {
    const h = batch.heads[i];
    const r = batch.relations[i];
    const t = batch.tails[i];
    const pHead = options.sampler === 'bernoulli' ? options.headProbability![r] : 0.5;
    for (let j = 0; j < k; j++) {
      const o = i * k + j;
      const head = rng.uniform() < pHead;
      let e = rng.int(n);
      if (options.filter) {
        for (let tries = 0; tries < 10; tries++) {
          const known = head ? options.filter.has(e, r, t) : options.filter.has(h, r, e);
          if (!known) break;
          e = rng.int(n);
        }
      }
      out.heads[o] = head ? e : h;
      out.relations[o] = r;
      out.tails[o] = head ? t : e;
      out.corruptHead[o] = head ? 1 : 0;
    }
  }
  return out;
}
