import { DTypeError, NotFoundError, NumericError, ShapeError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adam, createOptimizer, Optimizer, sgd } from '../src/index.js';
import { BACKENDS, fixture, SHAPES, useBackend, variables } from './helpers.js';

const v = (values: number[], name: string) =>
  tf.tidy(() => tf.variable(tf.tensor(values), true, name));

for (const backend of BACKENDS) {
  describe(`Optimizer on ${backend}`, () => {
    beforeAll(() => useBackend(backend));
    afterEach(() => {
      expect(tf.memory().numTensors).toBe(0);
    });

    it('rejects a NaN or Infinity gradient by default, naming the parameter and changing nothing', async () => {
      const opt = new Optimizer(adam({ lr: 0.1 }));
      const w = v([1, 2, 3], `nan-w-${backend}`);
      const b = v([0.5], `nan-b-${backend}`);
      const ok = { w: tf.tensor([0.1, 0.2, 0.3]), b: tf.tensor([1]) };
      opt.step({ w, b }, ok);
      const before = await opt.exportState();
      const wBefore = Array.from(w.dataSync());
      const bad = {
        w: tf.tensor([0.1, Number.NaN, 0.3]),
        b: tf.tensor([Number.POSITIVE_INFINITY]),
      };
      expect(() => opt.step({ w, b }, bad)).toThrow(NumericError);
      expect(() => opt.step({ w, b }, bad)).toThrow(
        /NaN or Infinity at step 2 \(2 parameters: "w", "b"\)/,
      );
      expect(Array.from(w.dataSync())).toEqual(wBefore);
      expect(await opt.exportState()).toEqual(before);
      expect(opt.iterations).toBe(1);
      tf.dispose([...Object.values(ok), ...Object.values(bad), w, b]);
      opt.dispose();
    });

    it("skips non-finite steps with nonFinite: 'skip', as if they never happened", () => {
      const f = fixture(6, 21);
      const straight = new Optimizer(adam({ lr: 0.1 }));
      const skipping = new Optimizer(adam({ lr: 0.1 }), { nonFinite: 'skip' });
      const a = variables(f);
      const b = variables(f);
      for (let t = 0; t < 6; t++) {
        const grads = Object.fromEntries(
          f.names.map((n) => [n, tf.tensor(f.grads[t][n], SHAPES[n])]),
        );
        straight.step(a, grads);
        skipping.step(b, grads);
        if (t === 2) {
          const poisoned = { ...grads, 'classifier.weight': tf.fill([2, 3], Number.NaN) };
          const r = skipping.step(b, poisoned);
          expect(r).toEqual({ applied: false, nonFinite: ['classifier.weight'] });
          poisoned['classifier.weight'].dispose();
        }
        tf.dispose(Object.values(grads));
      }
      expect(skipping.skippedSteps).toBe(1);
      for (const n of f.names)
        expect(Array.from(b[n].dataSync())).toEqual(Array.from(a[n].dataSync()));
      tf.dispose([...Object.values(a), ...Object.values(b)]);
      straight.dispose();
      skipping.dispose();
    });

    it('checks gradients against the parameters before touching anything', () => {
      const opt = new Optimizer(sgd({ lr: 0.1 }));
      const w = v([1, 2], `chk-w-${backend}`);
      const g3 = tf.ones([3]);
      const gi = tf.tensor([1, 2], [2], 'int32');
      expect(() => opt.step({ w }, { x: g3 })).toThrow(NotFoundError);
      expect(() => opt.step({ w }, { w: g3 })).toThrow(ShapeError);
      expect(() => opt.step({ w }, { w: g3 })).toThrow(
        /w: gradient has shape \[3\] but the parameter has \[2\]/,
      );
      expect(() => opt.step({ w }, { w: gi })).toThrow(DTypeError);
      expect(Array.from(w.dataSync())).toEqual([1, 2]);
      tf.dispose([w, g3, gi]);
      opt.dispose();
    });

    it('refuses bad options with the option named', () => {
      expect(() => adam({ lr: -1 })).toThrow(ValidationError);
      expect(() => adam({ lr: -1 })).toThrow(/lr: expected number >= 0, got -1/);
      expect(() => adam({ betas: [0.9, 1] })).toThrow(/betas\[1\]: expected number < 1/);
      expect(() => adam({ lrr: 0.1 } as never)).toThrow(/unknown option "lrr"/);
      expect(() => sgd({ nesterov: true })).toThrow(/nesterov needs momentum > 0/);
      expect(() => createOptimizer('adamw', { lr: Number.NaN })).toThrow(ValidationError);
      expect(() => new Optimizer(adam(), { nonFinite: 'ignore' as never })).toThrow(
        ValidationError,
      );
    });

    it('a schedule that returns NaN is a NumericError, not NaN weights', () => {
      const opt = new Optimizer(sgd({ lr: (t) => (t < 1 ? 0.1 : Number.NaN) }));
      const w = v([1], `sched-nan-${backend}`);
      const g = tf.ones([1]);
      opt.step({ w }, { w: g });
      expect(() => opt.step({ w }, { w: g })).toThrow(/lr schedule returned NaN at step 1/);
      expect(w.dataSync()[0]).toBeCloseTo(0.9, 6);
      tf.dispose([w, g]);
      opt.dispose();
    });

    it('is a drop-in tf.Optimizer: minimize, varList, NamedTensor[] and instanceof', () => {
      const opt = new Optimizer(sgd({ lr: 0.1 }));
      expect(opt instanceof tf.Optimizer).toBe(true);
      const x = v([1, -2], `dropin-x-${backend}`);
      const y = v([3], `dropin-y-${backend}`);
      const target = tf.tensor([0.5, 0.5]);
      // f = Σ(x − t)² + y²: ∇x = 2(x − t), ∇y = 2y.
      const cost = opt.minimize(
        () => tf.add(tf.sum(tf.square(tf.sub(x, target))), tf.sum(tf.square(y))),
        true,
        [x],
      );
      expect(cost!.dataSync()[0]).toBeCloseTo(0.25 + 6.25 + 9, 5);
      expect(Array.from(x.dataSync())).toEqual([1 - 0.1 * 1, -2 - 0.1 * -5].map(Math.fround));
      expect(Array.from(y.dataSync())).toEqual([3]); // not in varList
      const gy = tf.tensor([1]);
      opt.applyGradients([{ name: y.name, tensor: gy }]);
      expect(y.dataSync()[0]).toBeCloseTo(2.9, 6);
      expect(opt.iterations).toBe(2);
      tf.dispose([x, y, target, cost!, gy]);
      opt.dispose();
    });

    it('applyGradients names an unregistered variable', () => {
      const opt = new Optimizer(sgd());
      const g = tf.ones([1]);
      expect(() => opt.applyGradients({ 'no-such-variable': g })).toThrow(NotFoundError);
      g.dispose();
      opt.dispose();
    });

    it('keeps tf.memory().numTensors flat over many steps (full chain)', () => {
      const f = fixture(1, 22);
      const opt = createOptimizer('adamw', {
        lr: 0.01,
        schedule: { id: 'one-cycle', options: { totalSteps: 60 } },
        clipGradNorm: 1,
        clipGradValue: 5,
        accumulateSteps: 3,
        emaDecay: 0.99,
        noDecay: ['bias'],
        groups: [{ params: ['classifier.*'], lrScale: 4 }],
      });
      const p = variables(f);
      const counts: number[] = [];
      for (let t = 0; t < 60; t++) {
        const grads = Object.fromEntries(
          f.names.map((n) => [n, tf.tensor(f.grads[0][n], SHAPES[n])]),
        );
        opt.step(p, grads);
        tf.dispose(Object.values(grads));
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts.slice(3)).size).toBe(1);
      tf.dispose(Object.values(p));
      opt.dispose();
    });

    it('reports the learning rate the last step used', () => {
      const opt = createOptimizer('sgd', {
        lr: 1,
        schedule: { id: 'step', options: { stepSize: 2, gamma: 0.5 } },
      });
      const w = v([0], `lr-w-${backend}`);
      const g = tf.ones([1]);
      expect(opt.lr).toBeUndefined();
      const seen: number[] = [];
      for (let t = 0; t < 5; t++) {
        opt.step({ w }, { w: g });
        seen.push(opt.lr!);
      }
      expect(seen).toEqual([1, 1, 0.5, 0.5, 0.25]);
      expect(w.dataSync()[0]).toBeCloseTo(-3.25, 6);
      tf.dispose([w, g]);
      opt.dispose();
    });

    it('swaps evaluation weights in and back out (sync and async)', async () => {
      const opt = createOptimizer('sgd', { lr: 1, emaDecay: 0.5 });
      const w = v([0], `ema-w-${backend}`);
      const g = tf.ones([1]);
      opt.step({ w }, { w: g }); // w = −1, ema = 0.5·0 + 0.5·(−1) = −0.5
      opt.step({ w }, { w: g }); // w = −2, ema = −1.25
      expect(opt.withEvalParams({ w }, () => w.dataSync()[0])).toBeCloseTo(-1.25, 6);
      expect(w.dataSync()[0]).toBe(-2);
      const inside = await opt.withEvalParams({ w }, async () => {
        await Promise.resolve();
        return w.dataSync()[0];
      });
      expect(inside).toBeCloseTo(-1.25, 6);
      expect(w.dataSync()[0]).toBe(-2);
      expect(() =>
        opt.withEvalParams({ w }, () => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(w.dataSync()[0]).toBe(-2);
      tf.dispose([w, g]);
      opt.dispose();
    });
  });
}
