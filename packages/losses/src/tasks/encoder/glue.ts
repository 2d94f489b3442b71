import { type GlueTask, loadGlue, type Split, type Tokenizer } from '@kd/data';

/** A GLUE split tokenized once, padded to `maxLength`. */
export interface EncodedSplit {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  labels: number[];
}

/** Loads a bundled GLUE split and encodes it ([CLS] a [SEP] b [SEP], truncated longest-first). */
export async function encodeGlue(
  task: GlueTask,
  split: Split,
  tokenizer: Tokenizer,
  maxLength: number,
  limit?: number,
): Promise<EncodedSplit> {
  const examples = (await loadGlue(task, split)).examples.slice(0, limit);
  const enc = tokenizer.encodeBatch(
    examples.map((e) => (e.pair === undefined ? e.text : ([e.text, e.pair] as const))),
    { maxLength, truncation: true, padding: 'max_length' },
  );
  const rows = (a: Int32Array) =>
    Array.from({ length: enc.batchSize }, (_, i) =>
      Array.from(a.subarray(i * enc.seqLen, (i + 1) * enc.seqLen)),
    );
  return {
    inputIds: rows(enc.inputIds),
    attentionMask: rows(enc.attentionMask),
    tokenTypeIds: rows(enc.tokenTypeIds),
    labels: examples.map((e) => e.label),
  };
}

/**
 * Rows of a split cut to the longest unpadded row among them (right
 * padding), so a batch of short sentences does not pay for `maxLength`.
 */
export function trimmedBatch(
  split: EncodedSplit,
  rows: readonly number[],
): { inputIds: number[][]; attentionMask: number[][]; tokenTypeIds: number[][] } {
  let len = 1;
  for (const r of rows) {
    const m = split.attentionMask[r];
    let n = m.length;
    while (n > 0 && m[n - 1] === 0) n--;
    len = Math.max(len, n);
  }
  return {
    inputIds: rows.map((r) => split.inputIds[r].slice(0, len)),
    attentionMask: rows.map((r) => split.attentionMask[r].slice(0, len)),
    tokenTypeIds: rows.map((r) => split.tokenTypeIds[r].slice(0, len)),
  };
}
