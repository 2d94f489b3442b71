import { describeValue, ShapeError, ValidationError } from '@kd/core';
import { z } from 'zod';
import { zeroDivisionSchema, zeroDivisionValue } from './classification/prf.js';
import { defineMetric } from './metric.js';
import { compareCodePoints } from './text/python.js';
import { assertNonEmpty, parseOptions } from './validate.js';

/**
 * seqeval 1.2 entity-level evaluation (HF evaluate's `seqeval`).
 *
 * - default mode: conlleval-compatible chunking (`get_entities`) that accepts
 *   IOB1, IOB2, IOE1, IOE2 and IOBES tags alike; sentences are joined with an
 *   `O` between them.
 * - strict mode (`mode: 'strict'`, with `scheme`): an entity counts only if
 *   it is well formed in that scheme (seqeval.scheme: IOB2, IOE2, IOBES, BILOU…).
 */

export const SCHEMES = ['IOB1', 'IOB2', 'IOE1', 'IOE2', 'IOBES', 'BILOU'] as const;
export type Scheme = (typeof SCHEMES)[number];

/** (type, start, end) with `end` inclusive in default mode and exclusive in strict mode, as seqeval. */
export type Entity = readonly [type: string, start: number, end: number];

function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'E' || prevTag === 'S') return true;
  if (prevTag === 'B' && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  if (prevTag === 'I' && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  return prevTag !== 'O' && prevTag !== '.' && prevType !== type;
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prevTag === 'E' || prevTag === 'S' || prevTag === 'O') && (tag === 'E' || tag === 'I'))
    return true;
  return tag !== 'O' && tag !== '.' && prevType !== type;
}

/** seqeval `get_entities(seq, suffix)` over one flat tag sequence; offsets inclusive. */
export function getEntities(seq: readonly string[], suffix = false): Entity[] {
  let prevTag = 'O';
  let prevType = '';
  let begin = 0;
  const chunks: Entity[] = [];
  for (let i = 0; i <= seq.length; i++) {
    const chunk = i < seq.length ? seq[i] : 'O';
    let tag: string;
    let type: string;
    if (suffix) {
      tag = chunk[chunk.length - 1] ?? '';
      const body = chunk.slice(0, -1);
      const k = body.lastIndexOf('-');
      type = (k >= 0 ? body.slice(0, k) : body) || '_';
    } else {
      tag = chunk[0] ?? '';
      const body = chunk.slice(1);
      const k = body.indexOf('-');
      type = (k >= 0 ? body.slice(k + 1) : body) || '_';
    }
    if (endOfChunk(prevTag, tag, prevType, type)) chunks.push([prevType, begin, i - 1]);
    if (startOfChunk(prevTag, tag, prevType, type)) begin = i;
    prevTag = tag;
    prevType = type;
  }
  return chunks;
}

