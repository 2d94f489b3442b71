import { ValidationError } from '@kd/core';
import { type Line, lineError, splitLines, streamLines } from '../io/lines.js';

/** A (head, relation, tail) triple of names. */
export type Triple = readonly [head: string, relation: string, tail: string];

/** Parses one `head<TAB>relation<TAB>tail` line (ConvE / OpenKE layout). */
export function parseTripleLine(line: Line, file: string): Triple {
  const f = line.text.split('\t');
  if (f.length !== 3 || f.some((x) => x === '')) {
    throw lineError(
      file,
      line.lineNo,
      '3 non-empty tab-separated fields (head, relation, tail)',
      line.text,
    );
  }
  return [f[0], f[1], f[2]];
}

/** Parses a triples file (Kinship, UMLS, Nations, WN18RR, FB15k-237). */
export function parseTriples(text: string, options: { file?: string } = {}): Triple[] {
  const file = options.file ?? 'triples.txt';
  return splitLines(text).map((l) => parseTripleLine(l, file));
}

/** Streams triples from chunks of a large file (FB15k-237's 272k-line train split). */
export async function* streamTriples(
  chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options: { file?: string } = {},
): AsyncGenerator<Triple> {
  const file = options.file ?? 'triples.txt';
  for await (const line of streamLines(chunks)) yield parseTripleLine(line, file);
}

/**
 * A knowledge graph with integer ids. Triples are `Int32Array`s of
 * `[h0, r0, t0, h1, r1, t1, …]`; entity and relation ids are assigned in
 * sorted name order over all splits, so they do not depend on which split is
 * read first (and match the usual `entities.dict` sorting).
 */
export interface KnowledgeGraph {
  entities: string[];
  relations: string[];
  entityIndex: Map<string, number>;
  relationIndex: Map<string, number>;
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
}

export function buildKnowledgeGraph(splits: {
  train: readonly Triple[];
  valid?: readonly Triple[];
  test?: readonly Triple[];
}): KnowledgeGraph {
  const ents = new Set<string>();
  const rels = new Set<string>();
  for (const split of [splits.train, splits.valid ?? [], splits.test ?? []]) {
    for (const [h, r, t] of split) {
      ents.add(h);
      ents.add(t);
      rels.add(r);
    }
  }
  const entities = [...ents].sort(compare);
  const relations = [...rels].sort(compare);
  const entityIndex = new Map(entities.map((e, i) => [e, i]));
  const relationIndex = new Map(relations.map((r, i) => [r, i]));
  const encode = (triples: readonly Triple[]) => {
    const out = new Int32Array(triples.length * 3);
    triples.forEach(([h, r, t], i) => {
      out[3 * i] = entityIndex.get(h) as number;
      out[3 * i + 1] = relationIndex.get(r) as number;
      out[3 * i + 2] = entityIndex.get(t) as number;
    });
    return out;
  };
  return {
    entities,
    relations,
    entityIndex,
    relationIndex,
    train: encode(splits.train),
    valid: encode(splits.valid ?? []),
    test: encode(splits.test ?? []),
  };
}

/**
 * Adds inverse relations (`r_reverse` with id `r + R`) as most KG models do
 * (ConvE, R-GCN): returns the triples with every `(t, r+R, h)` appended.
 */
export function withInverseTriples(triples: Int32Array, numRelations: number): Int32Array {
  if (triples.length % 3 !== 0)
    throw new ValidationError(`triples length ${triples.length} is not a multiple of 3`);
  const n = triples.length / 3;
  const out = new Int32Array(triples.length * 2);
  out.set(triples);
  for (let i = 0; i < n; i++) {
    out[3 * (n + i)] = triples[3 * i + 2];
    out[3 * (n + i) + 1] = triples[3 * i + 1] + numRelations;
    out[3 * (n + i) + 2] = triples[3 * i];
  }
  return out;
}

/**
 * Every known true tail per (head, relation) over the given splits — the
 * "filtered" setting of link-prediction ranking (Bordes et al. 2013) removes
 * these from the candidates before ranking a test tail. Keys are `h * 2R + r`
 * (2R so that inverse relations `r + R` from `withInverseTriples` fit).
 */
export function knownTails(
  kg: KnowledgeGraph,
  splits: readonly Int32Array[] = [kg.train, kg.valid, kg.test],
): Map<number, Set<number>> {
  // Room for inverse relations (r + R) too, so augmented triples can share the index.
  const R = 2 * kg.relations.length;
  const out = new Map<number, Set<number>>();
  for (const s of splits) {
    for (let i = 0; i < s.length; i += 3) {
      const key = s[i] * R + s[i + 1];
      let set = out.get(key);
      if (!set) out.set(key, (set = new Set()));
      set.add(s[i + 2]);
    }
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
