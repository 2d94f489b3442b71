import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adam,
  adamw,
  applyIfFinite,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  createOptimizer,
  emaParams,
  injectHyperparams,
  masked,
  multiSteps,
  nameMatcher,
  Optimizer,
  partition,
  releaseState,
  scale,
  scaleByLearningRate,
  sgd,
} from '../src/index.js';
import { fixture, relativeError, SHAPES, useBackend, variables } from './helpers.js';
import { torchAdam } from './reference/torch.js';

const rows = (t: tf.Tensor) => Array.from(t.dataSync());

describe('name patterns', () => {
  it('match whole dotted segments from the end, globs, RegExps and lists', () => {
    const bias = nameMatcher('bias');
    expect(bias('encoder.layer.0.output.dense.bias')).toBe(true);
    expect(bias('encoder.layer.0.output.dense.nobias')).toBe(false);
    expect(bias('dense_Dense1/bias')).toBe(true);
    expect(nameMatcher('LayerNorm.weight')('encoder.layer.3.output.LayerNorm.weight')).toBe(true);
    expect(nameMatcher('LayerNorm.weight')('encoder.layer.3.output.dense.weight')).toBe(false);
    const loraB = nameMatcher('*.lora_B.*');
    expect(loraB('base_model.model.q.lora_B.default.weight')).toBe(true);
    expect(loraB('base_model.model.q.lora_A.default.weight')).toBe(false);
    expect(nameMatcher(/^head\./g)('head.w')).toBe(true);
    expect(nameMatcher(/^head\./g)('head.w')).toBe(true); // no lastIndex carry-over
    expect(nameMatcher(['bias', /norm/i])('x.LayerNorm.weight')).toBe(true);
  });
});

