// How to test a plugin: an isolated registry, the values against the formula
// worked by hand, the schema's errors, and the entry used by kd's optimizers.
import { initBackend, Registry, ValidationError } from '@kd/core';
import { createOptimizer, plugin as optim } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { plugin } from './index.js';

function registryWithNoam(): Registry {
  const registry = Registry.isolated(); // nothing leaks into the global registry
  registry.register(optim);
  registry.register(plugin);
  return registry;
}

beforeAll(() => initBackend({ backend: 'cpu' }));

describe('schedule:noam', () => {
  it('rises linearly, peaks at the base rate, then decays as 1/√step', () => {
    const factory = registryWithNoam().create<(base: number) => (step: number) => number>(
      'schedule',
      'noam',
      { warmupSteps: 4 },
    );
    const lr = factory(1e-3);
    // Worked by hand: t = step + 1; min(t/4, √(4/t)) · 1e-3.
    expect(lr(0)).toBeCloseTo(0.25e-3, 15);
    expect(lr(3)).toBeCloseTo(1e-3, 15);
    expect(lr(15)).toBeCloseTo(0.5e-3, 15);
  });

  it('rejects bad options with the path of the problem', () => {
    expect(() => registryWithNoam().create('schedule', 'noam', { warmupSteps: 0 })).toThrow(
      ValidationError,
    );
    expect(() => registryWithNoam().create('schedule', 'noam', { warmup: 10 })).toThrow(/warmup/);
  });

  it('shapes an @kd/optim optimizer’s learning rate', () => {
    const optimizer = createOptimizer(
      'adamw',
      { lr: 1e-3, schedule: { id: 'noam', options: { warmupSteps: 4 } } },
      registryWithNoam(),
    );
    const w = tf.variable(tf.tensor1d([1, 2]));
    const used: number[] = [];
    for (let step = 0; step < 5; step++) {
      tf.tidy(() => {
        optimizer.step({ w }, { w: tf.onesLike(w) });
      });
      used.push(optimizer.lr ?? Number.NaN); // the rate this step used
    }
    expect(used[0]).toBeCloseTo(0.25e-3, 15);
    expect(used[3]).toBeCloseTo(1e-3, 15);
    optimizer.dispose();
    w.dispose();
  });
});
