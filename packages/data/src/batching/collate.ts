import { ValidationError } from '@kd/core';
import type { GlueExample } from '../readers/glue.js';
import type { EncodeOptions, Tokenizer } from '../tokenizers/types.js';

/** One pre-tokenised example: ids with specials, segment ids, and its label. */
export interface EncodedExample {
  ids: Int32Array;
  tokenTypeIds: Int32Array;
  /** Class index or regression target; NaN when unlabeled. */
  label: number;
}

/** A padded batch, row-major `[batchSize, seqLen]`, ready for `tf.tensor2d(…, 'int32')`. */
export interface TokenBatch {
  batchSize: number;
  seqLen: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  /** Int32Array of class ids, or Float32Array for regression (STS-B). */
  labels: Int32Array | Float32Array;
  /** Dataset indices of the rows. */
  indices: Int32Array;
}

/**
 * Tokenises GLUE examples once (with specials, truncation to `maxLength`, pairs
 * as `[CLS] a [SEP] b [SEP]`), so epochs only pad and copy.
 */
export function encodeExamples(
  examples: readonly Pick<GlueExample, 'text' | 'pair' | 'label'>[],
  tokenizer: Tokenizer,
  options: Pick<EncodeOptions, 'maxLength' | 'truncation'> = {},
): EncodedExample[] {
  return examples.map((ex) => {
    const enc = tokenizer.encode(ex.text, { ...options, pair: ex.pair });
    return {
      ids: Int32Array.from(enc.ids),
      tokenTypeIds: Int32Array.from(enc.tokenTypeIds),
      label: ex.label < 0 ? Number.NaN : ex.label,
    };
  });
}

export interface CollateOptions {
  padId: number;
  /** Round the batch length up to a multiple (e.g. 8). */
  padToMultipleOf?: number;
  /** Pad every batch to this length instead of its longest row. */
  padTo?: number;
  paddingSide?: 'right' | 'left';
  /** Float labels (regression). Default: Int32 class ids. */
  regression?: boolean;
}

/** Pads the chosen examples into one batch. */
export function collate(
  items: readonly EncodedExample[],
  indices: ArrayLike<number>,
  options: CollateOptions,
): TokenBatch {
  const rows = Array.from(indices, (i) => {
    const it = items[i];
    if (!it) throw new ValidationError(`index ${i} is outside the ${items.length} examples`);
    return it;
  });
  let seqLen = options.padTo ?? rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
  if (options.padTo !== undefined) {
    const longest = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
    if (longest > options.padTo)
      throw new ValidationError(
        `a row has ${longest} tokens, more than padTo ${options.padTo}; truncate when encoding`,
      );
  }
  const mult = options.padToMultipleOf ?? 1;
  if (mult > 1) seqLen = Math.ceil(seqLen / mult) * mult;
  const n = rows.length;
  const inputIds = new Int32Array(n * seqLen).fill(options.padId);
  const attentionMask = new Int32Array(n * seqLen);
  const tokenTypeIds = new Int32Array(n * seqLen);
  const labels = options.regression ? new Float32Array(n) : new Int32Array(n);
  rows.forEach((r, b) => {
    const off = b * seqLen + (options.paddingSide === 'left' ? seqLen - r.ids.length : 0);
    inputIds.set(r.ids, off);
    tokenTypeIds.set(r.tokenTypeIds, off);
    attentionMask.fill(1, off, off + r.ids.length);
    labels[b] = Number.isNaN(r.label) ? (options.regression ? Number.NaN : -100) : r.label;
  });
  return {
    batchSize: n,
    seqLen,
    inputIds,
    attentionMask,
    tokenTypeIds,
    labels,
    indices: Int32Array.from(indices),
  };
}
