import { ValidationError } from '@kd/core';
import { z } from 'zod';
import { defineMetric } from '../metric.js';
import { clippedMatches, LocalVocab, NgramKeys } from '../text/ngrams.js';
import { pyRstrip } from '../text/python.js';
import { assertNonEmpty, assertSameLength, assertString, parseOptions } from '../validate.js';
import { BLEU_TOKENIZERS, type BleuTokenizer, bleuTokens } from './tokenizers.js';

/**
 * sacreBLEU 2.x BLEU (`sacrebleu/metrics/bleu.py`), with Hugging Face
 * evaluate's `sacrebleu` argument names and output keys.
 */

export const SMOOTH_METHODS = ['exp', 'floor', 'add-k', 'none'] as const;
export type SmoothMethod = (typeof SMOOTH_METHODS)[number];
const SMOOTH_DEFAULTS: Record<SmoothMethod, number | null> = {
  none: null,
  floor: 0.1,
  'add-k': 1,
  exp: null,
};

export const bleuOptionsSchema = z
  .object({
    /** Smoothing for zero n-gram matches (Chen & Cherry 2014: floor=1, add-k=2, exp=3). */
    smooth_method: z.enum(SMOOTH_METHODS).default('exp'),
    /** Value for `floor` (default 0.1) and `add-k` (default 1); ignored otherwise. */
    smooth_value: z.number().nonnegative().nullable().default(null),
    /** `13a` (mteval-v13a, the default), `intl`, `char` or `none`. */
    tokenize: z.enum(BLEU_TOKENIZERS as [BleuTokenizer, ...BleuTokenizer[]]).default('13a'),
    lowercase: z.boolean().default(false),
    /** Accepted for compatibility: sacreBLEU only uses it to silence a warning. */
    force: z.boolean().default(false),
    /** Stop at the highest n-gram order with matches (sentence-level BLEU). */
    use_effective_order: z.boolean().default(false),
    max_ngram_order: z.number().int().min(1).max(16).default(4),
  })
  .strict();
export type BleuOptions = z.input<typeof bleuOptionsSchema>;
type ParsedBleuOptions = z.output<typeof bleuOptionsSchema>;

export interface BleuResult {
  /** BLEU on the 0–100 scale. */
  score: number;
  /** Clipped n-gram matches per order (after add-k smoothing, as sacreBLEU reports them). */
  counts: number[];
  /** Hypothesis n-grams per order. */
  totals: number[];
  /** Smoothed n-gram precisions per order (0–100). */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  sys_len: number;
  ref_len: number;
}

/** sacreBLEU's log with log(0) = -9999999999, so a zero precision drives the score to 0. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/**
 * BLEU from sufficient statistics (`BLEU.compute_bleu`): brevity penalty,
 * smoothed precisions, geometric mean over the (effective) order.
 */
export function computeBleu(
  correct: ArrayLike<number>,
  total: ArrayLike<number>,
  sysLen: number,
  refLen: number,
  options: {
    smooth_method?: SmoothMethod;
    smooth_value?: number | null;
    use_effective_order?: boolean;
    max_ngram_order?: number;
  } = {},
): BleuResult {
  const method = options.smooth_method ?? 'none';
  const order = options.max_ngram_order ?? correct.length;
  const k = options.smooth_value ?? SMOOTH_DEFAULTS[method] ?? 0;
  const counts = Array.from({ length: order }, (_, i) => correct[i] ?? 0);
  const totals = Array.from({ length: order }, (_, i) => total[i] ?? 0);
  let bp = 1.0;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;
  const precisions = new Array<number>(order).fill(0);
  // No match at any order: 0 (sacrebleu #141), whatever the smoothing.
  if (!counts.some((c) => c !== 0)) {
    return { score: 0, counts, totals, precisions, bp, sys_len: sysLen, ref_len: refLen };
  }
  let smoothMteval = 1.0;
  let effOrder = order;
  for (let n = 1; n <= order; n++) {
    if (method === 'add-k' && n > 1) {
      counts[n - 1] += k;
      totals[n - 1] += k;
    }
    if (totals[n - 1] === 0) break;
    if (options.use_effective_order) effOrder = n;
    if (counts[n - 1] === 0) {
      if (method === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * totals[n - 1]);
      } else if (method === 'floor') {
        precisions[n - 1] = (100 * k) / totals[n - 1];
      }
    } else {
      precisions[n - 1] = (100 * counts[n - 1]) / totals[n - 1];
    }
  }
  let logSum = 0;
  for (let i = 0; i < effOrder; i++) logSum += myLog(precisions[i]);
  const score = bp * Math.exp(logSum / effOrder);
  return { score, counts, totals, precisions, bp, sys_len: sysLen, ref_len: refLen };
}

