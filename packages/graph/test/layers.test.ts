import { initBackend, Rng } from '@kd/core';
import type { Module } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { EdgeIndex, GATConv, GCNConv, RGCNConv, SAGEConv } from '../src/index.js';
import { expectClose } from './helpers/close.js';
import {
  dot,
  gatRef,
  gcnRef,
  numericGrad,
  randn,
  randomGraph,
  rgcnRef,
  rgcnWeights,
  sageRef,
} from './helpers/reference.js';

// Forward: float32 layer vs float64 reference, |Δ| ≤ 1e-5 + 1e-4·|ref|.
// Gradients: tfjs autodiff (float32) vs central differences of the float64
// reference (ε = 1e-6), |Δ| ≤ 2e-4 + 2e-3·|ref|.
const FWD = { atol: 1e-5, rtol: 1e-4 };
const GRAD = { atol: 2e-4, rtol: 2e-3 };

const N = 7;
const IN = 5;

function params(m: Module): Record<string, number[]> {
  return Object.fromEntries(
    Object.entries(m.stateDict()).map(([k, v]) => [k, Array.from(v.dataSync())]),
  );
}

/** Autodiff gradients of Σ out ⊙ R with respect to x and every parameter. */
function autodiff(
  m: Module,
  x: number[],
  inC: number,
  forward: (x: tf.Tensor2D) => tf.Tensor,
  r: number[],
): Record<string, number[]> {
  return tf.tidy(() => {
    const xv = tf.variable(tf.tensor2d(x, [N, inC]));
    const named = m.namedParameters();
    const { grads } = tf.variableGrads(() => {
      const out = forward(xv);
      return tf.sum(tf.mul(out, tf.tensor(r, out.shape)));
    }, [xv, ...named.map(([, p]) => p)]);
    const out: Record<string, number[]> = { x: Array.from(grads[xv.name].dataSync()) };
    for (const [name, p] of named) out[name] = Array.from(grads[p.name].dataSync());
    xv.dispose();
    return out;
  });
}

function checkGrads(actual: Record<string, number[]>, expected: Record<string, number[]>): void {
  for (const name of Object.keys(expected)) {
    expectClose(actual[name], expected[name], { ...GRAD, label: `d/d${name}` });
  }
}

