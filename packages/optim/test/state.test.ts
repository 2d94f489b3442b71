import { CheckpointError, MemoryCheckpointStore, ShapeError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adam,
  createOptimizer,
  Optimizer,
  type OptimizerId,
  optimizerOptions,
} from '../src/index.js';
import { BACKENDS, fixture, relativeError, SHAPES, useBackend, variables } from './helpers.js';
import { torchAdam } from './reference/torch.js';

const ids = Object.keys(optimizerOptions) as OptimizerId[];

/** A run of `steps` steps over fixture gradients starting at `from`. */
function steps(
  opt: Optimizer,
  params: Record<string, tf.Variable>,
  f: ReturnType<typeof fixture>,
  from: number,
  to: number,
) {
  for (let t = from; t < to; t++) {
    const grads = Object.fromEntries(f.names.map((n) => [n, tf.tensor(f.grads[t][n], SHAPES[n])]));
    opt.step(params, grads);
    tf.dispose(Object.values(grads));
  }
}

const values = (params: Record<string, tf.Variable>) =>
  Object.fromEntries(Object.entries(params).map(([n, v]) => [n, Array.from(v.dataSync())]));

/** Options that switch every part of the registry-built chain on. */
const full = {
  lr: 0.01,
  schedule: { id: 'warmup-cosine', options: { warmupSteps: 3, totalSteps: 20 } },
  clipGradNorm: 1,
  accumulateSteps: 2,
  emaDecay: 0.9,
  groups: [{ params: ['bias'], lrScale: 2 }],
};

describe.each(BACKENDS)('state save → load → continue on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(0);
  });

  it.each(ids)('%s resumes bit for bit through a checkpoint store', async (id) => {
    const f = fixture(20, 3);
    const straight = createOptimizer(id, { lr: 0.01 });
    const a = variables(f);
    steps(straight, a, f, 0, 20);

    const first = createOptimizer(id, { lr: 0.01 });
    const b = variables(f);
    steps(first, b, f, 0, 9);
    const store = new MemoryCheckpointStore();
    await store.save({ step: 9, params: {}, optimizer: await first.exportState() });
    first.dispose();

    const second = createOptimizer(id, { lr: 0.01 });
    const saved = await store.latest();
    expect(second.importState(saved!.optimizer!)).toBeUndefined(); // deferred to the first step
    steps(second, b, f, 9, 20);
    expect(second.iterations).toBe(20);
    expect(values(b)).toEqual(values(a));
    tf.dispose([...Object.values(a), ...Object.values(b)]);
    straight.dispose();
    second.dispose();
  });

  it('resumes a chain with schedule, groups, clipping, accumulation and EMA, EMA weights included', async () => {
    const f = fixture(20, 4);
    const straight = createOptimizer('adamw', full);
    const a = variables(f);
    steps(straight, a, f, 0, 20);

    const first = createOptimizer('adamw', full);
    const b = variables(f);
    steps(first, b, f, 0, 7); // mid-accumulation: the gradient sum is part of the state
    const data = await first.exportState();
    first.dispose();
    const second = createOptimizer('adamw', full);
    second.importState(data, { params: b });
    steps(second, b, f, 7, 20);
    expect(values(b)).toEqual(values(a));
    const ea = straight.evalParams(a);
    const eb = second.evalParams(b);
    for (const n of f.names)
      expect(Array.from(eb[n].dataSync())).toEqual(Array.from(ea[n].dataSync()));
    tf.dispose([
      ...Object.values(ea),
      ...Object.values(eb),
      ...Object.values(a),
      ...Object.values(b),
    ]);
    straight.dispose();
    second.dispose();
  });

  it('saves under readable <param>/<slot> keys', async () => {
    const f = fixture(1, 5);
    const opt = new Optimizer(adam({ lr: 0.01 }));
    const p = variables(f);
    steps(opt, p, f, 0, 1);
    const data = await opt.exportState();
    const w = 'encoder.layer.0.attention.self.query.weight';
    expect(Object.keys(data.tensors)).toContain(`${w}/adam.exp_avg`);
    expect(Object.keys(data.tensors)).toContain(`${w}/adam.exp_avg_sq`);
    expect(data.scalars[`${w}/adam.step`]).toBe(1);
    expect(data.scalars['lr.count']).toBe(1);
    expect(data.tensors[`${w}/adam.exp_avg`].shape).toEqual([3, 4]);
    opt.dispose();
    tf.dispose(Object.values(p));
  });

  it('round-trips through the tf.Optimizer getWeights/setWeights API', async () => {
    const f = fixture(12, 6);
    const straight = createOptimizer('nadam', { lr: 0.01 });
    const a = variables(f);
    steps(straight, a, f, 0, 12);
    const first = createOptimizer('nadam', { lr: 0.01 });
    const b = variables(f);
    steps(first, b, f, 0, 5);
    const weights = await first.getWeights();
    expect(weights[0].name).toBe('iter');
    const second = createOptimizer('nadam', { lr: 0.01 });
    await second.setWeights(weights);
    tf.dispose(weights.map((w) => w.tensor));
    first.dispose();
    steps(second, b, f, 5, 12);
    expect(values(b)).toEqual(values(a));
    tf.dispose([...Object.values(a), ...Object.values(b)]);
    straight.dispose();
    second.dispose();
  });
});

