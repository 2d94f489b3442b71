import { ValidationError } from '@kd/core';
import type { SquadExample } from '../readers/squad.js';
import type { BaseTokenizer } from '../tokenizers/base.js';

/** One model input window of a SQuAD example (long contexts give several). */
export interface SquadFeature {
  exampleIndex: number;
  /** `[CLS] question [SEP] context-window [SEP] [PAD]…`, length `maxLength`. */
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  /** Gold span in token positions; both are the [CLS] index (0) when the answer is not inside this window. */
  startPosition: number;
  endPosition: number;
  /** Character span in the context for context tokens, null elsewhere (to map predictions back to text). */
  offsets: ([number, number] | null)[];
}

export interface SquadFeatureOptions {
  /** Default 384 (BERT SQuAD recipe). */
  maxLength?: number;
  /** Tokens shared by consecutive context windows. Default 128. */
  docStride?: number;
  /** Questions are cut to this many tokens. Default 64. */
  maxQueryLength?: number;
}

/**
 * Hugging Face `run_qa.py`'s `prepare_train_features` for BERT-style
 * tokenizers: question first, the context cut into overlapping windows
 * (`only_second` truncation with a stride, as `tokenizers` makes overflowing
 * windows), and the first gold answer's character span mapped to token
 * positions, or to [CLS] when a window does not contain it.
 */
export function squadFeatures(
  examples: readonly SquadExample[],
  tokenizer: BaseTokenizer,
  options: SquadFeatureOptions = {},
): SquadFeature[] {
  const maxLength = options.maxLength ?? 384;
  const stride = options.docStride ?? 128;
  const { cls, sep, pad } = tokenizer.specialTokens;
  if (cls === undefined || sep === undefined || pad === undefined) {
    throw new ValidationError(
      `squadFeatures needs a tokenizer with [CLS], [SEP] and [PAD] tokens; ${tokenizer.type} lacks some`,
    );
  }
  const out: SquadFeature[] = [];
  examples.forEach((ex, exampleIndex) => {
    const q = tokenizer.pieces(ex.question.replace(/^\s+/, ''));
    const qIds = q.ids.slice(0, options.maxQueryLength ?? 64);
    const c = tokenizer.pieces(ex.context);
    const budget = maxLength - qIds.length - 3;
    if (budget <= stride) {
      throw new ValidationError(
        `maxLength ${maxLength} leaves ${budget} context tokens after the question, not more than docStride ${stride}`,
      );
    }
    const step = budget - stride;
    const n = c.ids.length;
    const answerStart = ex.answers.answerStart[0];
    const answerEnd =
      answerStart === undefined ? undefined : answerStart + ex.answers.text[0].length;
    for (let s = 0; ; s += step) {
      const e = Math.min(s + budget, n);
      const ctxStart = qIds.length + 2;
      const inputIds = new Int32Array(maxLength).fill(pad);
      const attentionMask = new Int32Array(maxLength);
      const tokenTypeIds = new Int32Array(maxLength);
      const offsets: ([number, number] | null)[] = new Array(maxLength).fill(null);
      inputIds[0] = cls;
      inputIds.set(qIds, 1);
      inputIds[qIds.length + 1] = sep;
      for (let k = s; k < e; k++) {
        inputIds[ctxStart + k - s] = c.ids[k];
        tokenTypeIds[ctxStart + k - s] = 1;
        offsets[ctxStart + k - s] = c.offsets[k];
      }
      const last = ctxStart + (e - s);
      inputIds[last] = sep;
      tokenTypeIds[last] = 1;
      attentionMask.fill(1, 0, last + 1);
      let startPosition = 0;
      let endPosition = 0;
      if (answerStart !== undefined && answerEnd !== undefined && e > s) {
        const first = c.offsets[s];
        const lastOff = c.offsets[e - 1];
        if (first[0] <= answerStart && lastOff[1] >= answerEnd) {
          let a = s;
          while (a < e && c.offsets[a][0] <= answerStart) a++;
          let b = e - 1;
          while (b >= s && c.offsets[b][1] >= answerEnd) b--;
          startPosition = ctxStart + (a - 1 - s);
          endPosition = ctxStart + (b + 1 - s);
        }
      }
      out.push({
        exampleIndex,
        inputIds,
        attentionMask,
        tokenTypeIds,
        startPosition,
        endPosition,
        offsets,
      });
      if (e >= n) break;
    }
  });
  return out;
}
