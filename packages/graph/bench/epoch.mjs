// Epoch time of GCN and GAT on Cora and of R-GCN on a knowledge graph
// (FB15k-237 when its folder is available, UMLS always), on the wasm backend,
// each beside a baseline timed in the same run:
//   GCN:   dense normalised adjacency (tf.matMul with a 2708² matrix, dense
//          features) vs kd's edge-wise propagate vs kd's fused CSR product;
//   GAT:   kd's edge-wise propagate (PyG's gather → message → scatter) vs the
//          fused multi-head CSR product;
//   R-GCN: transform-then-aggregate per relation (one matmul per edge group,
//          as PyG's RGCNConv) vs kd's aggregate-then-transform.
// An epoch is one full-batch training step (forward, backward, Adam update).
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
import * as tf from '@tensorflow/tfjs-core';
import { report, time } from '../../../scripts/bench.mjs';
import {
  dropout,
  GAT,
  GCN,
  gatherRows,
  gcnNorm,
  knowledgeGraphData,
  Linear,
  Module,
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

function trainStep(model, lossFn, options) {
  const opt = new ParamOptimizer(model.parameterMap(), options);
  return { step: () => opt.step(lossFn), dispose: () => opt.dispose() };
}

async function timeRow(name, baselineMs, fn, extra = {}) {
  const t = await time(fn, { warmup: 2, iters });
  const row = { bench: name, medianMs: t.medianMs, minMs: t.minMs, runs: t.runs, ...extra };
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
    this.lin1 = this.addModule(
      'conv1',
      new Linear(inC, hidden, rng, { bias: true, weightInitializer: 'glorot' }),
    );
    this.lin2 = this.addModule(
      'conv2',
      new Linear(hidden, outC, rng, { bias: true, weightInitializer: 'glorot' }),
    );
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

{
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

{
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
/** PyG-style R-GCN layer: per relation, transform each edge's source, then mean-aggregate. */
class EdgewiseRGCN extends Module {
  constructor(conv) {
    super();
    this.conv = this.addModule('conv', conv);
  }
  forward(x, ei, types) {
    const { numRelations: r, inChannels: i, outChannels: o, numBases: b } = this.conv.options;
    return tf.tidy(() => {
      const w = tf.reshape(tf.matMul(this.conv.comp, tf.reshape(this.conv.weight, [b, i * o])), [
        r,
        i,
        o,
      ]);
      const byRel = Array.from({ length: r }, () => []);
      types.forEach((t, e) => {
        byRel[t].push(e);
      });
      const count = new Map();
      for (let e = 0; e < types.length; e++) {
        const k = types[e] * ei.numNodes + ei.dst[e];
        count.set(k, (count.get(k) ?? 0) + 1);
      }
      const parts = [];
      const targets = [];
      byRel.forEach((edges, rel) => {
        if (edges.length === 0) return;
        const ids = Int32Array.from(edges);
        const src = Int32Array.from(edges, (e) => ei.src[e]);
        const norm = Float32Array.from(edges, (e) => 1 / count.get(rel * ei.numNodes + ei.dst[e]));
        const wr = tf.reshape(tf.slice(w, [rel, 0, 0], [1, i, o]), [i, o]);
        parts.push(tf.mul(tf.matMul(gatherRows(x, src), wr), tf.tensor2d(norm, [ids.length, 1])));
        targets.push(...edges.map((e) => ei.dst[e]));
      });
      const agg = scatterAdd(tf.concat(parts, 0), Int32Array.from(targets), ei.numNodes);
      return tf.add(tf.add(agg, tf.matMul(x, this.conv.root)), this.conv.bias);
    });
  }
}

async function rgcnBench(name, kg, dim, bases) {
  const data = knowledgeGraphData(kg, name);
  const n = data.entities.length;
  const g = tripleGraph(data.train, n, data.relations.length);
  const rng = new Rng(0);
  const emb = tf.variable(tf.tensor2d(rng.normalArray(n * dim, 0, 0.1), [n, dim]));
  const rel = tf.variable(
    tf.tensor2d(rng.normalArray(data.relations.length * dim, 0, 0.1), [data.relations.length, dim]),
  );
  // One positive and one corrupted tail per training triple, DistMult logistic loss.
  const negRng = new Rng(1);
  const negTails = Int32Array.from(data.train.tails, () => negRng.int(n));
  const loss = (encode) => () =>
    tf.tidy(() => {
      const h = encode();
      const score = (tails) =>
        tf.sum(
          tf.mul(
            tf.mul(gatherRows(h, data.train.heads), gatherRows(rel, data.train.relations)),
            gatherRows(h, tails),
          ),
          1,
        );
      const pos = tf.softplus(tf.neg(score(data.train.tails)));
      const neg = tf.softplus(score(negTails));
      return tf.mean(tf.add(pos, neg));
    });
  const layerOpts = {
    inChannels: dim,
    outChannels: dim,
    numRelations: g.numEdgeTypes,
    numBases: bases,
  };
  const edges = `${g.edgeIndex.numEdges} edges, ${g.numEdgeTypes} edge types, ${n} nodes, dim ${dim}, ${bases} bases`;
  let base;
  for (const kind of ['edgewise', 'kd']) {
    const l1 = new RGCNConv(layerOpts, new Rng(2));
    const l2 = new RGCNConv(layerOpts, new Rng(3));
    const layers = kind === 'kd' ? [l1, l2] : [new EdgewiseRGCN(l1), new EdgewiseRGCN(l2)];
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
    const row = {
      bench: `${name}/rgcn: ${kind === 'kd' ? 'kd aggregate-then-transform' : 'per-edge transform (baseline)'}`,
      medianMs: t.medianMs,
      minMs: t.minMs,
      runs: t.runs,
      graph: edges,
    };
    if (base !== undefined) row.speedup = base / t.medianMs;
    base ??= t.medianMs;
    rows.push(row);
    opt.dispose();
    for (const m of layers) m.dispose();
  }
  tf.dispose([emb, rel]);
}

await rgcnBench('umls', await loadKnowledgeGraph('umls'), 64, 4);
const fbDir = process.env.KD_FB15K237 ?? resolve(here, '../../../../shared/data/kg-fb15k-237');
if (existsSync(fbDir)) {
  await rgcnBench('fb15k-237', await loadKnowledgeGraph('fb15k-237', sourceOf(fbDir)), 100, 30);
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