describe('state is keyed by name, never by position', () => {
  beforeAll(() => useBackend('cpu'));
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(0);
  });

  /** torch semantics: each parameter has its own step; only parameters with a gradient move. */
  it('a reordered, shrinking and growing variable set gets each parameter its own state', () => {
    const rng = fixture(4, 8, { a: [5], b: [3], c: [2] });
    const [wa, wb, wc] = ['a', 'b', 'c'].map((n) =>
      tf.tidy(() => tf.variable(tf.tensor(rng.init[n]), true, `keyed-${n}`)),
    );
    const opt = new Optimizer(adam({ lr: 0.05 }));
    const g = (t: number, n: string) => tf.tensor(rng.grads[t][n]);
    const call = (params: Record<string, tf.Variable>, names: string[], t: number) => {
      const grads = Object.fromEntries(names.map((n) => [n, g(t, n)]));
      opt.step(params, grads);
      tf.dispose(Object.values(grads));
    };
    call({ a: wa, b: wb }, ['a', 'b'], 0);
    call({ b: wb, a: wa }, ['b'], 1); // a frozen this step, keys reordered
    call({ c: wc, b: wb, a: wa }, ['c', 'a', 'b'], 2); // c joins, a resumes
    call({ b: wb, c: wc }, ['c', 'b'], 3); // a leaves

    // Each parameter against its own torch run over exactly the gradients it received.
    const expect1 = (name: string, ts: number[], v: tf.Variable) => {
      const ref = torchAdam({ lr: 0.05 });
      const p = [Float64Array.from(rng.init[name])];
      for (const t of ts) ref.step(p, [Float64Array.from(rng.grads[t][name])]);
      expect(relativeError([Float64Array.from(v.dataSync())], p)).toBeLessThan(1e-6);
    };
    expect1('a', [0, 2], wa);
    expect1('b', [0, 1, 2, 3], wb);
    expect1('c', [2, 3], wc);
    opt.dispose();
    tf.dispose([wa, wb, wc]);
  });

  it('a different variable under a known name is a ShapeError, not mixed state', () => {
    const opt = new Optimizer(adam());
    const w = tf.tidy(() => tf.variable(tf.zeros([3]), true, 'shape-w'));
    const g = tf.ones([3]);
    opt.step({ w }, { w: g });
    const w2 = tf.tidy(() => tf.variable(tf.zeros([4]), true, 'shape-w2'));
    const g2 = tf.ones([4]);
    expect(() => opt.step({ w: w2 }, { w: g2 })).toThrow(ShapeError);
    expect(() => opt.step({ w: w2 }, { w: g2 })).toThrow(/exp_avg.*\[3\].*\[4\]/);
    tf.dispose([w, g, w2, g2]);
    opt.dispose();
  });

  it('refuses saved state for another parameter set unless told, then starts new parameters fresh', async () => {
    const f = fixture(3, 9);
    const first = new Optimizer(adam({ lr: 0.01 }));
    const p = variables(f);
    steps(first, p, f, 0, 3);
    const data = await first.exportState();
    first.dispose();

    const renamed = { ...p, 'pooler.dense.weight': p['classifier.weight'] };
    delete (renamed as Record<string, unknown>)['classifier.weight'];
    const strict = new Optimizer(adam({ lr: 0.01 }));
    expect(() => strict.importState(data, { params: renamed })).toThrow(CheckpointError);
    expect(() => strict.importState(data, { params: renamed })).toThrow(
      /missing "pooler\.dense\.weight\/adam\.exp_avg".*unexpected "classifier\.weight\/adam\.exp_avg"/s,
    );
    strict.dispose();

    const loose = new Optimizer(adam({ lr: 0.01 }));
    const report = loose.importState(data, { params: renamed, strict: false });
    expect(report!.missing).toContain('pooler.dense.weight/adam.exp_avg');
    expect(report!.unexpected).toContain('classifier.weight/adam.exp_avg_sq');
    const counts = loose.state!.inner.adam.perParam.step;
    expect(counts['pooler.dense.weight']).toBe(0);
    expect(counts['encoder.layer.0.attention.self.query.weight']).toBe(3);
    expect(counts['classifier.weight']).toBeUndefined();
    loose.dispose();
    tf.dispose(Object.values(p));
  });
});
