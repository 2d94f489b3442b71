import { type Rng, ValidationError } from '@kd/core';
import { IGNORE_INDEX } from './losses.js';

export interface MaskingOptions {
  /** The `[MASK]` token id. */
  maskTokenId: number;
  /** Random replacements are drawn from 0 … vocabSize−1 (as HF: the whole vocabulary). */
  vocabSize: number;
  /** Never selected: [CLS], [SEP], [PAD]… */
  specialTokenIds?: readonly number[];
  /** Fraction of tokens selected (default 0.15). */
  mlmProbability?: number;
  /** Of the selected, the fraction replaced by [MASK] (default 0.8). */
  maskReplaceProb?: number;
  /** Of the selected, the fraction replaced by a random token (default 0.1); the rest stay. */
  randomReplaceProb?: number;
}

/**
 * BERT's masking, as Hugging Face's `DataCollatorForLanguageModeling`
 * (`torch_mask_tokens`): each non-special, non-padding token is selected
 * with probability 0.15; a selected token becomes [MASK] with probability
 * 0.8, otherwise a random token with probability 0.1/(1−0.8), otherwise
 * stays. Labels are the original ids at selected positions and −100
 * elsewhere. Draws come from `rng` in row-major order, so a seed gives the
 * same masks everywhere.
 */
export function maskTokens(
  inputIds: readonly (readonly number[])[],
  rng: Rng,
  options: MaskingOptions,
  attentionMask?: readonly (readonly number[])[],
): { inputIds: number[][]; labels: number[][] } {
  const p = options.mlmProbability ?? 0.15;
  const pMask = options.maskReplaceProb ?? 0.8;
  const pRandom = options.randomReplaceProb ?? 0.1;
  if (!(p >= 0 && p <= 1 && pMask >= 0 && pRandom >= 0 && pMask + pRandom <= 1)) {
    throw new ValidationError(
      `need 0 ≤ mlmProbability ≤ 1 and maskReplaceProb + randomReplaceProb ≤ 1; got ${p}, ${pMask}, ${pRandom}`,
      [],
      { where: 'maskTokens' },
    );
  }
  const special = new Set(options.specialTokenIds ?? []);
  const randomGivenNotMasked = pMask < 1 ? pRandom / (1 - pMask) : 0;
  const ids: number[][] = [];
  const labels: number[][] = [];
  inputIds.forEach((row, r) => {
    const outRow = [...row];
    const labelRow = new Array<number>(row.length).fill(IGNORE_INDEX);
    for (let i = 0; i < row.length; i++) {
      if (special.has(row[i]) || attentionMask?.[r]?.[i] === 0) continue;
      if (!(rng.uniform() < p)) continue;
      labelRow[i] = row[i];
      if (rng.uniform() < pMask) outRow[i] = options.maskTokenId;
      else if (rng.uniform() < randomGivenNotMasked) outRow[i] = rng.int(options.vocabSize);
    }
    ids.push(outRow);
    labels.push(labelRow);
  });
  return { inputIds: ids, labels };
}
