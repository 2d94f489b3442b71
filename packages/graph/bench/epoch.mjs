// Epoch time of GCN and GAT on Cora and of R-GCN on a knowledge graph
// (FB15k-237 when its folder is available, UMLS always), on the wasm backend,
// each beside a baseline timed in the same run:
//   GCN:   dense normalised adjacency (tf.matMul with a 2708² matrix, dense
//          features) vs kd's edge-wise propagate vs kd's fused CSR product;
//   GAT:   kd's edge-wise propagate (PyG's gather → message → scatter) vs the
//          fused multi-head CSR product;
//   R-GCN: transform-then-aggregate per relation (one matmul per edge group,
//          as PyG's RGCNConv) vs kd's aggregate-then-transform.
// For GCN and GAT an epoch is one full-batch training step (forward,
// backward, Adam update); for R-GCN it is ⌈triples / 30,000⌉ steps, each with
// the encoder over the whole graph (see rgcnBench).
// Runs on kd's wasm setup (tfjs-wasm + @kd/backend-wasm kernels) unless
// KD_STOCK_WASM=1.
//
//   pnpm bench                                    (FB15k-237 from $KD_FB15K237,
//   KD_FB15K237=/path/to/kg-fb15k-237 pnpm bench   or ../shared/data/kg-fb15k-237)
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plugin as backendWasm } from '@kd/backend-wasm';
import { initBackend, Rng, registry } from '@kd/core';
import { loadKnowledgeGraph, loadPlanetoid, sourceOf } from '@kd/data';
import { Module } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { report, time } from '../../../scripts/bench.mjs';
import {
  dropout,
  GAT,
  GCN,
  gatherRows,
  gcnNorm,
  glorotLinear,
  knowledgeGraphData,
  nllLoss,
  ParamOptimizer,
  planetoidData,
  RGCNConv,
  scatterAdd,
  tripleGraph,
} from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const threads = Number(process.env.KD_THREADS ?? 1);
// kd's wasm backend as the CLI sets it up: tfjs-wasm plus @kd/backend-wasm's
// SIMD kernels (KD_STOCK_WASM=1 times stock tfjs-wasm instead).
if (process.env.KD_STOCK_WASM !== '1') registry.register(backendWasm);
const info = await initBackend({ backend: 'wasm', threads });
const rows = [];
const quick = process.env.KD_BENCH_QUICK === '1';
const iters = quick ? 3 : 10;
/** KD_BENCH_ONLY=gcn,gat,rgcn runs a subset. */
const only = (process.env.KD_BENCH_ONLY ?? 'gcn,gat,rgcn').split(',');

function trainStep(model, lossFn, options) {
  const opt = new ParamOptimizer(model.trainableParameters(), options);
  return { step: () => opt.step(lossFn), dispose: () => opt.dispose() };
}

async function timeRow(name, baselineMs, fn, extra = {}) {
  const t = await time(fn, { warmup: 2, iters });
  const row = { bench: name, medianMs: t.medianMs, minMs: t.minMs, runs: t.runs, ...extra };
  process.stderr.write(`${name}: ${t.medianMs.toFixed(1)} ms\n`);
  if (baselineMs !== undefined) row.speedup = baselineMs / t.medianMs;
  rows.push(row);
  return t.medianMs;
}

// ---------------------------------------------------------------- Cora GCN / GAT
const cora = planetoidData(await loadPlanetoid('cora'));
const lossOf = (model) => () =>
  nllLoss(model.forward(cora.x, cora.edgeIndex), cora.y, cora.trainIdx);
const adam = (extra = {}) => ({ name: 'adam', lr: 0.01, weightDecay: 5e-4, ...extra });

/** The tfjs-idiomatic GCN: dense features, dense Â = D̂^{-½}(A+I)D̂^{-½} as a [N, N] matrix. */
class DenseGCN extends Module {
  constructor(inC, hidden, outC, adj, rng) {
    super();
    this.lin1 = this.addModule('conv1', glorotLinear(inC, hidden, rng, true));
    this.lin2 = this.addModule('conv2', glorotLinear(hidden, outC, rng, true));
    this.adj = adj;
    this.rng = rng.fork('dropout');
  }
  forward(x) {
    return tf.tidy(() => {
      const drop = (t) => dropout(t, 0.5, this.rng, this.training);
      const h = tf.relu(tf.matMul(this.adj, this.lin1.forward(drop(x))));
      return tf.matMul(this.adj, this.lin2.forward(drop(h)));
    });
  }
}

