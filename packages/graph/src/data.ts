import { ValidationError } from '@kd/core';
import type { KnowledgeGraph, PlanetoidGraph } from '@kd/data';
import { EdgeIndex } from './edge-index.js';
import type { KnowledgeGraphData, Triples } from './kg/triples.js';
import type { NodeClassificationData } from './node/train.js';
import { SparseMatrix } from './sparse.js';

/**
 * A @kd/data Planetoid graph as a node-classification problem: sparse
 * bag-of-words features (row-normalised by default, as Kipf & Welling and
 * PyG's `NormalizeFeatures` do), both directions of every citation edge.
 */
export function planetoidData(
  g: PlanetoidGraph,
  options: { normalizeFeatures?: boolean } = {},
): NodeClassificationData {
  const { indptr, indices } = g.features;
  const rows = new Int32Array(indices.length);
  for (let i = 0; i < g.numNodes; i++) rows.fill(i, indptr[i], indptr[i + 1]);
  let x = new SparseMatrix(
    rows,
    Int32Array.from(indices),
    [g.numNodes, g.numFeatures],
    undefined,
    `${g.name}.features`,
  );
  if (options.normalizeFeatures ?? true) x = x.normalizeRows();
  const m = g.edges.src.length;
  const src = new Int32Array(2 * m);
  const dst = new Int32Array(2 * m);
  src.set(g.edges.src);
  dst.set(g.edges.dst);
  src.set(g.edges.dst, m);
  dst.set(g.edges.src, m);
  return {
    name: g.name,
    x,
    y: g.labels,
    numClasses: g.numClasses,
    edgeIndex: new EdgeIndex(src, dst, g.numNodes, `${g.name}.edges`),
    trainIdx: g.trainIdx,
    valIdx: g.valIdx,
    testIdx: g.testIdx,
  };
}

function unflatten(flat: Int32Array, where: string): Triples {
  if (flat.length % 3 !== 0) {
    throw new ValidationError(`triple array length ${flat.length} is not a multiple of 3`, [], {
      where,
    });
  }
  const n = flat.length / 3;
  const t: Triples = {
    heads: new Int32Array(n),
    relations: new Int32Array(n),
    tails: new Int32Array(n),
  };
  for (let k = 0; k < n; k++) {
    t.heads[k] = flat[3 * k];
    t.relations[k] = flat[3 * k + 1];
    t.tails[k] = flat[3 * k + 2];
  }
  return t;
}

/** A @kd/data knowledge graph (flat `[h, r, t, …]` splits) as @kd/graph's split triples. */
export function knowledgeGraphData(kg: KnowledgeGraph, name: string): KnowledgeGraphData {
  return {
    name,
    entities: kg.entities,
    relations: kg.relations,
    train: unflatten(kg.train, `${name}.train`),
    valid: unflatten(kg.valid, `${name}.valid`),
    test: unflatten(kg.test, `${name}.test`),
  };
}
