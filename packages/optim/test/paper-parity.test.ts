import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adabelief, adafactor, lamb, lion, Optimizer, scheduleFreeAdamW } from '../src/index.js';
import type { GradientTransformation } from '../src/types.js';
import {
  BACKENDS,
  expectParity,
  fixture,
  relativeError,
  runKd,
  runReference,
  SHAPES,
  type Stepper,
  useBackend,
  worstError,
} from './helpers.js';
import {
  paperAdaBelief,
  paperAdafactor,
  paperLamb,
  paperLion,
  referenceScheduleFreeAdamW,
} from './reference/papers.js';

/**
 * The paper optimisers against float64 implementations of their published
 * update rules (test/reference/papers.ts), 30 steps, 1e-6 relative.
 */
const STEPS = 30;
const TOLERANCE = 1e-6;
const shapes = Object.values(SHAPES);

type Case = [name: string, kd: () => GradientTransformation, ref: () => Stepper];

const cases: Case[] = [
  [
    'lamb (optax eps 1e-6)',
    () => lamb({ lr: 0.01 }),
    () => paperLamb({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-6, weightDecay: 0 }),
  ],
  [
    'lamb with weight decay and betas',
    () => lamb({ lr: 0.02, betas: [0.8, 0.99], weightDecay: 0.1 }),
    () => paperLamb({ lr: 0.02, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 }),
  ],
  [
    'lion defaults (optax wd 1e-3)',
    () => lion({ lr: 0.003 }),
    () => paperLion({ lr: 0.003, betas: [0.9, 0.99], weightDecay: 1e-3 }),
  ],
  [
    'lion betas, wd 0.1',
    () => lion({ lr: 0.001, betas: [0.95, 0.98], weightDecay: 0.1 }),
    () => paperLion({ lr: 0.001, betas: [0.95, 0.98], weightDecay: 0.1 }),
  ],
  [
    'adabelief defaults',
    () => adabelief({ lr: 0.01 }),
    () => paperAdaBelief({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-16, weightDecay: 0 }),
  ],
  [
    'adabelief eps 1e-3, decoupled wd',
    () => adabelief({ lr: 0.01, eps: 1e-3, epsRoot: 1e-3, weightDecay: 0.05 }),
    () => paperAdaBelief({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-3, weightDecay: 0.05 }),
  ],
  [
    'adafactor as in the paper (every matrix factored, relative step)',
    () => adafactor({ minDimSizeToFactor: 1 }),
    () => paperAdafactor(shapes, { eps1: 1e-30, eps2: 1e-3, d: 1, cap: 1e-2 }),
  ],
  [
    'adafactor optax defaults (small tensors unfactored), fixed lr',
    () => adafactor({ lr: 1e-3, relativeStep: false }),
    () =>
      paperAdafactor(
        shapes.map((s) => [s.reduce((a, b) => a * b, 1)]),
        { eps1: 1e-30, eps2: 1e-3, d: 1, cap: 1e-3 },
      ),
  ],
  [
    'adafactor d = 0.5, eps2 0.1',
    () => adafactor({ minDimSizeToFactor: 1, d: 0.5, eps: [1e-30, 0.1] }),
    () => paperAdafactor(shapes, { eps1: 1e-30, eps2: 0.1, d: 0.5, cap: 1e-2 }),
  ],
];

const sfOptions = [
  {
    lr: 0.01,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    warmupSteps: 0,
    r: 0,
    weightLrPower: 2,
  },
  {
    lr: 0.02,
    betas: [0.95, 0.99],
    eps: 1e-6,
    weightDecay: 0.05,
    warmupSteps: 8,
    r: 0.5,
    weightLrPower: 2,
  },
] as const;

for (const backend of BACKENDS) {
  describe(`paper parity on ${backend}`, () => {
    beforeAll(() => useBackend(backend));
    afterAll(() => {
      expect(tf.memory().numTensors).toBe(0);
    });

    it.each(cases)('%s follows the published rule to 1e-6 over 30 steps', (_name, kd, ref) => {
      expectParity(kd, ref, { steps: STEPS, seed: 11, tolerance: TOLERANCE });
    });

    it.each(sfOptions)(
      'schedule-free AdamW follows the reference implementation (y and x), %o',
      (o) => {
        const f = fixture(STEPS, 13);
        const opt = new Optimizer(
          scheduleFreeAdamW({ ...o, betas: [...o.betas] as [number, number] }),
        );
        const got = runKd(opt, f);
        const ref = referenceScheduleFreeAdamW({ ...o, betas: [...o.betas] as [number, number] });
        const want = runReference(ref, f);
        const { error, step } = worstError(got, want);
        expect(error, `y: worst relative error ${error} at step ${step}`).toBeLessThanOrEqual(
          TOLERANCE,
        );

        // x = (y − (1 − β₁)z)/β₁ at the end matches the reference's stored x.
        const yLast = f.names.map((n, i) =>
          tf.tensor(Float32Array.from(got[STEPS - 1][i]), SHAPES[n]),
        );
        const x = opt.evalParams(Object.fromEntries(f.names.map((n, i) => [n, yLast[i]])));
        const xGot = f.names.map((n) => Float64Array.from(x[n].dataSync()));
        tf.dispose([...yLast, ...Object.values(x)]);
        opt.dispose();
        expect(relativeError(xGot, ref.x())).toBeLessThanOrEqual(TOLERANCE);
      },
    );
  });
}