describe('transforms', () => {
  beforeAll(() => useBackend('cpu'));
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(0);
  });

  it('AdamW with noDecay equals torch AdamW with a weight_decay=0 group for biases', () => {
    const f = fixture(15, 31);
    const opt = new Optimizer(adamw({ lr: 0.01, weightDecay: 0.1, noDecay: ['bias'] }));
    const p = variables(f);
    const refs = Object.fromEntries(
      f.names.map((n) => [
        n,
        torchAdam({ lr: 0.01, weightDecay: n.endsWith('bias') ? 0 : 0.1, decoupled: true }),
      ]),
    );
    const want = Object.fromEntries(f.names.map((n) => [n, [Float64Array.from(f.init[n])]]));
    for (const g of f.grads) {
      const grads = Object.fromEntries(f.names.map((n) => [n, tf.tensor(g[n], SHAPES[n])]));
      opt.step(p, grads);
      tf.dispose(Object.values(grads));
      for (const n of f.names) refs[n].step(want[n], [Float64Array.from(g[n])]);
    }
    for (const n of f.names)
      expect(relativeError([Float64Array.from(p[n].dataSync())], want[n])).toBeLessThan(1e-6);
    tf.dispose(Object.values(p));
    opt.dispose();
  });

  it('LoRA+ groups: lora_B at 16× the learning rate, the rest at 1×', () => {
    const shapes = { 'q.lora_A.default.weight': [2, 4], 'q.lora_B.default.weight': [4, 2] };
    const f = fixture(10, 32, shapes);
    const opt = createOptimizer('adamw', {
      lr: 1e-3,
      weightDecay: 0,
      groups: [{ params: ['lora_B.*'], lrScale: 16, name: 'lora_b' }],
    });
    const p = variables(f, shapes);
    const want = Object.fromEntries(f.names.map((n) => [n, [Float64Array.from(f.init[n])]]));
    const refs = {
      'q.lora_A.default.weight': torchAdam({ lr: 1e-3 }),
      'q.lora_B.default.weight': torchAdam({ lr: 16e-3 }),
    };
    for (const g of f.grads) {
      const grads = Object.fromEntries(
        f.names.map((n) => [n, tf.tensor(g[n], shapes[n as keyof typeof shapes])]),
      );
      opt.step(p, grads);
      tf.dispose(Object.values(grads));
      for (const n of f.names)
        refs[n as keyof typeof refs].step(want[n], [Float64Array.from(g[n])]);
    }
    for (const n of f.names)
      expect(relativeError([Float64Array.from(p[n].dataSync())], want[n])).toBeLessThan(1e-6);
    // Each group keeps its own schedule count; per-parameter state has no group prefix.
    expect(Object.keys(opt.state!.inner)).toEqual(['groups']);
    tf.dispose(Object.values(p));
    opt.dispose();
  });

  it('partition refuses a label it has no transform for', () => {
    const t = partition({ a: sgd() }, () => 'b');
    const w = tf.zeros([1]);
    expect(() => t.init({ w })).toThrow(/w: parameter was put in group "b", but the groups are a/);
    w.dispose();
  });

  it("clips the global norm with torch's clip_grad_norm_ arithmetic", () => {
    const t = clipByGlobalNorm(1);
    const g = { a: tf.tensor([3, 0]), b: tf.tensor([4]) }; // norm 5
    const [u] = t.update(g, t.init({}));
    const coef = 1 / (5 + 1e-6);
    expect(rows(u.a)[0]).toBeCloseTo(3 * coef, 7);
    expect(rows(u.b)[0]).toBeCloseTo(4 * coef, 7);
    const small = { a: tf.tensor([0.3, 0]), b: tf.tensor([0.4]) };
    const [v] = t.update(small, t.init({}));
    expect(rows(v.a)).toEqual(rows(small.a)); // clamped at 1: untouched
    tf.dispose([
      ...Object.values(g),
      ...Object.values(u),
      ...Object.values(small),
      ...Object.values(v),
    ]);
  });

  it('accumulates k micro-batches and steps once on their mean', () => {
    const opt = new Optimizer(multiSteps(sgd({ lr: 0.5 }), 3));
    const w = tf.tidy(() => tf.variable(tf.tensor([1, 1]), true, 'acc-w'));
    const gs = [
      [1, 2],
      [3, 4],
      [5, 9],
    ].map((g) => tf.tensor(g));
    expect(opt.step({ w }, { w: gs[0] }).applied).toBe(false);
    expect(opt.step({ w }, { w: gs[1] }).applied).toBe(false);
    expect(rows(w)).toEqual([1, 1]);
    expect(opt.step({ w }, { w: gs[2] }).applied).toBe(true);
    expect(rows(w)).toEqual([1 - 0.5 * 3, 1 - 0.5 * 5]);
    tf.dispose([w, ...gs]);
    opt.dispose();
  });

  it('keeps an EMA of the weights (torch AveragedModel with an EMA avg_fn)', () => {
    const opt = new Optimizer(chain(sgd({ lr: 0.1 }), emaParams(0.9)));
    const w = tf.tidy(() => tf.variable(tf.tensor([2]), true, 'ema-w'));
    const g = tf.tensor([1]);
    let x = 2;
    let ema = 2;
    for (let t = 0; t < 5; t++) {
      opt.step({ w }, { w: g });
      x -= 0.1;
      ema = 0.9 * ema + 0.1 * x;
    }
    const e = opt.evalParams({ w });
    expect(e.w.dataSync()[0]).toBeCloseTo(ema, 6);
    expect(w.dataSync()[0]).toBeCloseTo(x, 6);
    tf.dispose([w, g, e.w]);
    opt.dispose();
  });

  it('injectHyperparams drives any numeric option from a schedule and reports it', () => {
    const lr = (t: number) => 0.1 / (t + 1);
    const momentum = (t: number) => (t < 2 ? 0 : 0.5);
    const t = injectHyperparams(sgd, { lr, momentum });
    const opt = new Optimizer(t);
    const w = tf.tidy(() => tf.variable(tf.tensor([0]), true, 'inject-w'));
    const g = tf.tensor([1]);
    const seen: Record<string, number>[] = [];
    for (let i = 0; i < 4; i++) {
      opt.step({ w }, { w: g });
      seen.push(opt.hyperparams);
    }
    expect(seen.map((h) => h.lr)).toEqual([0.1, 0.05, 0.1 / 3, 0.025]);
    expect(seen.map((h) => h.momentum)).toEqual([0, 0, 0.5, 0.5]);
    expect(opt.lr).toBe(0.025);
    tf.dispose([w, g]);
    opt.dispose();
  });

  it('applyIfFinite skips bad steps and leaves the inner state alone', () => {
    const t = applyIfFinite(adam({ lr: 0.1 }), { maxConsecutiveErrors: 1 });
    const w = tf.tidy(() => tf.variable(tf.tensor([1]), true, 'aif-w'));
    let s = t.init({ w });
    const run = (g: number) => {
      const grad = tf.tensor([g]);
      const [u, next] = t.update({ w: grad }, s, { w });
      applyUpdates({ w }, u);
      tf.dispose([grad, ...Object.values(u)]);
      releaseState(s, next);
      s = next;
      return Object.keys(u).length;
    };
    expect(run(1)).toBe(1);
    const before = w.dataSync()[0];
    expect(run(Number.NaN)).toBe(0);
    expect(w.dataSync()[0]).toBe(before);
    expect(s.scalars).toEqual({ nonfinite_count: 1, nonfinite_total: 1 });
    expect(s.inner[''].inner.adam.perParam.step.w).toBe(1);
    expect(run(2)).toBe(1);
    expect(s.scalars).toEqual({ nonfinite_count: 0, nonfinite_total: 1 });
    releaseState(s, { slots: {}, perParam: {}, scalars: {}, inner: {} });
    w.dispose();
  });

  it('masked applies the inner transform to selected parameters only', () => {
    const t = masked(scale(10), 'weight');
    const g = { 'l.weight': tf.tensor([1]), 'l.bias': tf.tensor([1]) };
    const [u] = t.update(g, t.init(g));
    expect(rows(u['l.weight'])).toEqual([10]);
    expect(rows(u['l.bias'])).toEqual([1]);
    expect(u['l.bias']).not.toBe(g['l.bias']); // a new tensor the caller owns
    tf.dispose([...Object.values(g), ...Object.values(u)]);
  });

  it('chain flattens, names members and frees intermediate updates', () => {
    const t = chain(chain(scale(2), scale(3)), scaleByLearningRate(0.5));
    expect((t as unknown as { members: unknown[] }).members).toHaveLength(3);
    const w = tf.tensor([1]);
    const s = t.init({ w });
    expect(Object.keys(s.inner)).toEqual(['scale', 'scale_1', 'lr']);
    const before = tf.memory().numTensors;
    const [u] = t.update({ w }, s);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(rows(u.w)).toEqual([-3]);
    tf.dispose([w, u.w]);
  });
});
