import { ValidationError } from '@kd/core';
import { z } from 'zod';
import { defineMetric } from '../metric.js';
import { LocalVocab, NgramKeys, pairMatches } from '../text/ngrams.js';
import { assertNonEmpty, assertSameLength, assertString, parseOptions } from '../validate.js';
import { rougeTokenize } from './tokenize.js';

/**
 * ROUGE exactly as Google's rouge_score 0.1.2 (`rouge_scorer.py`): ROUGE-N
 * on n-gram multisets, ROUGE-L on the LCS of the whole texts, ROUGE-Lsum on
 * the union LCS of newline-separated sentences (ROUGE-1.5.5's summary-level
 * LCS with its double-counting guard).
 */

const ROUGE_TYPE = /^rouge([1-9]|L|Lsum)$/;
export type RougeType = `rouge${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}` | 'rougeL' | 'rougeLsum';

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

const rougeTypeSchema = z
  .string()
  .refine((t) => ROUGE_TYPE.test(t), { message: 'expected rouge1..rouge9, rougeL or rougeLsum' });

export const rougeScorerOptionsSchema = z
  .object({
    rouge_types: z
      .array(rougeTypeSchema)
      .min(1)
      .default(['rouge1', 'rouge2', 'rougeL', 'rougeLsum']),
    /** NLTK Porter stemmer (NLTK_EXTENSIONS) on tokens longer than 3 characters. */
    use_stemmer: z.boolean().default(false),
  })
  .strict();

export const rougeOptionsSchema = rougeScorerOptionsSchema
  .extend({
    /**
     * true: the mean over examples (HF's default BootstrapAggregator reports a
     * random bootstrap median of means, approximately this mean); false: one
     * value per example.
     */
    use_aggregator: z.boolean().default(true),
    /** Also report `<type>_precision` and `<type>_recall` beside each F-measure. */
    return_precision_recall: z.boolean().default(false),
  })
  .strict();

export type RougeScorerOptions = z.input<typeof rougeScorerOptionsSchema> & {
  /** A custom tokenizer (rouge_score's `tokenizer=`); replaces the default and the stemmer. */
  tokenizer?: (text: string) => string[];
};
export type RougeOptions = z.input<typeof rougeOptionsSchema>;

