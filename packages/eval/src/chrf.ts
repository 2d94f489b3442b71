import { z } from 'zod';
import { referenceList, type TextBatch } from './bleu/sacrebleu.js';
import { defineMetric } from './metric.js';
import { LocalIntVocab, LocalVocab, NgramKeys, pairMatches } from './text/ngrams.js';
import { codePointsInto, pyRemoveSpaces, pySplit } from './text/python.js';
import { assertNonEmpty, assertSameLength, assertString, parseOptions } from './validate.js';

/**
 * chrF and chrF++ exactly as sacreBLEU 2.x (`sacrebleu/metrics/chrf.py`):
 * character n-grams (whitespace removed) plus, for chrF++, word n-grams
 * after splitting one leading or trailing ASCII punctuation mark off each
 * word. Statistics are summed over the corpus; with several references each
 * segment keeps the statistics of its best-scoring reference.
 */

export const chrfOptionsSchema = z
  .object({
    char_order: z.number().int().min(1).max(32).default(6),
    /** 0 for chrF, 2 for chrF++. */
    word_order: z.number().int().min(0).max(8).default(0),
    beta: z.number().nonnegative().default(2),
    lowercase: z.boolean().default(false),
    /** Keep whitespace inside character n-grams. */
    whitespace: z.boolean().default(false),
    /** chrF++.py / NLTK smoothing: average per-order F over all orders, empty orders 1e-16. */
    eps_smoothing: z.boolean().default(false),
  })
  .strict();
export type ChrfOptions = z.input<typeof chrfOptionsSchema>;
type ParsedChrfOptions = z.output<typeof chrfOptionsSchema>;

export interface ChrfResult {
  /** chrF on the 0–100 scale. */
  score: number;
  char_order: number;
  word_order: number;
  beta: number;
}

const EPS = 1e-16;

/** Final F-score from `[hyp, ref, match]` triples, one per order (`CHRF._compute_f_score`). */
export function chrfFromStats(
  stats: ArrayLike<number>,
  order: number,
  beta: number,
  epsSmoothing: boolean,
): number {
  const factor = beta * beta;
  let score = 0;
  let effective = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i];
    const nRef = stats[3 * i + 1];
    const nMatch = stats[3 * i + 2];
    const prec = nHyp > 0 ? nMatch / nHyp : EPS;
    const rec = nRef > 0 ? nMatch / nRef : EPS;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : EPS;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effective++;
    }
  }
  if (epsSmoothing) return (100 * score) / order;
  if (effective === 0) {
    avgPrec = 0;
    avgRec = 0;
  } else {
    avgPrec /= effective;
    avgRec /= effective;
  }
  if (avgPrec + avgRec) {
    return (100 * ((1 + factor) * avgPrec * avgRec)) / (factor * avgPrec + avgRec);
  }
  return 0;
}

const PUNCT = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** chrF++ word splitting: one punctuation mark off the end, else off the start. */
export function chrfWords(sentence: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sentence)) {
    // Python len(w) == 1 counts code points; an astral character is 2 units here,
    // but it is not punctuation, so the outcome is the same.
    if (w.length === 1) out.push(w);
    else if (PUNCT.has(w[w.length - 1])) out.push(w.slice(0, -1), w[w.length - 1]);
    else if (PUNCT.has(w[0])) out.push(w[0], w.slice(1));
    else out.push(w);
  }
  return out;
}

/** Segment statistics with reusable buffers (one scorer per stream). */
export class ChrfScorer {
  readonly order: number;
  readonly #opts: ParsedChrfOptions;
  readonly #charVocab = new LocalIntVocab();
  readonly #wordVocab = new LocalVocab();
  readonly #charKeys = new NgramKeys();
  readonly #wordKeys = new NgramKeys();
  readonly #chars: Int32Array[] = [];
  readonly #words: Int32Array[] = [];
  readonly #charLens: number[] = [];
  readonly #wordLens: number[] = [];
  #cand = new Float64Array(0);

  constructor(opts: ParsedChrfOptions) {
    this.#opts = opts;
    this.order = opts.char_order + opts.word_order;
  }