// Strict mode: seqeval.scheme's prefix patterns. [prev prefixes, current prefixes, tag condition].
type Cond = 'ANY' | 'SAME' | 'DIFF';
type Pattern = readonly [string, string, Cond];
interface SchemeDef {
  allowed: string;
  start: readonly Pattern[];
  inside: readonly Pattern[];
  end: readonly Pattern[];
}
const ANY = 'IOBESUL';
const SCHEME_DEFS: Record<Scheme, SchemeDef> = {
  IOB1: {
    allowed: 'IOB',
    start: [
      ['O', 'I', 'ANY'],
      ['I', 'I', 'DIFF'],
      ['B', 'I', 'ANY'],
      ['I', 'B', 'SAME'],
      ['B', 'B', 'SAME'],
    ],
    inside: [
      ['B', 'I', 'SAME'],
      ['I', 'I', 'SAME'],
    ],
    end: [
      ['I', 'I', 'DIFF'],
      ['I', 'O', 'ANY'],
      ['I', 'B', 'ANY'],
      ['B', 'O', 'ANY'],
      ['B', 'I', 'DIFF'],
      ['B', 'B', 'SAME'],
    ],
  },
  IOE1: {
    allowed: 'IOE',
    start: [
      ['O', 'I', 'ANY'],
      ['I', 'I', 'DIFF'],
      ['E', 'I', 'ANY'],
      ['E', 'E', 'SAME'],
    ],
    inside: [
      ['I', 'I', 'SAME'],
      ['I', 'E', 'SAME'],
    ],
    end: [
      ['I', 'I', 'DIFF'],
      ['I', 'O', 'ANY'],
      ['I', 'E', 'DIFF'],
      ['E', 'I', 'SAME'],
      ['E', 'E', 'SAME'],
    ],
  },
  IOB2: {
    allowed: 'IOB',
    start: [[ANY, 'B', 'ANY']],
    inside: [
      ['B', 'I', 'SAME'],
      ['I', 'I', 'SAME'],
    ],
    end: [
      ['I', 'O', 'ANY'],
      ['I', 'I', 'DIFF'],
      ['I', 'B', 'ANY'],
      ['B', 'O', 'ANY'],
      ['B', 'I', 'DIFF'],
      ['B', 'B', 'ANY'],
    ],
  },
  IOE2: {
    allowed: 'IOE',
    start: [
      ['O', 'I', 'ANY'],
      ['O', 'E', 'ANY'],
      ['E', 'I', 'ANY'],
      ['E', 'E', 'ANY'],
      ['I', 'I', 'DIFF'],
      ['I', 'E', 'DIFF'],
    ],
    inside: [
      ['I', 'E', 'SAME'],
      ['I', 'I', 'SAME'],
    ],
    end: [['E', ANY, 'ANY']],
  },
  IOBES: {
    allowed: 'IOBES',
    start: [
      [ANY, 'B', 'ANY'],
      [ANY, 'S', 'ANY'],
    ],
    inside: [
      ['B', 'I', 'SAME'],
      ['B', 'E', 'SAME'],
      ['I', 'I', 'SAME'],
      ['I', 'E', 'SAME'],
    ],
    end: [
      ['S', ANY, 'ANY'],
      ['E', ANY, 'ANY'],
    ],
  },
  BILOU: {
    allowed: 'BILOU',
    start: [
      [ANY, 'B', 'ANY'],
      [ANY, 'U', 'ANY'],
    ],
    inside: [
      ['B', 'I', 'SAME'],
      ['B', 'L', 'SAME'],
      ['I', 'I', 'SAME'],
      ['I', 'L', 'SAME'],
    ],
    end: [
      ['U', ANY, 'ANY'],
      ['L', ANY, 'ANY'],
    ],
  },
};

interface Tok {
  prefix: string;
  tag: string;
}

function strictToken(token: string, suffix: boolean, where: string): Tok {
  const prefix = suffix ? token[token.length - 1] : token[0];
  if (prefix === undefined || !ANY.includes(prefix)) {
    throw new ValidationError(
      `invalid tag ${JSON.stringify(token)}: its prefix must be one of I, O, B, E, S, U, L`,
      [],
      { where },
    );
  }
  let tag = suffix ? token.slice(0, -1) : token.slice(1);
  tag = tag.replace(/^-+|-+$/g, '') || '_';
  return { prefix, tag };
}

function matches(prev: Tok, cur: Tok, patterns: readonly Pattern[]): boolean {
  for (const [p, c, cond] of patterns) {
    if (!p.includes(prev.prefix) || !c.includes(cur.prefix)) continue;
    if (cond === 'ANY' || (cond === 'SAME') === (prev.tag === cur.tag)) return true;
  }
  return false;
}