function fmeasure(p: number, r: number): number {
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

const ZERO: RougeScore = Object.freeze({ precision: 0, recall: 0, fmeasure: 0 });

/** Scores one (target, prediction) pair for several ROUGE types with reusable buffers. */
export class RougeScorer {
  readonly types: readonly RougeType[];
  readonly #tokenize: (text: string) => string[];
  readonly #vocab = new LocalVocab();
  readonly #keys = new NgramKeys();
  readonly #ids: Int32Array[] = [new Int32Array(64), new Int32Array(64)];
  readonly #lens = [0, 0];
  #row = new Int32Array(64);
  #table = new Int32Array(256);
  #marks = new Uint8Array(64);
  #counts = new Int32Array(128);
  readonly #maxN: number;
  readonly #needTokens: boolean;

  constructor(
    types: readonly string[],
    useStemmer: boolean,
    tokenizer?: (text: string) => string[],
  ) {
    for (const t of types) {
      if (!ROUGE_TYPE.test(t)) {
        throw new ValidationError(`invalid rouge type ${JSON.stringify(t)}`, [], {
          where: 'rouge',
        });
      }
    }
    this.types = types as RougeType[];
    this.#tokenize = tokenizer ?? ((text) => rougeTokenize(text, useStemmer));
    let maxN = 0;
    for (const t of types) {
      const n = Number(t.slice(5));
      if (Number.isInteger(n) && n > maxN) maxN = n;
    }
    this.#maxN = maxN;
    this.#needTokens = types.some((t) => t !== 'rougeLsum');
  }

  /** rouge_score's `score(target, prediction)`: the reference comes first. */
  score(target: string, prediction: string): Record<string, RougeScore> {
    const out: Record<string, RougeScore> = {};
    let lenT = 0;
    let lenP = 0;
    if (this.#needTokens) {
      const vocab = this.#vocab;
      vocab.clear();
      const t = this.#tokenize(target);
      const p = this.#tokenize(prediction);
      this.#ids[0] = vocab.encode(t, this.#ids[0]);
      this.#ids[1] = vocab.encode(p, this.#ids[1]);
      lenT = this.#lens[0] = t.length;
      lenP = this.#lens[1] = p.length;
      if (this.#maxN > 0) this.#keys.begin(this.#ids, this.#lens, 2, vocab.size, this.#maxN);
    }
    // n-gram orders are visited in increasing order on the shared key buffers.
    const byOrder: RougeScore[] = [];
    for (let n = 1; n <= this.#maxN; n++) {
      this.#keys.next();
      const inter = pairMatches(this.#keys, 0, 1);
      const nt = Math.max(0, lenT - n + 1);
      const np = Math.max(0, lenP - n + 1);
      const precision = inter / Math.max(np, 1);
      const recall = inter / Math.max(nt, 1);
      byOrder[n] = { precision, recall, fmeasure: fmeasure(precision, recall) };
    }
    for (const type of this.types) {
      if (type === 'rougeL') out[type] = this.#lcsScore(lenT, lenP);
      else if (type === 'rougeLsum') out[type] = this.#summaryLcs(target, prediction);
      else out[type] = byOrder[Number(type.slice(5))];
    }
    return out;
  }

  /** `score_multi`: per type, the target with the highest F (first on ties). */
  scoreMulti(targets: readonly string[], prediction: string): Record<string, RougeScore> {
    const all = targets.map((t) => this.score(t, prediction));
    const out: Record<string, RougeScore> = {};
    for (const type of this.types) {
      let best = 0;
      for (let i = 1; i < all.length; i++) {
        if (all[i][type].fmeasure > all[best][type].fmeasure) best = i;
      }
      out[type] = all[best][type];
    }
    return out;
  }

  #lcsScore(lenT: number, lenP: number): RougeScore {
    if (lenT === 0 || lenP === 0) return { ...ZERO };
    const lcs = this.#lcsLength(this.#ids[0], lenT, this.#ids[1], lenP);
    const precision = lcs / lenP;
    const recall = lcs / lenT;
    return { precision, recall, fmeasure: fmeasure(precision, recall) };
  }

  /** Length of the LCS with one rolling row (O(n) memory). */
  #lcsLength(a: Int32Array, m: number, b: Int32Array, n: number): number {
    if (this.#row.length < n + 1) this.#row = new Int32Array((n + 1) * 2);
    const row = this.#row;
    row.fill(0, 0, n + 1);
    for (let i = 0; i < m; i++) {
      const ai = a[i];
      let diag = 0; // row[j-1] of the previous row
      for (let j = 1; j <= n; j++) {
        const up = row[j];
        if (ai === b[j - 1]) row[j] = diag + 1;
        else if (row[j - 1] > up) row[j] = row[j - 1];
        diag = up;
      }
    }
    return row[n];
  }

  /** `_summary_level_lcs` over newline-separated sentences. */
  #summaryLcs(target: string, prediction: string): RougeScore {
    const vocab = this.#vocab;
    vocab.clear();
    const split = (text: string): Int32Array[] =>
      text
        .split('\n')
        .filter((s) => s.length > 0)
        .map((s) => {
          const toks = this.#tokenize(s);
          const ids = new Int32Array(toks.length);
          for (let i = 0; i < toks.length; i++) ids[i] = vocab.id(toks[i]);
          return ids;
        });
    const refSents = split(target);
    const canSents = split(prediction);
    if (refSents.length === 0 || canSents.length === 0) return { ...ZERO };
    let m = 0;
    let n = 0;
    for (const s of refSents) m += s.length;
    for (const s of canSents) n += s.length;
    if (m === 0 || n === 0) return { ...ZERO };
    const V = vocab.size;
    if (this.#counts.length < 2 * V) this.#counts = new Int32Array(4 * V);
    const counts = this.#counts;
    counts.fill(0, 0, 2 * V);
    // counts[id] for the reference, counts[V + id] for the candidate.
    for (const s of refSents) for (let i = 0; i < s.length; i++) counts[s[i]]++;
    for (const s of canSents) for (let i = 0; i < s.length; i++) counts[V + s[i]]++;
    let hits = 0;
    for (const r of refSents) {
      if (this.#marks.length < r.length) this.#marks = new Uint8Array(r.length * 2);
      const marks = this.#marks;
      marks.fill(0, 0, r.length);
      for (const c of canSents) this.#markLcs(r, c, marks);
      for (let i = 0; i < r.length; i++) {
        if (!marks[i]) continue;
        const t = r[i];
        if (counts[V + t] > 0 && counts[t] > 0) {
          hits++;
          counts[V + t]--;
          counts[t]--;
        }
      }
    }
    const recall = hits / m;
    const precision = hits / n;
    return { precision, recall, fmeasure: fmeasure(precision, recall) };
  }

  /** Marks the reference indices of one LCS (rouge_score's `_backtrack_norec` choice). */
  #markLcs(ref: Int32Array, can: Int32Array, marks: Uint8Array): void {
    const rows = ref.length;
    const cols = can.length;
    const w = cols + 1;
    const size = (rows + 1) * w;
    if (this.#table.length < size) this.#table = new Int32Array(size * 2);
    const t = this.#table;
    t.fill(0, 0, size);
    for (let i = 1; i <= rows; i++) {
      const ri = ref[i - 1];
      const base = i * w;
      const prev = base - w;
      for (let j = 1; j <= cols; j++) {
        if (ri === can[j - 1]) t[base + j] = t[prev + j - 1] + 1;
        else {
          const a = t[prev + j];
          const b = t[base + j - 1];
          t[base + j] = Math.max(a, b);
        }
      }
    }
    let i = rows;
    let j = cols;
    while (i > 0 && j > 0) {
      if (ref[i - 1] === can[j - 1]) {
        marks[i - 1] = 1;
        i--;
        j--;
      } else if (t[i * w + j - 1] > t[(i - 1) * w + j]) j--;
      else i--;
    }
  }
}

/** rouge_score `RougeScorer(types, use_stemmer).score(target, prediction)`. */
export function rougeScore(
  target: string,
  prediction: string,
  options: RougeScorerOptions = {},
): Record<string, RougeScore> {
  const where = 'rougeScore';
  const { tokenizer, ...rest } = options;
  const o = parseOptions(rougeScorerOptionsSchema, rest, where);
  return new RougeScorer(o.rouge_types, o.use_stemmer, tokenizer).score(
    assertString(target, 'target', where),
    assertString(prediction, 'prediction', where),
  );
}

/** rouge_score `score_multi(targets, prediction)`: best target per type. */
export function rougeScoreMulti(
  targets: readonly string[],
  prediction: string,
  options: RougeScorerOptions = {},
): Record<string, RougeScore> {
  const where = 'rougeScoreMulti';
  const { tokenizer, ...rest } = options;
  const o = parseOptions(rougeScorerOptionsSchema, rest, where);
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new ValidationError('targets must be a non-empty list of strings', [], { where });
  }
  targets.forEach((t, i) => {
    assertString(t, `targets[${i}]`, where);
  });
  return new RougeScorer(o.rouge_types, o.use_stemmer, tokenizer).scoreMulti(
    targets,
    assertString(prediction, 'prediction', where),
  );
}

export type RougeResult = Record<string, number | number[]>;

interface RougeState {
  scorer: RougeScorer;
  sums: Map<string, Float64Array>;
  lists: Map<string, number[][]>;
}

export interface RougeBatch {
  predictions: readonly string[];
  references: readonly (string | readonly string[])[];
}

function rougeUpdate(state: RougeState, batch: RougeBatch, keep: boolean, where: string): number {
  const n = assertSameLength(
    batch?.predictions,
    'predictions',
    batch?.references,
    'references',
    where,
  );
  for (let i = 0; i < n; i++) {
    const pred = assertString(batch.predictions[i], `predictions[${i}]`, where);
    const ref = batch.references[i];
    let scores: Record<string, RougeScore>;
    if (typeof ref === 'string') scores = state.scorer.score(ref, pred);
    else if (Array.isArray(ref) && ref.length > 0) {
      ref.forEach((r, k) => {
        assertString(r, `references[${i}][${k}]`, where);
      });
      scores = state.scorer.scoreMulti(ref, pred);
    } else {
      throw new ValidationError(
        `expected references[${i}] to be a string or a non-empty list of strings`,
        [],
        { where },
      );
    }
    for (const type of state.scorer.types) {
      const s = scores[type];
      const sum = state.sums.get(type)!;
      sum[0] += s.precision;
      sum[1] += s.recall;
      sum[2] += s.fmeasure;
      if (keep) {
        const l = state.lists.get(type)!;
        l[0].push(s.precision);
        l[1].push(s.recall);
        l[2].push(s.fmeasure);
      }
    }
  }
  return n;
}

function rougeFinalize(
  state: RougeState,
  o: z.output<typeof rougeOptionsSchema>,
  size: number,
): RougeResult {
  const out: RougeResult = {};
  for (const type of state.scorer.types) {
    if (o.use_aggregator) {
      const s = state.sums.get(type)!;
      out[type] = s[2] / size;
      if (o.return_precision_recall) {
        out[`${type}_precision`] = s[0] / size;
        out[`${type}_recall`] = s[1] / size;
      }
    } else {
      const l = state.lists.get(type)!;
      out[type] = [...l[2]];
      if (o.return_precision_recall) {
        out[`${type}_precision`] = [...l[0]];
        out[`${type}_recall`] = [...l[1]];
      }
    }
  }
  return out;
}

function rougeInit(
  o: z.output<typeof rougeOptionsSchema>,
  tokenizer?: (t: string) => string[],
): RougeState {
  const scorer = new RougeScorer(o.rouge_types, o.use_stemmer, tokenizer);
  const sums = new Map<string, Float64Array>();
  const lists = new Map<string, number[][]>();
  for (const t of scorer.types) {
    sums.set(t, new Float64Array(3));
    lists.set(t, [[], [], []]);
  }
  return { scorer, sums, lists };
}

/**
 * HF evaluate's `rouge.compute(predictions, references)`: `references[i]`
 * is one string or a list (best reference per type). With `use_aggregator`
 * the F-measures are averaged (see the option for how this differs from HF).
 */
export function rouge(
  predictions: readonly string[],
  references: readonly (string | readonly string[])[],
  options: RougeOptions & { tokenizer?: (text: string) => string[] } = {},
): RougeResult {
  const where = 'rouge';
  const { tokenizer, ...rest } = options;
  const o = parseOptions(rougeOptionsSchema, rest, where);
  const state = rougeInit(o, tokenizer);
  const n = rougeUpdate(state, { predictions, references }, !o.use_aggregator, where);
  assertNonEmpty(n, 'predictions', where);
  return rougeFinalize(state, o, n);
}

/** `metric:rouge` — HF-compatible ROUGE with streaming sums. */
export const rougeMetric = defineMetric({
  id: 'rouge',
  description:
    'ROUGE-N/L/Lsum identical to rouge_score 0.1.2 (NLTK Porter stemmer), mean-aggregated',
  options: rougeOptionsSchema,
  init: (o) => rougeInit(o),
  update: (state, batch: RougeBatch, o, where) =>
    rougeUpdate(state, batch, !o.use_aggregator, where),
  finalize: (state, o, where, size) => {
    assertNonEmpty(size, 'predictions', where);
    return rougeFinalize(state, o, size);
  },
});