describe.each(['cpu', 'wasm'] as const)('layers on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend, threads: 1 });
  });

  const g = randomGraph(11, N);
  const rng = new Rng(5);
  const x = randn(rng, N * IN);

  it('GCNConv matches gcn_norm + propagate (self-loops kept, duplicates, isolated node), both paths', () => {
    const before = tf.memory().numTensors;
    for (const improved of [false, true]) {
      const layer = new GCNConv({ inChannels: IN, outChannels: 3, improved }, new Rng(1));
      const p = params(layer);
      p.bias = randn(new Rng(2), 3);
      layer.loadStateDict(
        Object.fromEntries(
          Object.entries(p).map(([k, v]) => [
            k,
            { dtype: 'float32', shape: layer.stateDict()[k].shape, data: Float32Array.from(v) },
          ]),
        ),
      );
      const ew = randn(new Rng(3), g.src.length).map((v) => Math.abs(v) + 0.1);
      const ref = (q: Record<string, number[]>) =>
        gcnRef({
          x: q.x,
          n: N,
          inC: IN,
          outC: 3,
          weight: q['lin.weight'],
          bias: q.bias,
          src: g.src,
          dst: g.dst,
          edgeWeight: q.ew,
          improved,
        });
      const ei = EdgeIndex.from([g.src, g.dst], N);
      for (const fuse of [true, false]) {
        layer.fuse = fuse;
        const out = tf.tidy(() => layer.forward(tf.tensor2d(x, [N, IN]), ei, ew).dataSync());
        expectClose(out, ref({ ...p, x, ew }), {
          ...FWD,
          label: `gcn(improved=${improved}, fuse=${fuse})`,
        });
        // Gradients, including through a learnable edge-weight tensor.
        const r = randn(new Rng(4), N * 3);
        const loss = (q: Record<string, number[]>) => dot(ref(q), r);
        const expected = numericGrad({ ...p, x, ew }, loss);
        const ewVar = tf.tidy(() => tf.variable(tf.tensor1d(ew)));
        const actual = tf.tidy(() => {
          const xv = tf.variable(tf.tensor2d(x, [N, IN]));
          const named = layer.namedParameters();
          const { grads } = tf.variableGrads(() => {
            const out = layer.forward(xv, ei, ewVar as tf.Tensor1D);
            return tf.sum(tf.mul(out, tf.tensor(r, out.shape)));
          }, [xv, ewVar, ...named.map(([, v]) => v)]);
          const res: Record<string, number[]> = {
            x: Array.from(grads[xv.name].dataSync()),
            ew: Array.from(grads[ewVar.name].dataSync()),
          };
          for (const [name, v] of named) res[name] = Array.from(grads[v.name].dataSync());
          xv.dispose();
          return res;
        });
        ewVar.dispose();
        checkGrads(actual, expected);
      }
      layer.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('GCNConv cached normalisation is reused and equals the uncached result', () => {
    const layer = new GCNConv({ inChannels: IN, outChannels: 2, cached: true }, new Rng(1));
    const ei = EdgeIndex.from([g.src, g.dst], N);
    const norm1 = layer.normalized(ei);
    const norm2 = layer.normalized(ei);
    expect(norm2).toBe(norm1);
    const fresh = new GCNConv({ inChannels: IN, outChannels: 2 }, new Rng(1));
    const a = tf.tidy(() => layer.forward(tf.tensor2d(x, [N, IN]), ei).dataSync());
    const b = tf.tidy(() => fresh.forward(tf.tensor2d(x, [N, IN]), ei).dataSync());
    expectClose(a, b, { atol: 0, rtol: 0 });
    layer.dispose();
    fresh.dispose();
  });

  for (const [heads, concat] of [
    [1, true],
    [3, true],
    [3, false],
  ] as const) {
    it(`GATConv heads=${heads} concat=${concat}: softmax over incoming edges incl. self-loop, both paths`, () => {
      const layer = new GATConv({ inChannels: IN, outChannels: 2, heads, concat }, new Rng(7));
      const p = params(layer);
      const width = concat ? heads * 2 : 2;
      p.bias = randn(new Rng(8), width);
      layer.loadStateDict(
        Object.fromEntries(
          Object.entries(p).map(([k, v]) => [
            k,
            { dtype: 'float32', shape: layer.stateDict()[k].shape, data: Float32Array.from(v) },
          ]),
        ),
      );
      const ref = (q: Record<string, number[]>) =>
        gatRef({
          x: q.x,
          n: N,
          inC: IN,
          outC: 2,
          heads,
          concat,
          weight: q['lin.weight'],
          attSrc: q.att_src,
          attDst: q.att_dst,
          bias: q.bias,
          src: g.src,
          dst: g.dst,
        });
      const ei = EdgeIndex.from([g.src, g.dst], N);
      const { alpha: refAlpha } = ref({ ...p, x });
      const xt = tf.tensor2d(x, [N, IN]);
      const att = layer.forwardWithAttention(xt, ei);
      expectClose(att.alpha!.dataSync(), refAlpha.flat(), { ...FWD, label: 'alpha' });
      tf.dispose([xt, att.out, att.alpha!]);
      const r = randn(new Rng(9), N * width);
      const expected = numericGrad({ ...p, x }, (q) => dot(ref(q).out, r));
      for (const fuse of [true, false]) {
        layer.fuse = fuse;
        const out = tf.tidy(() => layer.forward(tf.tensor2d(x, [N, IN]), ei).dataSync());
        expectClose(out, ref({ ...p, x }).out, { ...FWD, label: `gat out (fuse=${fuse})` });
        checkGrads(
          autodiff(layer, x, IN, (xv) => layer.forward(xv, ei), r),
          expected,
        );
      }
      layer.dispose();
    });
  }

  it('GATConv attention dropout is seeded and only active in training', () => {
    const make = () =>
      new GATConv({ inChannels: IN, outChannels: 2, heads: 2, dropout: 0.5 }, new Rng(3));
    const a = make();
    const b = make();
    const ei = EdgeIndex.from([g.src, g.dst], N);
    const ya = tf.tidy(() => a.forward(tf.tensor2d(x, [N, IN]), ei).dataSync());
    const yb = tf.tidy(() => b.forward(tf.tensor2d(x, [N, IN]), ei).dataSync());
    expectClose(ya, yb, { atol: 0, rtol: 0 });
    a.eval();
    b.eval();
    const ea = tf.tidy(() => a.forward(tf.tensor2d(x, [N, IN]), ei).dataSync());
    const ref = gatRef({
      ...(() => {
        const p = params(a);
        return { weight: p['lin.weight'], attSrc: p.att_src, attDst: p.att_dst, bias: p.bias };
      })(),
      x,
      n: N,
      inC: IN,
      outC: 2,
      heads: 2,
      concat: true,
      src: g.src,
      dst: g.dst,
    });
    expectClose(ea, ref.out, FWD);
    expect(Array.from(ya)).not.toEqual(Array.from(ea));
    a.dispose();
    b.dispose();
  });

  for (const variant of [{}, { numBases: 2 }, { numBlocks: 2 }] as const) {
    for (const aggr of ['mean', 'sum'] as const) {
      it(`RGCNConv ${JSON.stringify(variant)} aggr=${aggr}: per-relation neighbourhoods`, () => {
        // Relation 3 has no edges: its weights must get a zero gradient, not an error.
        const R = 4;
        const types = g.src.map((_, k) => (k * 7 + 1) % 3);
        const outC = 6;
        const inC = 4;
        const xr = randn(new Rng(12), N * inC);
        const layer = new RGCNConv(
          { inChannels: inC, outChannels: outC, numRelations: R, aggr, ...variant },
          new Rng(13),
        );
        const p = params(layer);
        p.bias = randn(new Rng(14), outC);
        layer.loadStateDict(
          Object.fromEntries(
            Object.entries(p).map(([k, v]) => [
              k,
              {
                dtype: 'float32',
                shape: layer.stateDict()[k].shape,
                data: Float32Array.from(v),
              },
            ]),
          ),
        );
        const ref = (q: Record<string, number[]>) =>
          rgcnRef({
            x: q.x,
            n: N,
            inC,
            outC,
            root: q.root,
            bias: q.bias,
            src: g.src,
            dst: g.dst,
            type: types,
            aggr,
            relW: rgcnWeights({
              numRelations: R,
              inC,
              outC,
              weight: q.weight,
              comp: q.comp,
              ...variant,
            }),
          });
        const ei = EdgeIndex.from([g.src, g.dst], N);
        const out = tf.tidy(() => layer.forward(tf.tensor2d(xr, [N, inC]), ei, types).dataSync());
        expectClose(out, ref({ ...p, x: xr }), FWD);
        const r = randn(new Rng(15), N * outC);
        checkGrads(
          autodiff(layer, xr, inC, (xv) => layer.forward(xv, ei, types), r),
          numericGrad({ ...p, x: xr }, (q) => dot(ref(q), r)),
        );
        layer.dispose();
      });
    }
  }

  for (const aggr of ['mean', 'max', 'sum'] as const) {
    for (const normalize of [false, true]) {
      it(`SAGEConv aggr=${aggr} normalize=${normalize}`, () => {
        const layer = new SAGEConv(
          { inChannels: IN, outChannels: 3, aggr, normalize },
          new Rng(21),
        );
        const p = params(layer);
        const ref = (q: Record<string, number[]>) =>
          sageRef({
            x: q.x,
            n: N,
            inC: IN,
            outC: 3,
            wl: q['lin_l.weight'],
            bl: q['lin_l.bias'],
            wr: q['lin_r.weight'],
            src: g.src,
            dst: g.dst,
            aggr,
            normalize,
          });
        const ei = EdgeIndex.from([g.src, g.dst], N);
        const r = randn(new Rng(22), N * 3);
        const expected = numericGrad({ ...p, x }, (q) => dot(ref(q), r));
        for (const fuse of [true, false]) {
          layer.fuse = fuse;
          const out = tf.tidy(() => layer.forward(tf.tensor2d(x, [N, IN]), ei).dataSync());
          expectClose(out, ref({ ...p, x }), { ...FWD, label: `sage (fuse=${fuse})` });
          checkGrads(
            autodiff(layer, x, IN, (xv) => layer.forward(xv, ei), r),
            expected,
          );
        }
        layer.dispose();
      });
    }
  }
});
