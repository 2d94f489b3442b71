import { describeValue, ShapeError, ValidationError } from '@kd/core';
import { z } from 'zod';
import { defineMetric } from './metric.js';
import { compareCodePoints } from './text/python.js';
import { assertNonEmpty, parseOptions } from './validate.js';

/**
 * Joint entity and relation extraction scored the SpERT way
 * (`spert/evaluator.py`): per document, the union of gold and predicted
 * tuples is taken as a set; each tuple is a true positive for its type if it
 * is in both, a false negative if only gold, a false positive if only
 * predicted; then scikit-learn micro and macro P/R/F1 over the types that
 * occur (zero_division 0).
 *
 * - `target: 'entities'`: an entity is (start, end, type);
 * - `target: 'relations'`, `mode: 'strict'` (SpERT "with NER", the usual
 *   "strict" relation F1): both argument spans *and their entity types* and
 *   the relation type must match;
 * - `mode: 'boundaries'` (SpERT "without NER"): argument spans and relation
 *   type must match, entity types are ignored.
 * SpERT prints these ×100; kd reports fractions like scikit-learn.
 */

export interface SpanEntity {
  start: number;
  end: number;
  type: string;
}
export interface Relation {
  head: SpanEntity;
  tail: SpanEntity;
  type: string;
}
export interface ExtractionDocument {
  entities?: readonly SpanEntity[];
  relations?: readonly Relation[];
}

export const relationExtractionOptionsSchema = z
  .object({
    target: z.enum(['relations', 'entities']).default('relations'),
    mode: z.enum(['strict', 'boundaries']).default('strict'),
    /** Relation types whose head/tail order does not matter (SpERT's symmetric relations). */
    symmetric_types: z.array(z.string()).default([]),
  })
  .strict();
export type RelationExtractionOptions = z.input<typeof relationExtractionOptionsSchema>;
type Parsed = z.output<typeof relationExtractionOptionsSchema>;

export interface TypeScore {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}
export interface RelationExtractionResult {
  precision: number;
  recall: number;
  f1: number;
  macro_precision: number;
  macro_recall: number;
  macro_f1: number;
  per_type: Record<string, TypeScore>;
}

function span(e: unknown, name: string, where: string): SpanEntity {
  const s = e as SpanEntity;
  if (
    !s ||
    typeof s !== 'object' ||
    !Number.isInteger(s.start) ||
    !Number.isInteger(s.end) ||
    typeof s.type !== 'string'
  ) {
    throw new ValidationError(`${name} is ${describeValue(e)}; expected { start, end, type }`, [], {
      where,
    });
  }
  return s;
}

function tupleKeys(
  doc: ExtractionDocument | undefined,
  o: Parsed,
  name: string,
  where: string,
): Map<string, string> {
  const out = new Map<string, string>(); // key -> type
  if (!doc || typeof doc !== 'object') {
    throw new ValidationError(
      `${name} is ${describeValue(doc)}; expected { entities, relations }`,
      [],
      { where },
    );
  }
  if (o.target === 'entities') {
    (doc.entities ?? []).forEach((e, i) => {
      const s = span(e, `${name}.entities[${i}]`, where);
      out.set(`${s.start}\u0000${s.end}\u0000${s.type}`, s.type);
    });
    return out;
  }
  (doc.relations ?? []).forEach((r, i) => {
    if (!r || typeof r.type !== 'string') {
      throw new ValidationError(
        `${name}.relations[${i}] is ${describeValue(r)}; expected { head, tail, type }`,
        [],
        { where },
      );
    }
    let head = span(r.head, `${name}.relations[${i}].head`, where);
    let tail = span(r.tail, `${name}.relations[${i}].tail`, where);
    if (o.symmetric_types.includes(r.type) && tail.start < head.start) [head, tail] = [tail, head];
    const arg = (s: SpanEntity) =>
      `${s.start}\u0000${s.end}\u0000${o.mode === 'strict' ? s.type : ''}`;
    out.set(`${arg(head)}\u0001${arg(tail)}\u0001${r.type}`, r.type);
  });
  return out;
}