/** seqeval.scheme `Tokens(...).entities` for one sentence; end exclusive. */
export function strictEntities(
  seq: readonly string[],
  scheme: Scheme,
  suffix = false,
  where = 'seqeval',
): Entity[] {
  const def = SCHEME_DEFS[scheme];
  const outside: Tok = { prefix: 'O', tag: '_' };
  const toks = [...seq.map((t) => strictToken(t, suffix, where)), outside];
  const out: Entity[] = [];
  let i = 0;
  let prev = outside;
  while (i < toks.length) {
    const token = toks[i];
    if (!def.allowed.includes(token.prefix)) {
      throw new ValidationError(
        `invalid token ${JSON.stringify(seq[i] ?? 'O')} for scheme ${scheme}; allowed prefixes are ${def.allowed.split('').join(', ')}`,
        [],
        { where },
      );
    }
    if (matches(prev, token, def.start)) {
      let end = toks.length - 2; // seqeval's _forward fallback: len(tokens) - 1
      let p = token;
      for (let k = i + 1; k < toks.length; k++) {
        if (matches(p, toks[k], def.inside)) p = toks[k];
        else {
          end = k;
          break;
        }
      }
      if (matches(toks[end - 1], toks[end], def.end)) out.push([token.tag, i, end]);
      i = end;
    } else i++;
    prev = toks[i - 1];
  }
  return out;
}

export const seqevalOptionsSchema = z
  .object({
    /** Tags are `PER-B` rather than `B-PER`. */
    suffix: z.boolean().default(false),
    scheme: z.enum(SCHEMES).nullable().default(null),
    /** `strict`: only entities well formed in `scheme` (auto-detected among IOB2/IOE2/IOBES if absent). */
    mode: z.enum(['default', 'strict']).nullable().default(null),
    zero_division: zeroDivisionSchema,
  })
  .strict();
export type SeqevalOptions = z.input<typeof seqevalOptionsSchema>;
type ParsedSeqeval = z.output<typeof seqevalOptionsSchema>;

export interface SeqevalTypeScore {
  precision: number;
  recall: number;
  f1: number;
  number: number;
}
export type SeqevalResult = Record<string, SeqevalTypeScore | number> & {
  overall_precision: number;
  overall_recall: number;
  overall_f1: number;
  overall_accuracy: number;
};

function autoDetect(seqs: readonly (readonly string[])[], suffix: boolean, where: string): Scheme {
  const prefixes = new Set<string>();
  for (const s of seqs) for (const t of s) prefixes.add(suffix ? t[t.length - 1] : t[0]);
  const key = [...prefixes].sort().join('');
  const iob2 = ['BIO', 'BI', 'BO', 'B'];
  const ioe2 = ['EIO', 'EI', 'EO', 'E'];
  const iobes = ['BEIOS', 'BEIS', 'BEIO', 'BEOS', 'BEI', 'BES', 'BEO', 'BE', 'S'];
  if (iob2.includes(key)) return 'IOB2';
  if (ioe2.includes(key)) return 'IOE2';
  if (iobes.includes(key)) return 'IOBES';
  throw new ValidationError(
    `cannot detect the tagging scheme from prefixes {${[...prefixes].join(', ')}}; pass scheme`,
    [],
    { where },
  );
}

export interface SeqBatch {
  predictions: readonly (readonly string[])[];
  references: readonly (readonly string[])[];
}

class SeqevalState {
  refs: string[][] = [];
  preds: string[][] = [];
  add(batch: SeqBatch, where: string): number {
    const p = batch?.predictions;
    const r = batch?.references;
    if (!Array.isArray(p) || !Array.isArray(r)) {
      throw new ValidationError('predictions and references must be lists of tag sequences', [], {
        where,
      });
    }
    if (p.length !== r.length) {
      throw new ShapeError(`got ${p.length} predicted and ${r.length} reference sequences`, {
        where,
      });
    }
    for (let i = 0; i < p.length; i++) {
      if (!Array.isArray(p[i]) || !Array.isArray(r[i])) {
        throw new ValidationError(
          `sequence ${i} is ${describeValue(p[i])} / ${describeValue(r[i])}; expected lists of tags`,
          [],
          { where },
        );
      }
      if (p[i].length !== r[i].length) {
        throw new ShapeError(
          `sequence ${i} has ${p[i].length} predicted and ${r[i].length} reference tags`,
          { where },
        );
      }
      for (const t of [...p[i], ...r[i]]) {
        if (typeof t !== 'string' || t.length === 0) {
          throw new ValidationError(
            `sequence ${i} holds ${describeValue(t)}; tags are non-empty strings`,
            [],
            { where },
          );
        }
      }
      this.preds.push([...p[i]]);
      this.refs.push([...r[i]]);
    }
    return p.length;
  }

