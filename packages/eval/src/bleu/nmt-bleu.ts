import { ValidationError } from '@kd/core';
import { z } from 'zod';
import { defineMetric } from '../metric.js';
import { clippedMatches, LocalVocab, NgramKeys } from '../text/ngrams.js';
import { assertNonEmpty, assertSameLength, assertString, parseOptions } from '../validate.js';
import { referenceList, type TextBatch } from './sacrebleu.js';
import { BLEU_TOKENIZERS, type BleuTokenizer, bleuTokens } from './tokenizers.js';

/**
 * Hugging Face evaluate's `bleu` metric: the TensorFlow NMT `compute_bleu`
 * (Papineni et al. with the shortest reference length, 0–1 scale, optional
 * Lin & Och add-one smoothing on every order). It is a different algorithm
 * from sacreBLEU: use `sacrebleu` to compare with published MT numbers.
 */

export const nmtBleuOptionsSchema = z
  .object({
    /** HF's default is its copy of sacreBLEU's 13a tokenizer. */
    tokenizer: z.enum(BLEU_TOKENIZERS as [BleuTokenizer, ...BleuTokenizer[]]).default('13a'),
    max_order: z.number().int().min(1).max(16).default(4),
    /** (matches + 1) / (possible + 1) for every order. */
    smooth: z.boolean().default(false),
  })
  .strict();
export type NmtBleuOptions = z.input<typeof nmtBleuOptionsSchema>;

export interface NmtBleuResult {
  bleu: number;
  precisions: number[];
  brevity_penalty: number;
  length_ratio: number;
  translation_length: number;
  reference_length: number;
}

class NmtBleuState {
  readonly matches: Float64Array;
  readonly possible: Float64Array;
  translationLength = 0;
  referenceLength = 0;
  readonly #tokens: (line: string) => string[];
  readonly #vocab = new LocalVocab();
  readonly #keys = new NgramKeys();
  readonly #ids: Int32Array[] = [];
  readonly #lens: number[] = [];
  #ptr = new Int32Array(8);

  constructor(
    readonly order: number,
    tokenizer: BleuTokenizer,
  ) {
    this.matches = new Float64Array(order);
    this.possible = new Float64Array(order);
    // HF applies the tokenizer to the raw line (no rstrip, no lowercasing).
    this.#tokens = bleuTokens(tokenizer);
  }

  add(prediction: string, references: readonly string[]): void {
    const vocab = this.#vocab;
    vocab.clear();
    const hyp = this.#tokens(prediction);
    this.#ids[0] = vocab.encode(hyp, this.#ids[0] ?? new Int32Array(64));
    this.#lens[0] = hyp.length;
    let shortest = Number.POSITIVE_INFINITY;
    for (let r = 0; r < references.length; r++) {
      const toks = this.#tokens(references[r]);
      this.#ids[r + 1] = vocab.encode(toks, this.#ids[r + 1] ?? new Int32Array(64));
      this.#lens[r + 1] = toks.length;
      if (toks.length < shortest) shortest = toks.length;
    }
    this.referenceLength += shortest;
    this.translationLength += hyp.length;
    const count = references.length + 1;
    if (this.#ptr.length < count) this.#ptr = new Int32Array(count * 2);
    this.#keys.begin(this.#ids, this.#lens, count, vocab.size, this.order);
    for (let n = 1; n <= this.order; n++) {
      this.#keys.next();
      // Counter & (Counter | Counter): min(hyp count, max ref count), as sacreBLEU.
      this.matches[n - 1] += clippedMatches(this.#keys, count, this.#ptr);
      const possible = hyp.length - n + 1;
      if (possible > 0) this.possible[n - 1] += possible;
    }
  }

  result(smooth: boolean, where: string): NmtBleuResult {
    const order = this.order;
    const precisions = new Array<number>(order);
    for (let i = 0; i < order; i++) {
      if (smooth) precisions[i] = (this.matches[i] + 1) / (this.possible[i] + 1);
      else precisions[i] = this.possible[i] > 0 ? this.matches[i] / this.possible[i] : 0;
    }
    let geoMean = 0;
    if (Math.min(...precisions) > 0) {
      let logSum = 0;
      for (const p of precisions) logSum += (1 / order) * Math.log(p);
      geoMean = Math.exp(logSum);
    }
    if (this.referenceLength === 0) {
      throw new ValidationError(
        'every reference is empty after tokenization; the length ratio is undefined',
        [],
        { where },
      );
    }
    const ratio = this.translationLength / this.referenceLength;
    // The reference raises ZeroDivisionError for an empty translation; its
    // limit (exp(-inf)) is 0.
    const bp = ratio > 1 ? 1 : ratio === 0 ? 0 : Math.exp(1 - 1 / ratio);
    return {
      bleu: geoMean * bp,
      precisions,
      brevity_penalty: bp,
      length_ratio: ratio,
      translation_length: this.translationLength,
      reference_length: this.referenceLength,
    };
  }
}

function addBatch(state: NmtBleuState, batch: TextBatch, where: string): number {
  const n = assertSameLength(
    batch?.predictions,
    'predictions',
    batch?.references,
    'references',
    where,
  );
  for (let i = 0; i < n; i++) {
    state.add(
      assertString(batch.predictions[i], `predictions[${i}]`, where),
      referenceList(batch.references[i], `references[${i}]`, where),
    );
  }
  return n;
}

/** HF `bleu` (TF-NMT BLEU, 0–1 scale) over a corpus. */
export function nmtBleu(
  predictions: readonly string[],
  references: readonly (string | readonly string[])[],
  options: NmtBleuOptions = {},
): NmtBleuResult {
  const where = 'nmtBleu';
  const opts = parseOptions(nmtBleuOptionsSchema, options, where);
  const state = new NmtBleuState(opts.max_order, opts.tokenizer);
  assertNonEmpty(addBatch(state, { predictions, references }, where), 'predictions', where);
  return state.result(opts.smooth, where);
}

/** `metric:bleu` — HF evaluate's `bleu` (TF-NMT algorithm). */
export const bleuMetric = defineMetric({
  id: 'bleu',
  description: "HF evaluate's `bleu` (TensorFlow NMT compute_bleu: shortest reference, 0-1 scale)",
  options: nmtBleuOptionsSchema,
  init: (opts) => new NmtBleuState(opts.max_order, opts.tokenizer),
  update: (state, batch: TextBatch, _opts, where) => addBatch(state, batch, where),
  finalize: (state, opts, where, size) => {
    assertNonEmpty(size, 'predictions', where);
    return state.result(opts.smooth, where);
  },
});
