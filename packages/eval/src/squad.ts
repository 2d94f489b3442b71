import { describeValue, ValidationError } from '@kd/core';
import { z } from 'zod';
import { defineMetric } from './metric.js';
import { pySplit } from './text/python.js';
import { assertNonEmpty, assertSameLength, parseOptions } from './validate.js';

/**
 * The official SQuAD v1.1 evaluation (`evaluate-v1.1.py`, identical to HF
 * evaluate's `squad`): answers are normalised (lowercase, ASCII punctuation
 * deleted, articles removed, whitespace collapsed), then exact match and
 * token-overlap F1 are taken against the best gold answer, and averaged ×100.
 */

const PUNCT = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
// Python's \b is Unicode-aware: word characters are letters, digits and '_'.
const ARTICLES = /(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu;

/** `normalize_answer` from the official script. */
export function normalizeAnswer(s: string): string {
  let lower = s.toLowerCase();
  let out = '';
  for (const ch of lower) if (!PUNCT.has(ch)) out += ch;
  lower = out.replace(ARTICLES, ' ');
  // ' '.join(text.split()): Python whitespace.
  return pySplit(lower).join(' ');
}

/** Token-overlap F1 between one prediction and one gold answer (0–1). */
export function squadF1(prediction: string, groundTruth: string): number {
  const p = normalizeAnswer(prediction)
    .split(' ')
    .filter((t) => t.length > 0);
  const g = normalizeAnswer(groundTruth)
    .split(' ')
    .filter((t) => t.length > 0);
  const counts = new Map<string, number>();
  for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of p) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      common++;
      counts.set(t, c - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / g.length;
  return (2 * precision * recall) / (precision + recall);
}

export function squadExactMatch(prediction: string, groundTruth: string): boolean {
  return normalizeAnswer(prediction) === normalizeAnswer(groundTruth);
}

/** A prediction: the answer text, or HF's `{ id, prediction_text }`. */
export type SquadPrediction = string | { id?: string; prediction_text: string };
/** Gold answers: a list of texts, or HF's `{ id, answers: { text: [...], answer_start: [...] } }`. */
export type SquadReference =
  | readonly string[]
  | string
  | { id?: string; answers: { text: readonly string[]; answer_start?: readonly number[] } };

export interface SquadResult {
  exact_match: number;
  f1: number;
}

function predictionText(p: unknown, i: number, where: string): string {
  if (typeof p === 'string') return p;
  if (
    p &&
    typeof p === 'object' &&
    typeof (p as { prediction_text?: unknown }).prediction_text === 'string'
  ) {
    return (p as { prediction_text: string }).prediction_text;
  }
  throw new ValidationError(
    `predictions[${i}] is ${describeValue(p)}; expected a string or { id, prediction_text }`,
    [],
    { where },
  );
}

function goldTexts(r: unknown, i: number, where: string): readonly string[] {
  let texts: unknown = r;
  if (typeof r === 'string') texts = [r];
  else if (r && typeof r === 'object' && !Array.isArray(r))
    texts = (r as { answers?: { text?: unknown } }).answers?.text;
  if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string')) {
    throw new ValidationError(
      `references[${i}] needs at least one gold answer text (a list of strings or { answers: { text: [...] } })`,
      [],
      { where },
    );
  }
  return texts as string[];
}

export interface SquadBatch {
  predictions: readonly SquadPrediction[];
  references: readonly SquadReference[];
}

class SquadState {
  em = 0;
  f1 = 0;
  add(batch: SquadBatch, where: string): number {
    const n = assertSameLength(
      batch?.predictions,
      'predictions',
      batch?.references,
      'references',
      where,
    );
    for (let i = 0; i < n; i++) {
      const pred = predictionText(batch.predictions[i], i, where);
      const golds = goldTexts(batch.references[i], i, where);
      let em = 0;
      let f1 = 0;
      for (const g of golds) {
        if (squadExactMatch(pred, g)) em = 1;
        const f = squadF1(pred, g);
        if (f > f1) f1 = f;
      }
      this.em += em;
      this.f1 += f1;
    }
    return n;
  }
}

const squadOptions = z.object({}).strict();

/** SQuAD v1.1 exact match and F1 (both 0–100). */
export function squad(
  predictions: readonly SquadPrediction[],
  references: readonly SquadReference[],
  options: Record<string, never> = {},
): SquadResult {
  const where = 'squad';
  parseOptions(squadOptions, options, where);
  const s = new SquadState();
  const n = s.add({ predictions, references }, where);
  assertNonEmpty(n, 'predictions', where);
  return { exact_match: (100 * s.em) / n, f1: (100 * s.f1) / n };
}

/** `metric:squad`. */
export const squadMetric = defineMetric({
  id: 'squad',
  description: 'SQuAD v1.1 exact match and F1 identical to the official evaluation script',
  options: squadOptions,
  init: () => new SquadState(),
  update: (s, b: SquadBatch, _o, where) => s.add(b, where),
  finalize: (s, _o, where, size): SquadResult => {
    assertNonEmpty(size, 'predictions', where);
    return { exact_match: (100 * s.em) / size, f1: (100 * s.f1) / size };
  },
});
