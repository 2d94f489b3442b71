import { initBackend, Rng } from '@kd/core';
import { Conv1D, Embedding, Linear } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AdapterSpec, LoraEmbedding, LoraLinear, loraScaling } from '../src/index.js';
import {
  add,
  doraForward,
  flat,
  fromFlat,
  loraForward,
  type M,
  maxAbsDiff,
  mm,
  randomValues,
  rowNorms,
  tr,
} from './helpers/plain.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const IN = 7;
const OUT = 5;
const R = 3;
const N = 4;

function spec(over: Partial<AdapterSpec> = {}): AdapterSpec {
  const r = over.r ?? R;
  const alpha = over.alpha ?? 6;
  const useRslora = over.useRslora ?? false;
  return {
    r,
    alpha,
    scaling: loraScaling(alpha, r, useRslora),
    dropout: 0,
    useRslora,
    useDora: false,
    loraBias: false,
    init: false,
    ...over,
  };
}

/** A Linear wrapped with one adapter whose A and B are both random (init false), plus plain copies. */
function setup(s: AdapterSpec, seed = 1) {
  const base = new Linear(IN, OUT, { rng: new Rng(seed) });
  const layer = new LoraLinear(base);
  layer.addAdapter('default', s, new Rng(seed + 100));
  layer.activeAdapters = ['default'];
  const f = layer.factors('default');
  const plain = {
    w: fromFlat(base.weight.dataSync(), OUT, IN),
    b: Array.from(base.bias?.dataSync() ?? []),
    a: fromFlat(f.a.dataSync(), s.r, IN),
    bm: fromFlat(f.b.dataSync(), OUT, s.r),
    m: f.magnitude ? Array.from(f.magnitude.dataSync()) : undefined,
  };
  const x = fromFlat(randomValues(N * IN, seed + 7), N, IN);
  return { base, layer, plain, x, xt: tf.tensor2d(flat(x), [N, IN]) };
}

// float32 against a float64 reference on O(1) values: 1e-5 absolute.
const TOL = 1e-5;

describe('LoRA / rsLoRA forward and merge match the formulas', () => {
  for (const useRslora of [false, true]) {
    const label = useRslora ? 'rsLoRA (α/√r)' : 'LoRA (α/r)';
    it(`${label}: y = Wx + b + s·B(Ax)`, () => {
      const s = spec({ useRslora });
      expect(s.scaling).toBeCloseTo(useRslora ? 6 / Math.sqrt(3) : 2, 12);
      const { layer, plain, x, xt } = setup(s);
      const y = layer.forward(xt).dataSync();
      const want = loraForward(x, plain.w, plain.b, plain.a, plain.bm, s.scaling);
      expect(maxAbsDiff(y, flat(want))).toBeLessThan(TOL);
      // Disabled: the base alone.
      layer.disabled = true;
      const y0 = layer.forward(xt).dataSync();
      layer.disabled = false;
      const base = mm(x, tr(plain.w)).map((row) => row.map((v, j) => v + plain.b[j]));
      expect(maxAbsDiff(y0, flat(base))).toBeLessThan(TOL);
    });

    it(`${label}: merge gives W + s·B·A, same outputs; unmerge restores W`, () => {
      const s = spec({ useRslora });
      const { layer, base, plain, xt } = setup(s, 3);
      const before = layer.forward(xt).dataSync();
      layer.merge();
      expect(layer.mergedAdapters).toEqual(['default']);
      const merged = base.weight.dataSync();
      const want = add(plain.w, mm(plain.bm, plain.a), s.scaling);
      expect(maxAbsDiff(merged, flat(want))).toBeLessThan(TOL);
      expect(maxAbsDiff(layer.forward(xt).dataSync(), before)).toBeLessThan(TOL);
      layer.unmerge();
      // Exact inverse up to float32 rounding of W + Δ − Δ.
      expect(maxAbsDiff(base.weight.dataSync(), flat(plain.w))).toBeLessThan(1e-6);
    });
  }

  it('forward never forms B·A: every matmul output is [N, r] or [N, out]', async () => {
    const { layer, xt } = setup(spec({ r: 2 }));
    const profile = await tf.profile(() => layer.forward(xt));
    const shapes = profile.kernels
      .filter((k) => /MatMul/.test(k.name))
      .map((k) => k.outputShapes[0]);
    expect(shapes.length).toBe(3); // base, A, B
    for (const shape of shapes) expect(shape).not.toEqual([OUT, IN]);
    expect(shapes).toContainEqual([N, 2]);
  });
});