if (only.includes('gcn')) {
  const n = cora.y.length;
  const { edgeIndex, weight } = gcnNorm(cora.edgeIndex);
  const dense = new Float32Array(n * n);
  for (let e = 0; e < edgeIndex.numEdges; e++)
    dense[edgeIndex.dst[e] * n + edgeIndex.src[e]] += weight[e];
  const adj = tf.tensor2d(dense, [n, n]);
  const xDense = cora.x.toDense();
  const baseline = new DenseGCN(cora.x.shape[1], 16, cora.numClasses, adj, new Rng(0));
  const b = trainStep(
    baseline,
    () => nllLoss(baseline.forward(xDense), cora.y, cora.trainIdx),
    adam(),
  );
  const base = await timeRow('cora/gcn: dense Â and features (tfjs baseline)', undefined, b.step);
  b.dispose();
  baseline.dispose();
  for (const fuse of [false, true]) {
    const model = new GCN(
      { inChannels: cora.x.shape[1], outChannels: cora.numClasses },
      new Rng(0),
    );
    model.conv1.fuse = fuse;
    model.conv2.fuse = fuse;
    const s = trainStep(model, lossOf(model), adam({ decay: ['conv1.'] }));
    await timeRow(`cora/gcn: kd ${fuse ? 'fused CSR spmm' : 'edge-wise propagate'}`, base, s.step);
    s.dispose();
    model.dispose();
  }
  tf.dispose([adj, xDense]);
}

if (only.includes('gat')) {
  let base;
  for (const fuse of [false, true]) {
    const model = new GAT(
      { inChannels: cora.x.shape[1], outChannels: cora.numClasses },
      new Rng(0),
    );
    model.conv1.fuse = fuse;
    model.conv2.fuse = fuse;
    const s = trainStep(model, lossOf(model), adam({ lr: 0.005 }));
    const ms = await timeRow(
      `cora/gat: kd ${fuse ? 'fused multi-head CSR spmm' : 'edge-wise propagate (baseline)'}`,
      base,
      s.step,
    );
    base ??= ms;
    s.dispose();
    model.dispose();
  }
}

// ---------------------------------------------------------------- R-GCN
/**
 * PyG-style R-GCN layer: every edge's source transformed by its relation's
 * matrix (one matmul per relation over that relation's edges), then
 * mean-aggregated at the targets. Edges are gathered once and split per
 * relation, so the baseline pays for the per-edge work, not for slicing.
 */
class EdgewiseRGCN extends Module {
  constructor(conv, ei, types) {
    super();
    this.conv = this.addModule('conv', conv);
    const order = Array.from(types.keys()).sort((a, b) => types[a] - types[b]);
    const count = new Map();
    for (let e = 0; e < types.length; e++) {
      const k = types[e] * ei.numNodes + ei.dst[e];
      count.set(k, (count.get(k) ?? 0) + 1);
    }
    this.src = Int32Array.from(order, (e) => ei.src[e]);
    this.dst = Int32Array.from(order, (e) => ei.dst[e]);
    this.norm = Float32Array.from(order, (e) => 1 / count.get(types[e] * ei.numNodes + ei.dst[e]));
    this.sizes = [];
    this.rels = [];
    for (let k = 0; k < order.length; ) {
      let j = k;
      while (j < order.length && types[order[j]] === types[order[k]]) j++;
      this.sizes.push(j - k);
      this.rels.push(types[order[k]]);
      k = j;
    }
    this.numNodes = ei.numNodes;
  }
  forward(x) {
    const { numRelations: r, inChannels: i, outChannels: o, numBases: b } = this.conv.options;
    return tf.tidy(() => {
      const w = tf.unstack(
        tf.reshape(tf.matMul(this.conv.comp, tf.reshape(this.conv.weight, [b, i * o])), [r, i, o]),
      );
      const xs = tf.split(gatherRows(x, this.src), this.sizes);
      const msgs = tf.concat(xs.map((xr, k) => tf.matMul(xr, w[this.rels[k]])));
      const agg = scatterAdd(
        tf.mul(msgs, tf.tensor2d(this.norm, [this.norm.length, 1])),
        this.dst,
        this.numNodes,
      );
      return tf.add(tf.add(agg, tf.matMul(x, this.conv.root)), this.conv.bias);
    });
  }
}

/**
 * One training step: the 2-layer R-GCN encoder over the whole training graph
 * (every triple as an edge and its inverse), then a DistMult logistic loss on
 * `batchSize` training triples and as many corrupted tails (DGL's R-GCN
 * link-prediction example uses 30,000 per step). An epoch is ⌈triples /
 * batchSize⌉ such steps.
 */