  /** Adds the statistics of the best reference for this segment into `out` (3 × order). */
  addSegment(hypothesis: string, references: readonly string[], out: Float64Array): void {
    const o = this.#opts;
    const count = references.length + 1;
    const width = 3 * this.order;
    if (this.#cand.length < width * references.length) {
      this.#cand = new Float64Array(width * references.length * 2);
    }
    const cand = this.#cand;
    cand.fill(0, 0, width * references.length);
    const texts = [hypothesis, ...references].map((t) => (o.lowercase ? t.toLowerCase() : t));
    this.#charVocab.clear();
    for (let s = 0; s < count; s++) {
      const line = o.whitespace ? texts[s] : pyRemoveSpaces(texts[s]);
      const { buf, n } = codePointsInto(line, this.#chars[s] ?? new Int32Array(64));
      this.#charVocab.encodeInPlace(buf, n);
      this.#chars[s] = buf;
      this.#charLens[s] = n;
    }
    this.#fill(
      this.#charKeys,
      this.#chars,
      this.#charLens,
      count,
      this.#charVocab.size,
      o.char_order,
      0,
    );
    if (o.word_order > 0) {
      this.#wordVocab.clear();
      for (let s = 0; s < count; s++) {
        const words = chrfWords(texts[s]);
        this.#words[s] = this.#wordVocab.encode(words, this.#words[s] ?? new Int32Array(32));
        this.#wordLens[s] = words.length;
      }
      this.#fill(
        this.#wordKeys,
        this.#words,
        this.#wordLens,
        count,
        this.#wordVocab.size,
        o.word_order,
        o.char_order,
      );
    }
    // Keep the reference with the best sentence-level score (first on ties).
    let best = -1;
    let bestF = -1;
    for (let r = 0; r < references.length; r++) {
      const f = chrfFromStats(
        cand.subarray(r * width, (r + 1) * width),
        this.order,
        o.beta,
        o.eps_smoothing,
      );
      if (f > bestF) {
        bestF = f;
        best = r;
      }
    }
    if (best >= 0) for (let i = 0; i < width; i++) out[i] += cand[best * width + i];
  }

  #fill(
    keys: NgramKeys,
    seqs: Int32Array[],
    lens: number[],
    count: number,
    vocab: number,
    maxOrder: number,
    firstOrder: number,
  ): void {
    const width = 3 * this.order;
    const cand = this.#cand;
    keys.begin(seqs, lens, count, vocab, maxOrder);
    for (let n = 1; n <= maxOrder; n++) {
      keys.next();
      const hypCount = keys.size(0);
      const slot = 3 * (firstOrder + n - 1);
      for (let r = 1; r < count; r++) {
        const refCount = keys.size(r);
        const base = (r - 1) * width + slot;
        // sacreBLEU zeroes the hypothesis count when the reference has no n-grams of this order.
        cand[base] = refCount > 0 ? hypCount : 0;
        cand[base + 1] = refCount;
        cand[base + 2] = refCount > 0 && hypCount > 0 ? pairMatches(keys, 0, r) : 0;
      }
    }
  }

  score(stats: ArrayLike<number>): number {
    return chrfFromStats(stats, this.order, this.#opts.beta, this.#opts.eps_smoothing);
  }
}

interface ChrfState {
  scorer: ChrfScorer;
  stats: Float64Array;
}

function addCorpus(state: ChrfState, batch: TextBatch, where: string): number {
  const n = assertSameLength(
    batch?.predictions,
    'predictions',
    batch?.references,
    'references',
    where,
  );
  for (let i = 0; i < n; i++) {
    state.scorer.addSegment(
      assertString(batch.predictions[i], `predictions[${i}]`, where),
      referenceList(batch.references[i], `references[${i}]`, where),
      state.stats,
    );
  }
  return n;
}

function result(state: ChrfState, o: ParsedChrfOptions): ChrfResult {
  return {
    score: state.scorer.score(state.stats),
    char_order: o.char_order,
    word_order: o.word_order,
    beta: o.beta,
  };
}

function newState(o: ParsedChrfOptions): ChrfState {
  return { scorer: new ChrfScorer(o), stats: new Float64Array(3 * (o.char_order + o.word_order)) };
}

/** Corpus chrF / chrF++ (`sacrebleu.corpus_chrf`). */
export function corpusChrf(
  predictions: readonly string[],
  references: readonly (string | readonly string[])[],
  options: ChrfOptions = {},
): ChrfResult {
  const where = 'corpusChrf';
  const o = parseOptions(chrfOptionsSchema, options, where);
  const state = newState(o);
  assertNonEmpty(addCorpus(state, { predictions, references }, where), 'predictions', where);
  return result(state, o);
}

/** Sentence chrF (`sacrebleu.sentence_chrf`). */
export function sentenceChrf(
  hypothesis: string,
  references: string | readonly string[],
  options: ChrfOptions = {},
): ChrfResult {
  const where = 'sentenceChrf';
  const o = parseOptions(chrfOptionsSchema, options, where);
  const state = newState(o);
  state.scorer.addSegment(
    assertString(hypothesis, 'hypothesis', where),
    referenceList(references, 'references', where),
    state.stats,
  );
  return result(state, o);
}

/** `metric:chrf` — chrF / chrF++ with streaming statistics. */
export const chrfMetric = defineMetric({
  id: 'chrf',
  description: 'chrF and chrF++ identical to sacreBLEU 2.x',
  options: chrfOptionsSchema,
  init: newState,
  update: (state, batch: TextBatch, _o, where) => addCorpus(state, batch, where),
  finalize: (state, o, where, size) => {
    assertNonEmpty(size, 'predictions', where);
    return result(state, o);
  },
});