/**
 * Per-segment statistics `[sys_len, ref_len, correct_1..N, total_1..N]`,
 * computed with reusable buffers (one scorer per stream).
 */
export class BleuScorer {
  readonly order: number;
  readonly #tokens: (line: string) => string[];
  readonly #lowercase: boolean;
  readonly #vocab = new LocalVocab();
  readonly #keys = new NgramKeys();
  #ids: Int32Array[] = [];
  #ptr = new Int32Array(8);
  readonly #lens: number[] = [];

  constructor(options: { tokenize: BleuTokenizer; lowercase: boolean; max_ngram_order: number }) {
    this.order = options.max_ngram_order;
    this.#tokens = bleuTokens(options.tokenize);
    this.#lowercase = options.lowercase;
  }

  /** Tokens as BLEU counts them: optional lowercasing, rstrip, tokenizer, whitespace split. */
  tokenize(line: string): string[] {
    return this.#tokens(pyRstrip(this.#lowercase ? line.toLowerCase() : line));
  }

  /** Adds one segment's statistics into `out` (length 2 + 2N). */
  addSegment(hypothesis: string, references: readonly string[], out: Float64Array): void {
    const N = this.order;
    const count = references.length + 1;
    const vocab = this.#vocab;
    vocab.clear();
    const ids = this.#ids;
    const lens = this.#lens;
    const hypTokens = this.tokenize(hypothesis);
    ids[0] = vocab.encode(hypTokens, ids[0] ?? new Int32Array(64));
    lens[0] = hypTokens.length;
    const hypLen = hypTokens.length;
    // Closest reference length, ties to the shorter one (_get_closest_ref_len).
    let refLen = -1;
    let bestDiff = -1;
    for (let r = 0; r < references.length; r++) {
      const toks = this.tokenize(references[r]);
      ids[r + 1] = vocab.encode(toks, ids[r + 1] ?? new Int32Array(64));
      const len = toks.length;
      lens[r + 1] = len;
      const diff = Math.abs(hypLen - len);
      if (bestDiff === -1 || diff < bestDiff) {
        bestDiff = diff;
        refLen = len;
      } else if (diff === bestDiff && len < refLen) {
        refLen = len;
      }
    }
    if (this.#ptr.length < count) this.#ptr = new Int32Array(count * 2);
    const keys = this.#keys;
    keys.begin(ids, lens, count, vocab.size, N);
    out[0] += hypLen;
    out[1] += refLen;
    for (let n = 1; n <= N; n++) {
      keys.next();
      out[1 + n] += clippedMatches(keys, count, this.#ptr);
      out[1 + N + n] += Math.max(0, hypLen - n + 1);
    }
  }

  score(stats: Float64Array, options: ParsedBleuOptions): BleuResult {
    const N = this.order;
    return computeBleu(
      stats.subarray(2, 2 + N),
      stats.subarray(2 + N, 2 + 2 * N),
      stats[0],
      stats[1],
      options,
    );
  }
}

/** One example's references: a string or a non-empty list of strings. */
export function referenceList(value: unknown, name: string, where: string): readonly string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || value.length === 0) {
    throw new ValidationError(
      `expected ${name} to be a string or a non-empty list of strings`,
      [],
      { where },
    );
  }
  for (let i = 0; i < value.length; i++) assertString(value[i], `${name}[${i}]`, where);
  return value as readonly string[];
}