describe('DoRA matches PEFT', () => {
  it('magnitude starts at ‖W + sBA‖ per output row', () => {
    const s = spec({ useDora: true });
    const { plain } = setup(s, 5);
    const want = rowNorms(add(plain.w, mm(plain.bm, plain.a), s.scaling));
    expect(maxAbsDiff(plain.m as number[], want)).toBeLessThan(TOL);
  });

  it('forward: (m/‖W+sBA‖)·(W+sBA)x + b, with a trained (changed) magnitude', () => {
    const s = spec({ useDora: true });
    const { layer, plain, x, xt } = setup(s, 6);
    const m = (plain.m as number[]).map((v, i) => v * (1 + 0.1 * (i + 1)));
    layer.factors('default').magnitude?.assign(tf.tensor1d(m));
    const y = layer.forward(xt).dataSync();
    const want = doraForward(x, plain.w, plain.b, plain.a, plain.bm, s.scaling, m);
    expect(maxAbsDiff(y, flat(want))).toBeLessThan(TOL);
  });

  it('merge: W ← (m/‖W+ΔW‖)·(W+ΔW); unmerge is the exact inverse', () => {
    const s = spec({ useDora: true });
    const { layer, base, plain, xt } = setup(s, 8);
    const m = (plain.m as number[]).map((v, i) => v * (0.8 + 0.05 * i));
    layer.factors('default').magnitude?.assign(tf.tensor1d(m));
    const before = layer.forward(xt).dataSync();
    layer.merge();
    const v = add(plain.w, mm(plain.bm, plain.a), s.scaling);
    const n = rowNorms(v);
    const want = v.map((row, i) => row.map((e) => (m[i] / n[i]) * e));
    expect(maxAbsDiff(base.weight.dataSync(), flat(want))).toBeLessThan(TOL);
    expect(maxAbsDiff(layer.forward(xt).dataSync(), before)).toBeLessThan(TOL);
    layer.unmerge();
    expect(maxAbsDiff(base.weight.dataSync(), flat(plain.w))).toBeLessThan(1e-6);
  });

  it('DoRA with active dropout recomputes Wx on the dropped input (PEFT), and equals the plain formula at p→eval', () => {
    const s = spec({ useDora: true, dropout: 0.5 });
    const { layer, plain, x, xt } = setup(s, 9);
    layer.train();
    const yTrain = layer.forward(xt).dataSync();
    layer.eval();
    const yEval = layer.forward(xt).dataSync();
    const want = doraForward(
      x,
      plain.w,
      plain.b,
      plain.a,
      plain.bm,
      s.scaling,
      plain.m as number[],
    );
    expect(maxAbsDiff(yEval, flat(want))).toBeLessThan(TOL);
    expect(maxAbsDiff(yTrain, yEval)).toBeGreaterThan(1e-3);
  });
});

/** Central finite differences in float64 of a plain-JS loss. */
function fd(values: number[], f: (v: number[]) => number, h = 1e-6): number[] {
  return values.map((_, i) => {
    const up = [...values];
    const dn = [...values];
    up[i] += h;
    dn[i] -= h;
    return (f(up) - f(dn)) / (2 * h);
  });
}

describe('gradients match finite differences', () => {
  const c = fromFlat(randomValues(N * OUT, 77), N, OUT);
  const lossOf = (y: M) =>
    y.reduce((s, row, i) => s + row.reduce((t, v, j) => t + Math.tanh(v) * c[i][j], 0), 0);
  const tfLoss = (y: tf.Tensor) => tf.sum(tf.mul(tf.tanh(y), tf.tensor2d(flat(c), [N, OUT])));

  for (const useRslora of [false, true]) {
    it(`${useRslora ? 'rsLoRA' : 'LoRA'}: dL/dA and dL/dB`, () => {
      const s = spec({ useRslora });
      const { layer, plain, x, xt } = setup(s, 11);
      const f = layer.factors('default');
      const { grads } = tf.variableGrads(() => tfLoss(layer.forward(xt)) as tf.Scalar, [f.a, f.b]);
      const gA = grads[f.a.name].dataSync();
      const gB = grads[f.b.name].dataSync();
      const numA = fd(flat(plain.a), (v) =>
        lossOf(loraForward(x, plain.w, plain.b, fromFlat(v, R, IN), plain.bm, s.scaling)),
      );
      const numB = fd(flat(plain.bm), (v) =>
        lossOf(loraForward(x, plain.w, plain.b, plain.a, fromFlat(v, OUT, R), s.scaling)),
      );
      // float32 analytic vs float64 numeric on O(1) gradients: 1e-4 absolute.
      expect(maxAbsDiff(gA, numA)).toBeLessThan(1e-4);
      expect(maxAbsDiff(gB, numB)).toBeLessThan(1e-4);
    });
  }

  it('DoRA: dL/dA, dL/dB, dL/dm with the norm held constant (detached, as PEFT)', () => {
    const s = spec({ useDora: true });
    const { layer, plain, x, xt } = setup(s, 12);
    const f = layer.factors('default');
    const m = (plain.m as number[]).map((v, i) => v * (1 + 0.07 * i));
    f.magnitude?.assign(tf.tensor1d(m));
    const { grads } = tf.variableGrads(
      () => tfLoss(layer.forward(xt)) as tf.Scalar,
      [f.a, f.b, f.magnitude as tf.Variable],
    );
    // The detached norm: computed once from the current A, B and then constant.
    const norm0 = rowNorms(add(plain.w, mm(plain.bm, plain.a), s.scaling));
    const detached = (a: M, bm: M, mag: number[]) => {
      const v = add(plain.w, mm(bm, a), s.scaling);
      const scaled = v.map((row, i) => row.map((e) => (mag[i] / norm0[i]) * e));
      return lossOf(mm(x, tr(scaled)).map((row) => row.map((e, j) => e + plain.b[j])));
    };
    const numA = fd(flat(plain.a), (v) => detached(fromFlat(v, R, IN), plain.bm, m));
    const numB = fd(flat(plain.bm), (v) => detached(plain.a, fromFlat(v, OUT, R), m));
    const numM = fd(m, (v) => detached(plain.a, plain.bm, v));
    expect(maxAbsDiff(grads[f.a.name].dataSync(), numA)).toBeLessThan(1e-4);
    expect(maxAbsDiff(grads[f.b.name].dataSync(), numB)).toBeLessThan(1e-4);
    expect(maxAbsDiff(grads[(f.magnitude as tf.Variable).name].dataSync(), numM)).toBeLessThan(
      1e-4,
    );
    // And it is not the gradient through the norm: the undetached one differs.
    const throughNorm = fd(flat(plain.a), (v) => {
      const a = fromFlat(v, R, IN);
      return lossOf(doraForward(x, plain.w, plain.b, a, plain.bm, s.scaling, m));
    });
    expect(maxAbsDiff(throughNorm, numA)).toBeGreaterThan(1e-4);
  });
});

