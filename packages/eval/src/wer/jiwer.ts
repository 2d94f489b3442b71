import { z } from 'zod';
import { defineMetric } from '../metric.js';
import { codePointsInto, PY_SPACE_CLASS, pyStrip } from '../text/python.js';
import {
  arrayLength,
  assertNonEmpty,
  assertSameLength,
  assertString,
  parseOptions,
} from '../validate.js';
import { Aligner, type EditCounts } from './levenshtein.js';

/**
 * WER, MER, WIL, WIP and CER as jiwer 4 computes them: each pair is aligned
 * on its own and the counts are summed, so the corpus WER is total edits over
 * total reference words (not a mean of per-sentence rates).
 *
 * Transforms (jiwer's defaults):
 * - words: runs of 2+ whitespace → one space, strip, split on ' ' (a single
 *   tab is not a word boundary in jiwer);
 * - characters: strip, then code points (spaces count, no normalisation).
 */

export interface WerResult extends EditCounts {
  wer: number;
  mer: number;
  wil: number;
  wip: number;
}
export interface CerResult extends EditCounts {
  cer: number;
}

export const werOptionsSchema = z
  .object({
    /** jiwer's `wer_contiguous`: join all sentences (with ' ') and align once. */
    concatenate_texts: z.boolean().default(false),
  })
  .strict();

export const cerOptionsSchema = z
  .object({
    /**
     * `default`: jiwer 4's `cer_default` (strip; whitespace runs count).
     * `hf`: HF evaluate's `cer` transform, which also collapses runs of
     * whitespace to one space first.
     */
    transform: z.enum(['default', 'hf']).default('default'),
    /** Join all sentences and align once (`cer_contiguous`; with `hf`, joined with ''). */
    concatenate_texts: z.boolean().default(false),
  })
  .strict();
export type WerOptions = z.input<typeof werOptionsSchema>;
export type CerOptions = z.input<typeof cerOptionsSchema>;

const MULTI_SPACE = new RegExp(`[${PY_SPACE_CLASS}]{2,}`, 'g');

/** jiwer `RemoveMultipleSpaces` (`re.sub(r"\s\s+", " ", s)`). */
export function removeMultipleSpaces(s: string): string {
  return s.replace(MULTI_SPACE, ' ');
}

/** jiwer `wer_default` for one sentence: the list of words. */
export function jiwerWords(s: string): string[] {
  return pyStrip(removeMultipleSpaces(s))
    .split(' ')
    .filter((w) => w.length > 0);
}

/** jiwer's measures from summed counts, with jiwer 4's empty-reference rules. */
export function werFromCounts(c: EditCounts): WerResult {
  const { hits: H, substitutions: S, deletions: D, insertions: I } = c;
  const nRef = H + S + D;
  const nHyp = H + S + I;
  let wer: number;
  let mer: number;
  let wip: number;
  if (nRef === 0) {
    // jiwer 4: an empty reference gives the number of insertions as the "rate".
    wer = I;
    mer = nHyp === 0 ? 0 : 1;
    wip = nHyp === 0 ? 1 : 0;
  } else {
    wer = (S + D + I) / (H + S + D);
    mer = (S + D + I) / (H + S + D + I);
    wip = nHyp >= 1 ? (H / nRef) * (H / nHyp) : 0;
  }
  return { wer, mer, wil: 1 - wip, wip, hits: H, substitutions: S, deletions: D, insertions: I };
}

export interface TextPairs {
  predictions: readonly string[];
  references: readonly string[];
}
export interface TextPair {
  prediction: string;
  reference: string;
}

/** Word-level state: a growing word→id map (jiwer's `_word2int`) and summed counts. */
class WordState {
  readonly counts: EditCounts = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
  readonly #vocab = new Map<string, number>();
  readonly #aligner = new Aligner();
  #a: Int32Array = new Int32Array(64);
  #b: Int32Array = new Int32Array(64);
  readonly refs: string[] = [];
  readonly hyps: string[] = [];

  #encode(words: string[], buf: Int32Array): Int32Array {
    const out = buf.length >= words.length ? buf : new Int32Array(words.length * 2);
    for (let i = 0; i < words.length; i++) {
      let id = this.#vocab.get(words[i]);
      if (id === undefined) {
        id = this.#vocab.size;
        this.#vocab.set(words[i], id);
      }
      out[i] = id;
    }
    return out;
  }

  addWords(ref: string[], hyp: string[]): void {
    this.#a = this.#encode(ref, this.#a);
    this.#b = this.#encode(hyp, this.#b);
    this.#aligner.add(this.#a, ref.length, this.#b, hyp.length, this.counts);
  }
}

function wordBatch(state: WordState, batch: TextPairs, contiguous: boolean, where: string): number {
  if (contiguous) return collect(state, batch, where);
  const n = assertSameLength(
    batch?.predictions,
    'predictions',
    batch?.references,
    'references',
    where,
  );
  for (let i = 0; i < n; i++) {
    const ref = assertString(batch.references[i], `references[${i}]`, where);
    const hyp = assertString(batch.predictions[i], `predictions[${i}]`, where);
    state.addWords(jiwerWords(ref), jiwerWords(hyp));
  }
  return n;
}

/**
 * Contiguous mode joins everything before aligning, so the two sides may
 * hold different numbers of sentences (jiwer's `*_contiguous` transforms).
 */
function collect(
  state: { refs: string[]; hyps: string[] },
  batch: TextPairs,
  where: string,
): number {
  const np = arrayLength(batch?.predictions, 'predictions', where);
  const nr = arrayLength(batch?.references, 'references', where);
  for (let i = 0; i < nr; i++)
    state.refs.push(assertString(batch.references[i], `references[${i}]`, where));
  for (let i = 0; i < np; i++)
    state.hyps.push(assertString(batch.predictions[i], `predictions[${i}]`, where));
  return Math.max(np, nr);
}

