import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adadelta,
  adagrad,
  adam,
  adamax,
  adamw,
  nadam,
  radam,
  rmsprop,
  sgd,
} from '../src/index.js';
import type { GradientTransformation } from '../src/types.js';
import { BACKENDS, expectParity, type Stepper, useBackend, worstError } from './helpers.js';
import {
  torchAdadelta,
  torchAdagrad,
  torchAdam,
  torchAdamax,
  torchNadam,
  torchRadam,
  torchRmsprop,
  torchSgd,
} from './reference/torch.js';

/**
 * Every torch-matched optimiser against an independent float64 port of
 * torch's `_single_tensor_*` rule, fed the same float32 gradients for 30
 * steps. Tolerance: 1e-6 relative (max |θ − θ_ref| / max |θ_ref| at every
 * step) in float32.
 */
const STEPS = 30;
const TOLERANCE = 1e-6;

type Case = [name: string, kd: () => GradientTransformation, ref: () => Stepper];

const cases: Case[] = [
  ['sgd plain', () => sgd({ lr: 0.05 }), () => torchSgd({ lr: 0.05 })],
  [
    'sgd momentum + dampening + L2',
    () => sgd({ lr: 0.02, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
    () => torchSgd({ lr: 0.02, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
  ],
  [
    'sgd nesterov, maximize',
    () => sgd({ lr: 0.01, momentum: 0.8, nesterov: true, maximize: true }),
    () => torchSgd({ lr: 0.01, momentum: 0.8, nesterov: true, maximize: true }),
  ],
  ['adagrad defaults', () => adagrad({ lr: 0.1 }), () => torchAdagrad({ lr: 0.1 })],
  [
    'adagrad lrDecay + accumulator + L2',
    () => adagrad({ lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.1, weightDecay: 0.02 }),
    () => torchAdagrad({ lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.1, weightDecay: 0.02 }),
  ],
  ['rmsprop defaults', () => rmsprop({ lr: 0.01 }), () => torchRmsprop({ lr: 0.01 })],
  [
    'rmsprop centered + momentum + L2',
    () => rmsprop({ lr: 0.005, alpha: 0.9, centered: true, momentum: 0.9, weightDecay: 0.01 }),
    () => torchRmsprop({ lr: 0.005, alpha: 0.9, centered: true, momentum: 0.9, weightDecay: 0.01 }),
  ],
  ['adadelta defaults', () => adadelta(), () => torchAdadelta({ lr: 1 })],
  [
    'adadelta rho, eps, L2',
    () => adadelta({ lr: 0.5, rho: 0.95, eps: 1e-5, weightDecay: 0.01 }),
    () => torchAdadelta({ lr: 0.5, rho: 0.95, eps: 1e-5, weightDecay: 0.01 }),
  ],
  ['adam defaults', () => adam({ lr: 0.01 }), () => torchAdam({ lr: 0.01 })],
  [
    'adam amsgrad + L2 + betas',
    () => adam({ lr: 0.01, betas: [0.8, 0.99], amsgrad: true, weightDecay: 0.05 }),
    () => torchAdam({ lr: 0.01, betas: [0.8, 0.99], amsgrad: true, weightDecay: 0.05 }),
  ],
  [
    'adam decoupledWeightDecay, maximize',
    () => adam({ lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true }),
    () => torchAdam({ lr: 0.01, weightDecay: 0.1, decoupled: true, maximize: true }),
  ],
  [
    'adamw defaults',
    () => adamw({ lr: 0.01 }),
    () => torchAdam({ lr: 0.01, weightDecay: 0.01, decoupled: true }),
  ],
  [
    'adamw amsgrad, eps 1e-6, wd 0.1',
    () => adamw({ lr: 0.02, eps: 1e-6, amsgrad: true, weightDecay: 0.1 }),
    () => torchAdam({ lr: 0.02, eps: 1e-6, amsgrad: true, weightDecay: 0.1, decoupled: true }),
  ],
  ['adamax defaults', () => adamax({ lr: 0.01 }), () => torchAdamax({ lr: 0.01 })],
  [
    'adamax betas + L2',
    () => adamax({ lr: 0.02, betas: [0.7, 0.95], weightDecay: 0.02 }),
    () => torchAdamax({ lr: 0.02, betas: [0.7, 0.95], weightDecay: 0.02 }),
  ],
  ['nadam defaults', () => nadam({ lr: 0.01 }), () => torchNadam({ lr: 0.01 })],
  [
    'nadam momentumDecay + L2',
    () => nadam({ lr: 0.01, momentumDecay: 0.01, weightDecay: 0.02 }),
    () => torchNadam({ lr: 0.01, momentumDecay: 0.01, weightDecay: 0.02 }),
  ],
  [
    'nadam decoupled',
    () => nadam({ lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true }),
    () => torchNadam({ lr: 0.01, weightDecay: 0.1, decoupled: true }),
  ],
  ['radam defaults', () => radam({ lr: 0.01 }), () => torchRadam({ lr: 0.01 })],
  [
    'radam beta2 0.9 (rectified from step 6) + L2',
    () => radam({ lr: 0.01, betas: [0.9, 0.9], weightDecay: 0.02 }),
    () => torchRadam({ lr: 0.01, betas: [0.9, 0.9], weightDecay: 0.02 }),
  ],
  [
    'radam decoupled',
    () => radam({ lr: 0.01, betas: [0.8, 0.95], weightDecay: 0.1, decoupledWeightDecay: true }),
    () => torchRadam({ lr: 0.01, betas: [0.8, 0.95], weightDecay: 0.1, decoupled: true }),
  ],
  // Large ε pins where ε sits (inside/outside the root, next to raw or corrected moments).
  ['adam eps 0.1', () => adam({ lr: 0.01, eps: 0.1 }), () => torchAdam({ lr: 0.01, eps: 0.1 })],
  [
    'radam eps 0.1',
    () => radam({ lr: 0.01, betas: [0.9, 0.9], eps: 0.1 }),
    () => torchRadam({ lr: 0.01, betas: [0.9, 0.9], eps: 0.1 }),
  ],
  ['nadam eps 0.1', () => nadam({ lr: 0.01, eps: 0.1 }), () => torchNadam({ lr: 0.01, eps: 0.1 })],
  [
    'adamax eps 0.5',
    () => adamax({ lr: 0.01, eps: 0.5 }),
    () => torchAdamax({ lr: 0.01, eps: 0.5 }),
  ],
  [
    'rmsprop centered eps 0.1',
    () => rmsprop({ lr: 0.01, centered: true, eps: 0.1 }),
    () => torchRmsprop({ lr: 0.01, centered: true, eps: 0.1 }),
  ],
  [
    'adagrad eps 0.1',
    () => adagrad({ lr: 0.1, eps: 0.1 }),
    () => torchAdagrad({ lr: 0.1, eps: 0.1 }),
  ],
];

for (const backend of BACKENDS) {
  describe(`torch parity on ${backend}`, () => {
    beforeAll(() => useBackend(backend));
    afterAll(() => {
      expect(tf.memory().numTensors).toBe(0);
    });

    it.each(cases)('%s matches torch to 1e-6 over 30 steps', (_name, kd, ref) => {
      const { want } = expectParity(kd, ref, { steps: STEPS, seed: 7, tolerance: TOLERANCE });
      // The trajectory must actually move (a no-op would trivially "match" nothing).
      expect(worstError(want, [want[0]].concat(want.slice(0, -1))).error).toBeGreaterThan(1e-4);
    });
  });
}
