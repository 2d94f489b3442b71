import { ShapeError, ValidationError } from '@kd/core';
import { EdgeIndex } from '../edge-index.js';

/** Triples as three parallel id arrays. */
export interface Triples {
  heads: Int32Array;
  relations: Int32Array;
  tails: Int32Array;
}

/** A knowledge graph with its standard splits, entities and relations numbered from 0. */
export interface KnowledgeGraphData {
  name: string;
  entities: readonly string[];
  relations: readonly string[];
  train: Triples;
  valid: Triples;
  test: Triples;
}

export function tripleCount(t: Triples): number {
  return t.heads.length;
}

/** Triples from `[h, r, t]` rows. */
export function triplesFrom(rows: readonly (readonly [number, number, number])[]): Triples {
  return {
    heads: Int32Array.from(rows, (r) => r[0]),
    relations: Int32Array.from(rows, (r) => r[1]),
    tails: Int32Array.from(rows, (r) => r[2]),
  };
}

/** The triples at `ids`, in that order. */
export function selectTriples(t: Triples, ids: ArrayLike<number>): Triples {
  const pick = (a: Int32Array) => Int32Array.from({ length: ids.length }, (_, k) => a[ids[k]]);
  return { heads: pick(t.heads), relations: pick(t.relations), tails: pick(t.tails) };
}

/**
 * Checks ids against the entity and relation counts, naming the first bad
 * triple: `umls.train[17]: relation id 46 is out of range (46 relations)`.
 */
export function checkTriples(
  t: Triples,
  numEntities: number,
  numRelations: number,
  where: string,
): void {
  const n = t.heads.length;
  if (t.relations.length !== n || t.tails.length !== n) {
    throw new ShapeError(
      `heads, relations and tails differ in length (${n}, ${t.relations.length}, ${t.tails.length})`,
      { where },
    );
  }
  for (let k = 0; k < n; k++) {
    const [h, r, tl] = [t.heads[k], t.relations[k], t.tails[k]];
    const bad =
      h < 0 || h >= numEntities
        ? `head entity id ${h} is out of range (${numEntities} entities)`
        : tl < 0 || tl >= numEntities
          ? `tail entity id ${tl} is out of range (${numEntities} entities)`
          : r < 0 || r >= numRelations
            ? `relation id ${r} is out of range: expected 0 ≤ id < ${numRelations} relations`
            : undefined;
    if (bad) {
      throw new ValidationError(bad, [{ path: `${where}[${k}]`, message: bad }], {
        where: `${where}[${k}]`,
      });
    }
  }
}

/** Validates every split of a knowledge graph. */
export function checkKnowledgeGraph(kg: KnowledgeGraphData): void {
  for (const split of ['train', 'valid', 'test'] as const) {
    checkTriples(kg[split], kg.entities.length, kg.relations.length, `${kg.name}.${split}`);
  }
}

/**
 * Every known true triple, indexed for filtered ranking: the true tails of
 * each (h, r) and the true heads of each (r, t).
 */
export class TripleFilter {
  readonly numEntities: number;
  readonly numRelations: number;
  readonly #tails = new Map<number, Int32Array>();
  readonly #heads = new Map<number, Int32Array>();
  readonly #all = new Set<number>();

  constructor(splits: readonly Triples[], numEntities: number, numRelations: number) {
    this.numEntities = numEntities;
    this.numRelations = numRelations;
    const tails = new Map<number, Set<number>>();
    const heads = new Map<number, Set<number>>();
    for (const t of splits) {
      for (let k = 0; k < t.heads.length; k++) {
        const h = t.heads[k];
        const r = t.relations[k];
        const tl = t.tails[k];
        this.#all.add(this.key(h, r, tl));
        const hk = h * numRelations + r;
        const tk = tl * numRelations + r;
        if (!tails.has(hk)) tails.set(hk, new Set());
        tails.get(hk)!.add(tl);
        if (!heads.has(tk)) heads.set(tk, new Set());
        heads.get(tk)!.add(h);
      }
    }
    for (const [k, s] of tails) this.#tails.set(k, Int32Array.from(s).sort());
    for (const [k, s] of heads) this.#heads.set(k, Int32Array.from(s).sort());
  }

  private key(h: number, r: number, t: number): number {
    return (h * this.numRelations + r) * this.numEntities + t;
  }

  has(h: number, r: number, t: number): boolean {
    return this.#all.has(this.key(h, r, t));
  }

  /** Known tails of (h, r, ?). */
  tailsOf(h: number, r: number): Int32Array {
    return this.#tails.get(h * this.numRelations + r) ?? EMPTY;
  }

  /** Known heads of (?, r, t). */
  headsOf(r: number, t: number): Int32Array {
    return this.#heads.get(t * this.numRelations + r) ?? EMPTY;
  }
}

const EMPTY = new Int32Array(0);

/**
 * The message-passing graph of the training triples for an encoder: an edge
 * h → t of type r and its inverse t → h of type r + R (R-GCN's
 * "relation and inverse").
 */
export function tripleGraph(
  train: Triples,
  numEntities: number,
  numRelations: number,
): { edgeIndex: EdgeIndex; edgeType: Int32Array; numEdgeTypes: number } {
  const n = train.heads.length;
  const src = new Int32Array(2 * n);
  const dst = new Int32Array(2 * n);
  const type = new Int32Array(2 * n);
  src.set(train.heads);
  dst.set(train.tails);
  src.set(train.tails, n);
  dst.set(train.heads, n);
  type.set(train.relations);
  for (let k = 0; k < n; k++) type[n + k] = train.relations[k] + numRelations;
  return {
    edgeIndex: new EdgeIndex(src, dst, numEntities, 'tripleGraph'),
    edgeType: type,
    numEdgeTypes: 2 * numRelations,
  };
}