async function rgcnBench(name, kg, dim, bases, batchSize) {
  const data = knowledgeGraphData(kg, name);
  const n = data.entities.length;
  const g = tripleGraph(data.train, n, data.relations.length);
  const rng = new Rng(0);
  const emb = tf.variable(tf.tensor2d(rng.normalArray(n * dim, 0, 0.1), [n, dim]));
  const rel = tf.variable(
    tf.tensor2d(rng.normalArray(data.relations.length * dim, 0, 0.1), [data.relations.length, dim]),
  );
  const numTriples = data.train.heads.length;
  const size = Math.min(batchSize, numTriples);
  const steps = Math.ceil(numTriples / size);
  const pick = rng.permutation(numTriples).slice(0, size);
  const heads = Int32Array.from(pick, (i) => data.train.heads[i]);
  const rels = Int32Array.from(pick, (i) => data.train.relations[i]);
  const tails = Int32Array.from(pick, (i) => data.train.tails[i]);
  const negTails = Int32Array.from(pick, () => rng.int(n));
  const loss = (encode) => () =>
    tf.tidy(() => {
      const h = encode();
      const score = (t) =>
        tf.sum(tf.mul(tf.mul(gatherRows(h, heads), gatherRows(rel, rels)), gatherRows(h, t)), 1);
      const pos = tf.softplus(tf.neg(score(tails)));
      const neg = tf.softplus(score(negTails));
      return tf.mean(tf.add(pos, neg));
    });
  const layerOpts = {
    inChannels: dim,
    outChannels: dim,
    numRelations: g.numEdgeTypes,
    numBases: bases,
  };
  const edges = `${g.edgeIndex.numEdges} edges, ${g.numEdgeTypes} edge types, ${n} nodes, dim ${dim}, ${bases} bases, ${size} triples/step, ${steps} steps/epoch`;
  let base;
  for (const kind of ['edgewise', 'kd']) {
    const l1 = new RGCNConv(layerOpts, new Rng(2));
    const l2 = new RGCNConv(layerOpts, new Rng(3));
    const layers =
      kind === 'kd'
        ? [l1, l2]
        : [
            new EdgewiseRGCN(l1, g.edgeIndex, g.edgeType),
            new EdgewiseRGCN(l2, g.edgeIndex, g.edgeType),
          ];
    const params = { emb, rel };
    layers.forEach((m, k) => {
      for (const [p, v] of m.namedParameters()) params[`layers.${k}.${p}`] = v;
    });
    const opt = new ParamOptimizer(params, { name: 'adam', lr: 0.01 });
    const encode = () => {
      const h = tf.relu(layers[0].forward(emb, g.edgeIndex, g.edgeType));
      return layers[1].forward(h, g.edgeIndex, g.edgeType);
    };
    const t = await time(() => opt.step(loss(encode)), { warmup: 1, iters: quick ? 1 : 3 });
    if (process.env.KD_BENCH_DEBUG) process.stderr.write(`${JSON.stringify(tf.memory())}\n`);
    const row = {
      bench: `${name}/rgcn: ${kind === 'kd' ? 'kd aggregate-then-transform' : 'per-edge transform (baseline)'}`,
      medianMs: t.medianMs * steps,
      minMs: t.minMs * steps,
      stepMs: t.medianMs,
      runs: t.runs,
      graph: edges,
    };
    if (base !== undefined) row.speedup = base / row.medianMs;
    base ??= row.medianMs;
    rows.push(row);
    process.stderr.write(`${row.bench}: ${row.medianMs.toFixed(1)} ms per epoch\n`);
    opt.dispose();
    for (const m of layers) m.dispose();
  }
  tf.dispose([emb, rel]);
}

if (only.includes('rgcn')) await rgcnBench('umls', await loadKnowledgeGraph('umls'), 64, 4, 30000);
const fbDir = process.env.KD_FB15K237 ?? resolve(here, '../../../../shared/data/kg-fb15k-237');
if (!only.includes('rgcn')) {
  // skipped on request
} else if (existsSync(fbDir)) {
  // Full-batch encoder over 544k edges: d = 32 keeps the edge-wise baseline's
  // [E, d] intermediates and their saved copies inside wasm's 2 GB heap.
  await rgcnBench(
    'fb15k-237',
    await loadKnowledgeGraph('fb15k-237', sourceOf(fbDir)),
    32,
    10,
    30000,
  );
} else {
  process.stderr.write(
    `FB15k-237 skipped: no folder at ${fbDir} (set KD_FB15K237 to a folder with train.txt[.gz], valid.txt, test.txt)\n`,
  );
}

report('graph-epoch', rows, {
  backend: info.backend,
  kernels: info.kernels.join(' '),
  simd: info.simd,
  threads: info.threads,
  note: 'one full-batch training step per epoch; medians; timings taken on a shared machine are noisy',
});