describe('Conv1D (fan_in_fan_out) and Embedding adapters', () => {
  it('Conv1D: weight [in, out]; merge adds (s·B·A)ᵀ; forward matches', () => {
    const base = new Conv1D(IN, OUT, { rng: new Rng(2) });
    const layer = new LoraLinear(base);
    const s = spec();
    layer.addAdapter('default', s, new Rng(3));
    layer.activeAdapters = ['default'];
    expect(layer.fanInFanOut).toBe(true);
    const f = layer.factors('default');
    const wIO = fromFlat(base.weight.dataSync(), IN, OUT);
    const w = tr(wIO);
    const bias = Array.from(base.bias.dataSync());
    const a = fromFlat(f.a.dataSync(), R, IN);
    const bm = fromFlat(f.b.dataSync(), OUT, R);
    const x = fromFlat(randomValues(N * IN, 4), N, IN);
    const xt = tf.tensor2d(flat(x), [N, IN]);
    expect(
      maxAbsDiff(layer.forward(xt).dataSync(), flat(loraForward(x, w, bias, a, bm, s.scaling))),
    ).toBeLessThan(TOL);
    layer.merge();
    expect(maxAbsDiff(base.weight.dataSync(), flat(tr(add(w, mm(bm, a), s.scaling))))).toBeLessThan(
      TOL,
    );
    layer.unmerge();
    expect(maxAbsDiff(base.weight.dataSync(), flat(wIO))).toBeLessThan(1e-6);
  });

  it('Embedding: y = E[ids] + s·(A[:, ids])ᵀBᵀ; merge adds s·(BA)ᵀ', () => {
    const V = 9;
    const D = 4;
    const base = new Embedding(V, D, { rng: new Rng(5) });
    const layer = new LoraEmbedding(base);
    const s = spec({ r: 2, alpha: 3, init: true });
    layer.addAdapter('default', s, new Rng(6));
    layer.activeAdapters = ['default'];
    const f = layer.factors('default');
    // PEFT's default embedding init: A = 0, B ~ N(0, 1); make A nonzero to test the math.
    expect(Math.max(...Array.from(f.a.dataSync()).map(Math.abs))).toBe(0);
    f.a.assign(tf.tensor2d(randomValues(2 * V, 8), [2, V]));
    const e = fromFlat(base.weight.dataSync(), V, D);
    const a = fromFlat(f.a.dataSync(), 2, V);
    const bm = fromFlat(f.b.dataSync(), D, 2);
    const delta = tr(mm(bm, a)); // [V, D]
    const ids = [3, 0, 8, 3];
    const y = layer.forward(tf.tensor2d([ids], [1, 4], 'int32')).dataSync();
    const want = ids.flatMap((id) => e[id].map((v, j) => v + s.scaling * delta[id][j]));
    expect(maxAbsDiff(y, want)).toBeLessThan(TOL);
    layer.merge();
    expect(maxAbsDiff(base.weight.dataSync(), flat(add(e, delta, s.scaling)))).toBeLessThan(TOL);
    layer.unmerge();
    expect(maxAbsDiff(base.weight.dataSync(), flat(e))).toBeLessThan(1e-6);
  });
});