export interface TextBatch {
  predictions: readonly string[];
  /** One reference (a string) or several (a list) per prediction. */
  references: readonly (string | readonly string[])[];
}
export interface TextExample {
  prediction: string;
  reference: string | readonly string[];
}

function addCorpus(
  scorer: BleuScorer,
  stats: Float64Array,
  batch: TextBatch,
  where: string,
): number {
  const n = assertSameLength(
    batch?.predictions,
    'predictions',
    batch?.references,
    'references',
    where,
  );
  for (let i = 0; i < n; i++) {
    const hyp = assertString(batch.predictions[i], `predictions[${i}]`, where);
    scorer.addSegment(hyp, referenceList(batch.references[i], `references[${i}]`, where), stats);
  }
  return n;
}

/**
 * Corpus BLEU exactly as `sacrebleu.corpus_bleu` (and HF `sacrebleu`):
 * statistics are summed over segments, then scored once. `references[i]` is
 * the reference (or list of references) of `predictions[i]`.
 */
export function corpusBleu(
  predictions: readonly string[],
  references: readonly (string | readonly string[])[],
  options: BleuOptions = {},
): BleuResult {
  const where = 'corpusBleu';
  const opts = parseOptions(bleuOptionsSchema, options, where);
  const scorer = new BleuScorer(opts);
  const stats = new Float64Array(2 + 2 * opts.max_ngram_order);
  const n = addCorpus(scorer, stats, { predictions, references }, where);
  assertNonEmpty(n, 'predictions', where);
  return scorer.score(stats, opts);
}

/**
 * Sentence BLEU as `sacrebleu.sentence_bleu`: effective order on by default,
 * since short segments often have no 4-gram match.
 */
export function sentenceBleu(
  hypothesis: string,
  references: string | readonly string[],
  options: BleuOptions = {},
): BleuResult {
  const where = 'sentenceBleu';
  const opts = parseOptions(bleuOptionsSchema, { use_effective_order: true, ...options }, where);
  const scorer = new BleuScorer(opts);
  const stats = new Float64Array(2 + 2 * opts.max_ngram_order);
  scorer.addSegment(
    assertString(hypothesis, 'hypothesis', where),
    referenceList(references, 'references', where),
    stats,
  );
  return scorer.score(stats, opts);
}

interface BleuState {
  scorer: BleuScorer;
  stats: Float64Array;
}

/** `metric:sacrebleu` — corpus BLEU, streaming sufficient statistics. */
export const sacrebleuMetric = defineMetric({
  id: 'sacrebleu',
  description:
    'Corpus BLEU identical to sacreBLEU 2.x (tokenizers 13a/intl/char/none, smoothing, effective order)',
  options: bleuOptionsSchema,
  init: (opts): BleuState => ({
    scorer: new BleuScorer(opts),
    stats: new Float64Array(2 + 2 * opts.max_ngram_order),
  }),
  update: (state, batch: TextBatch, _opts, where) =>
    addCorpus(state.scorer, state.stats, batch, where),
  finalize: (state, opts, where, size): BleuResult => {
    assertNonEmpty(size, 'predictions', where);
    return state.scorer.score(state.stats, opts);
  },
});

/**
 * sacreBLEU's own layout: `streams[k][i]` is the k-th reference of segment i,
 * with `null`/`undefined` for a missing one (variable reference counts).
 * Returns `references[i]` = the list of segment i's references.
 */
export function referencesFromStreams(
  streams: readonly (readonly (string | null | undefined)[])[],
): string[][] {
  const n = streams.length === 0 ? 0 : Math.min(...streams.map((s) => s.length));
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    const refs: string[] = [];
    for (const s of streams) {
      const r = s[i];
      if (r !== null && r !== undefined) refs.push(r);
    }
    out.push(refs);
  }
  return out;
}
