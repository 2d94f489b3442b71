/**
 * Test-only Planetoid loader over @kd/data's bundled files (features.txt:
 * `node<TAB>space-separated feature ids`, labels.txt, edges.txt `i<TAB>j`
 * undirected, split.txt `node<TAB>train|val|test`).
 */
import { readAssetText } from '@kd/data';
import {
  EdgeIndex,
  type NodeClassificationData,
  SparseMatrix,
  toUndirected,
} from '../../src/index.js';

export async function loadPlanetoid(name: 'cora' | 'citeseer'): Promise<NodeClassificationData> {
  const read = (f: string) =>
    readAssetText(`planetoid/${name}/${f}` as Parameters<typeof readAssetText>[0]);
  const [features, labels, edges, split] = await Promise.all(
    ['features.txt', 'labels.txt', 'edges.txt', 'split.txt'].map(read),
  );
  const rows: number[] = [];
  const cols: number[] = [];
  let n = 0;
  let f = 0;
  for (const line of features.split('\n')) {
    if (!line.trim()) continue;
    const [node, ids] = line.split('\t');
    n = Math.max(n, Number(node) + 1);
    for (const id of (ids ?? '').split(' ').filter(Boolean)) {
      rows.push(Number(node));
      cols.push(Number(id));
      f = Math.max(f, Number(id) + 1);
    }
  }
  const y = new Int32Array(n).fill(-1);
  for (const line of labels.split('\n')) {
    if (!line.trim()) continue;
    const [node, c] = line.split('\t').map(Number);
    y[node] = c;
  }
  const src: number[] = [];
  const dst: number[] = [];
  for (const line of edges.split('\n')) {
    if (!line.trim()) continue;
    const [a, b] = line.split('\t').map(Number);
    src.push(a);
    dst.push(b);
  }
  const parts: Record<string, number[]> = { train: [], val: [], test: [] };
  for (const line of split.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [node, s] = line.split('\t');
    parts[s].push(Number(node));
  }
  const numFeatures = name === 'cora' ? 1433 : 3703;
  return {
    name,
    x: new SparseMatrix(Int32Array.from(rows), Int32Array.from(cols), [
      n,
      Math.max(f, numFeatures),
    ]),
    y,
    numClasses: Math.max(...y) + 1,
    edgeIndex: toUndirected(EdgeIndex.from([src, dst], n)),
    trainIdx: Int32Array.from(parts.train),
    valIdx: Int32Array.from(parts.val),
    testIdx: Int32Array.from(parts.test),
  };
}