export interface ExtractionBatch {
  predictions: readonly ExtractionDocument[];
  references: readonly ExtractionDocument[];
}

class ExtractionState {
  tp = new Map<string, number>();
  fp = new Map<string, number>();
  fn = new Map<string, number>();
  add(batch: ExtractionBatch, o: Parsed, where: string): number {
    const p = batch?.predictions;
    const r = batch?.references;
    if (!Array.isArray(p) || !Array.isArray(r))
      throw new ValidationError('predictions and references must be lists of documents', [], {
        where,
      });
    if (p.length !== r.length)
      throw new ShapeError(`got ${p.length} predicted and ${r.length} reference documents`, {
        where,
      });
    const inc = (m: Map<string, number>, t: string) => m.set(t, (m.get(t) ?? 0) + 1);
    for (let i = 0; i < p.length; i++) {
      const gold = tupleKeys(r[i], o, `references[${i}]`, where);
      const pred = tupleKeys(p[i], o, `predictions[${i}]`, where);
      for (const [k, t] of gold) {
        if (pred.has(k)) inc(this.tp, t);
        else inc(this.fn, t);
      }
      for (const [k, t] of pred) if (!gold.has(k)) inc(this.fp, t);
    }
    return p.length;
  }

  result(): RelationExtractionResult {
    const types = [...new Set([...this.tp.keys(), ...this.fp.keys(), ...this.fn.keys()])].sort(
      compareCodePoints,
    );
    const div = (a: number, b: number) => (b === 0 ? 0 : a / b);
    const perType: Record<string, TypeScore> = {};
    let tpS = 0;
    let fpS = 0;
    let fnS = 0;
    let mp = 0;
    let mr = 0;
    let mf = 0;
    for (const t of types) {
      const tp = this.tp.get(t) ?? 0;
      const fp = this.fp.get(t) ?? 0;
      const fn = this.fn.get(t) ?? 0;
      const precision = div(tp, tp + fp);
      const recall = div(tp, tp + fn);
      const f1 = div(2 * tp, 2 * tp + fp + fn);
      perType[t] = { precision, recall, f1, support: tp + fn };
      mp += precision;
      mr += recall;
      mf += f1;
      tpS += tp;
      fpS += fp;
      fnS += fn;
    }
    const k = types.length;
    return {
      precision: div(tpS, tpS + fpS),
      recall: div(tpS, tpS + fnS),
      f1: div(2 * tpS, 2 * tpS + fpS + fnS),
      macro_precision: k === 0 ? 0 : mp / k,
      macro_recall: k === 0 ? 0 : mr / k,
      macro_f1: k === 0 ? 0 : mf / k,
      per_type: perType,
    };
  }
}

/** SpERT-convention entity or relation P/R/F1 over documents. */
export function relationExtraction(
  predictions: readonly ExtractionDocument[],
  references: readonly ExtractionDocument[],
  options: RelationExtractionOptions = {},
): RelationExtractionResult {
  const where = 'relationExtraction';
  const o = parseOptions(relationExtractionOptionsSchema, options, where);
  const s = new ExtractionState();
  assertNonEmpty(s.add({ predictions, references }, o, where), 'predictions', where);
  return s.result();
}

/** `metric:relation_extraction`. */
export const relationExtractionMetric = defineMetric({
  id: 'relation_extraction',
  description:
    'Entity and relation extraction P/R/F1 (micro and macro) under the SpERT evaluation convention',
  options: relationExtractionOptionsSchema,
  init: () => new ExtractionState(),
  update: (s, b: ExtractionBatch, o, where) => s.add(b, o, where),
  finalize: (s, _o, where, size) => {
    assertNonEmpty(size, 'predictions', where);
    return s.result();
  },
});