  result(o: ParsedSeqeval, where: string): SeqevalResult {
    // Entities keyed by "type\u0000sentence\u0000start\u0000end".
    const collect = (seqs: string[][]): Map<string, Set<string>> => {
      const byType = new Map<string, Set<string>>();
      const put = (type: string, key: string) => {
        let s = byType.get(type);
        if (!s) byType.set(type, (s = new Set()));
        s.add(key);
      };
      if (o.mode === 'strict') {
        const scheme = o.scheme ?? autoDetect(this.refs, o.suffix, where);
        seqs.forEach((seq, sid) => {
          for (const [type, a, b] of strictEntities(seq, scheme, o.suffix, where))
            put(type, `${sid}\u0000${a}\u0000${b}`);
        });
      } else {
        // Default mode flattens sentences with an 'O' after each.
        const flat: string[] = [];
        for (const s of seqs) flat.push(...s, 'O');
        for (const [type, a, b] of getEntities(flat, o.suffix)) put(type, `${a}\u0000${b}`);
      }
      return byType;
    };
    const gold = collect(this.refs);
    const pred = collect(this.preds);
    const types = [...new Set([...gold.keys(), ...pred.keys()])].sort(compareCodePoints);
    const zd = zeroDivisionValue(o.zero_division);
    const out: Record<string, SeqevalTypeScore | number> = {};
    let tpAll = 0;
    let predAll = 0;
    let trueAll = 0;
    for (const type of types) {
      const g = gold.get(type) ?? new Set<string>();
      const p = pred.get(type) ?? new Set<string>();
      let tp = 0;
      for (const k of p) if (g.has(k)) tp++;
      const precision = p.size === 0 ? zd : tp / p.size;
      const recall = g.size === 0 ? zd : tp / g.size;
      const denom = precision + recall;
      // seqeval 1.2 computes F from P and R (not from counts).
      const f1 =
        denom === 0 || Number.isNaN(denom)
          ? Number.isNaN(denom)
            ? Number.NaN
            : 0
          : (2 * precision * recall) / denom;
      out[type] = { precision, recall, f1, number: g.size };
      tpAll += tp;
      predAll += p.size;
      trueAll += g.size;
    }
    const precision = predAll === 0 ? zd : tpAll / predAll;
    const recall = trueAll === 0 ? zd : tpAll / trueAll;
    const denom = precision + recall;
    const f1 = denom === 0 ? 0 : (2 * precision * recall) / denom;
    let correct = 0;
    let total = 0;
    for (let i = 0; i < this.refs.length; i++) {
      for (let t = 0; t < this.refs[i].length; t++) {
        if (this.refs[i][t] === this.preds[i][t]) correct++;
        total++;
      }
    }
    return {
      ...out,
      overall_precision: precision,
      overall_recall: recall,
      overall_f1: f1,
      overall_accuracy: total === 0 ? Number.NaN : correct / total,
    } as SeqevalResult;
  }
}

/** HF evaluate `seqeval.compute(predictions, references)`. */
export function seqeval(
  predictions: readonly (readonly string[])[],
  references: readonly (readonly string[])[],
  options: SeqevalOptions = {},
): SeqevalResult {
  const where = 'seqeval';
  const o = parseOptions(seqevalOptionsSchema, options, where);
  const s = new SeqevalState();
  assertNonEmpty(s.add({ predictions, references }, where), 'predictions', where);
  return s.result(o, where);
}

/** `metric:seqeval`. */
export const seqevalMetric = defineMetric({
  id: 'seqeval',
  description:
    'Entity-level P/R/F1 identical to seqeval (default conlleval mode, strict IOB2/IOE2/IOBES/BILOU)',
  options: seqevalOptionsSchema,
  init: () => new SeqevalState(),
  update: (s, b: SeqBatch, _o, where) => s.add(b, where),
  finalize: (s, o, where, size) => {
    assertNonEmpty(size, 'predictions', where);
    return s.result(o, where);
  },
});
