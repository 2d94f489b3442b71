import { FormatError } from '@kd/core';
import { type Line, lineError, splitLines } from '../io/lines.js';

/**
 * A Planetoid citation graph (Cora, CiteSeer) in GCN's node order with the
 * public split (20 labelled nodes per class for training, 500 validation,
 * 1,000 test). Features are binary bag-of-words, stored sparse as CSR.
 */
export interface PlanetoidGraph {
  name: string;
  numNodes: number;
  numFeatures: number;
  numClasses: number;
  /** CSR rows of the 1-valued feature indices: node i's are `indices[indptr[i]..indptr[i+1])`. */
  features: { indptr: Int32Array; indices: Int32Array };
  /** Class per node; -1 for CiteSeer's 15 isolated, unlabelled test-index nodes. */
  labels: Int32Array;
  /** Undirected edges listed once with `src < dst`, self-loops dropped. */
  edges: { src: Int32Array; dst: Int32Array };
  trainIdx: Int32Array;
  valIdx: Int32Array;
  testIdx: Int32Array;
}

/** Feature dimensions of the public datasets (the files list only the 1-valued indices). */
export const PLANETOID_FEATURES: Record<string, number> = {
  cora: 1433,
  citeseer: 3703,
  pubmed: 500,
};

export interface PlanetoidFiles {
  /** `node<TAB>space-separated feature indices`. */
  features: string;
  /** `node<TAB>class` (-1 = unlabelled). */
  labels: string;
  /** `i<TAB>j` with i < j. */
  edges: string;
  /** `node<TAB>train|val|test`, `#` comments allowed. */
  split: string;
}

/** Parses the four text files of a Planetoid graph (this project's plain-text conversion of GCN's pickles). */
export function parsePlanetoid(
  files: PlanetoidFiles,
  options: { name?: string; numFeatures?: number } = {},
): PlanetoidGraph {
  const name = options.name ?? 'planetoid';
  const file = (f: string) => `${name}/${f}.txt`;
  const rows = (text: string) =>
    splitLines(text)
      .filter((l) => l.text !== '' && !l.text.startsWith('#'))
      .map((l) => ({ l, f: l.text.split('\t') }));
  const int = (s: string, l: Line, f: string, what: string, min = 0) => {
    if (!/^-?\d+$/.test(s) || Number(s) < min)
      throw lineError(file(f), l.lineNo, `${what} (an integer ≥ ${min})`, s);
    return Number(s);
  };

  // Labels fix the node count: nodes are 0..n-1 in order.
  const labelRows = rows(files.labels);
  const numNodes = labelRows.length;
  const labels = new Int32Array(numNodes);
  labelRows.forEach(({ l, f }, i) => {
    if (f.length !== 2)
      throw lineError(file('labels'), l.lineNo, '2 tab-separated fields (node, class)', l.text);
    if (int(f[0], l, 'labels', 'a node index') !== i)
      throw lineError(file('labels'), l.lineNo, `node ${i} (nodes listed in order)`, f[0]);
    labels[i] = int(f[1], l, 'labels', 'a class index', -1);
  });
  const numClasses = labels.reduce((m, v) => Math.max(m, v + 1), 0);

  const featRows = rows(files.features);
  if (featRows.length !== numNodes) {
    throw new FormatError(
      `expected ${numNodes} feature rows (one per labelled node), got ${featRows.length}`,
      { where: file('features') },
    );
  }
  const numFeatures = options.numFeatures ?? PLANETOID_FEATURES[name.toLowerCase()];
  const indptr = new Int32Array(numNodes + 1);
  const indices: number[] = [];
  let maxIndex = -1;
  featRows.forEach(({ l, f }, i) => {
    if (f.length !== 2)
      throw lineError(
        file('features'),
        l.lineNo,
        '2 tab-separated fields (node, feature indices)',
        l.text,
      );
    if (int(f[0], l, 'features', 'a node index') !== i)
      throw lineError(file('features'), l.lineNo, `node ${i}`, f[0]);
    if (f[1] !== '') {
      for (const s of f[1].split(' ')) {
        const j = int(s, l, 'features', 'a feature index');
        if (numFeatures !== undefined && j >= numFeatures)
          throw lineError(file('features'), l.lineNo, `feature indices < ${numFeatures}`, s);
        indices.push(j);
        if (j > maxIndex) maxIndex = j;
      }
    }
    indptr[i + 1] = indices.length;
  });

  const edgeRows = rows(files.edges);
  const src = new Int32Array(edgeRows.length);
  const dst = new Int32Array(edgeRows.length);
  edgeRows.forEach(({ l, f }, k) => {
    if (f.length !== 2)
      throw lineError(file('edges'), l.lineNo, '2 tab-separated node indices', l.text);
    const a = int(f[0], l, 'edges', 'a node index');
    const b = int(f[1], l, 'edges', 'a node index');
    if (a >= numNodes || b >= numNodes || a >= b)
      throw lineError(file('edges'), l.lineNo, `i < j < ${numNodes}`, l.text);
    src[k] = a;
    dst[k] = b;
  });

  const split: Record<string, number[]> = { train: [], val: [], test: [] };
  for (const { l, f } of rows(files.split)) {
    if (f.length !== 2 || !(f[1] in split))
      throw lineError(file('split'), l.lineNo, 'node<TAB>train|val|test', l.text);
    const node = int(f[0], l, 'split', 'a node index');
    if (node >= numNodes) throw lineError(file('split'), l.lineNo, `a node < ${numNodes}`, f[0]);
    split[f[1]].push(node);
  }
  return {
    name,
    numNodes,
    numFeatures: numFeatures ?? maxIndex + 1,
    numClasses,
    features: { indptr, indices: Int32Array.from(indices) },
    labels,
    edges: { src, dst },
    trainIdx: Int32Array.from(split.train),
    valIdx: Int32Array.from(split.val),
    testIdx: Int32Array.from(split.test),
  };
}

/** Both directions of every edge (and optionally self-loops), as a COO `[2, E]` edge index for message passing. */
export function planetoidEdgeIndex(
  g: PlanetoidGraph,
  options: { selfLoops?: boolean } = {},
): { src: Int32Array; dst: Int32Array } {
  const m = g.edges.src.length;
  const loops = options.selfLoops ? g.numNodes : 0;
  const src = new Int32Array(2 * m + loops);
  const dst = new Int32Array(2 * m + loops);
  src.set(g.edges.src, 0);
  dst.set(g.edges.dst, 0);
  src.set(g.edges.dst, m);
  dst.set(g.edges.src, m);
  for (let i = 0; i < loops; i++) {
    src[2 * m + i] = i;
    dst[2 * m + i] = i;
  }
  return { src, dst };
}

/** Dense row-major features `[numNodes, numFeatures]` (optionally row-normalised, as GCN preprocesses). */
export function planetoidDenseFeatures(
  g: PlanetoidGraph,
  options: { rowNormalize?: boolean } = {},
): Float32Array {
  const out = new Float32Array(g.numNodes * g.numFeatures);
  const { indptr, indices } = g.features;
  for (let i = 0; i < g.numNodes; i++) {
    const n = indptr[i + 1] - indptr[i];
    const v = options.rowNormalize && n > 0 ? 1 / n : 1;
    for (let k = indptr[i]; k < indptr[i + 1]; k++) out[i * g.numFeatures + indices[k]] = v;
  }
  return out;
}