/** `ReduceToSingleSentence(delimiter)` after per-sentence cleaning. */
function joinNonEmpty(
  texts: readonly string[],
  clean: (s: string) => string,
  delimiter: string,
): string {
  return texts
    .map(clean)
    .filter((s) => s.length > 0)
    .join(delimiter);
}

function wordFinalize(state: WordState, contiguous: boolean): WerResult {
  if (!contiguous) return werFromCounts(state.counts);
  const fresh = new WordState();
  const clean = (s: string) => pyStrip(removeMultipleSpaces(s));
  fresh.addWords(
    jiwerWords(joinNonEmpty(state.refs, clean, ' ')),
    jiwerWords(joinNonEmpty(state.hyps, clean, ' ')),
  );
  return werFromCounts(fresh.counts);
}

/**
 * Word error rate and friends (`jiwer.process_words`). `references[i]` and
 * `predictions[i]` are one utterance each.
 */
export function wer(
  predictions: readonly string[],
  references: readonly string[],
  options: WerOptions = {},
): WerResult {
  const where = 'wer';
  const o = parseOptions(werOptionsSchema, options, where);
  const state = new WordState();
  assertNonEmpty(
    wordBatch(state, { predictions, references }, o.concatenate_texts, where),
    'predictions',
    where,
  );
  return wordFinalize(state, o.concatenate_texts);
}

/** Character-level state: code points aligned directly (no interning needed). */
class CharState {
  readonly counts: EditCounts = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
  readonly #aligner = new Aligner();
  #a: Int32Array = new Int32Array(256);
  #b: Int32Array = new Int32Array(256);
  readonly refs: string[] = [];
  readonly hyps: string[] = [];

  addChars(ref: string, hyp: string): void {
    const a = codePointsInto(ref, this.#a);
    this.#a = a.buf;
    const b = codePointsInto(hyp, this.#b);
    this.#b = b.buf;
    this.#aligner.add(a.buf, a.n, b.buf, b.n, this.counts);
  }
}

type ParsedCer = z.output<typeof cerOptionsSchema>;

function cerClean(o: ParsedCer): (s: string) => string {
  return o.transform === 'hf' ? (s) => pyStrip(removeMultipleSpaces(s)) : pyStrip;
}

function charBatch(state: CharState, batch: TextPairs, o: ParsedCer, where: string): number {
  if (o.concatenate_texts) return collect(state, batch, where);
  const n = assertSameLength(
    batch?.predictions,
    'predictions',
    batch?.references,
    'references',
    where,
  );
  const clean = cerClean(o);
  for (let i = 0; i < n; i++) {
    const ref = assertString(batch.references[i], `references[${i}]`, where);
    const hyp = assertString(batch.predictions[i], `predictions[${i}]`, where);
    state.addChars(clean(ref), clean(hyp));
  }
  return n;
}

function cerResult(c: EditCounts): CerResult {
  const w = werFromCounts(c);
  return {
    cer: w.wer,
    hits: c.hits,
    substitutions: c.substitutions,
    deletions: c.deletions,
    insertions: c.insertions,
  };
}

function charFinalize(state: CharState, o: ParsedCer): CerResult {
  if (!o.concatenate_texts) return cerResult(state.counts);
  const clean = cerClean(o);
  const delimiter = o.transform === 'hf' ? '' : ' ';
  const fresh = new CharState();
  fresh.addChars(
    joinNonEmpty(state.refs, clean, delimiter),
    joinNonEmpty(state.hyps, clean, delimiter),
  );
  return cerResult(fresh.counts);
}

/** Character error rate (`jiwer.cer` / `process_characters`). */
export function cer(
  predictions: readonly string[],
  references: readonly string[],
  options: CerOptions = {},
): CerResult {
  const where = 'cer';
  const o = parseOptions(cerOptionsSchema, options, where);
  const state = new CharState();
  assertNonEmpty(charBatch(state, { predictions, references }, o, where), 'predictions', where);
  return charFinalize(state, o);
}

/** `metric:wer` — jiwer 4 WER with MER, WIL, WIP and the H/S/D/I counts. */
export const werMetric = defineMetric({
  id: 'wer',
  description:
    'Word error rate (plus MER, WIL, WIP, hits/substitutions/deletions/insertions) identical to jiwer 4',
  options: werOptionsSchema,
  init: () => new WordState(),
  update: (state, batch: TextPairs, o, where) =>
    wordBatch(state, batch, o.concatenate_texts, where),
  toBatch: (e: TextPair): TextPairs => ({ predictions: [e.prediction], references: [e.reference] }),
  finalize: (state, o, where, size) => {
    assertNonEmpty(size, 'predictions', where);
    return wordFinalize(state, o.concatenate_texts);
  },
});

/** `metric:cer` — jiwer 4 CER (or HF evaluate's whitespace-collapsing variant). */
export const cerMetric = defineMetric({
  id: 'cer',
  description: 'Character error rate identical to jiwer 4 (or HF evaluate with transform "hf")',
  options: cerOptionsSchema,
  init: () => new CharState(),
  update: (state, batch: TextPairs, o, where) => charBatch(state, batch, o, where),
  toBatch: (e: TextPair): TextPairs => ({ predictions: [e.prediction], references: [e.reference] }),
  finalize: (state, o, where, size) => {
    assertNonEmpty(size, 'predictions', where);
    return charFinalize(state, o);
  },
});
