import { entryRef, NotFoundError, Registry, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Optimizer, optimizerOptions, plugin } from '../src/index.js';
import { useBackend } from './helpers.js';

const ids = Object.keys(optimizerOptions);

describe('optimizer:<id> entries', () => {
  const reg = Registry.isolated();
  beforeAll(async () => {
    await useBackend('cpu');
    reg.register(plugin);
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(0);
  });

  it('registers every optimiser', () => {
    expect(reg.list('optimizer').map((e) => e.id)).toEqual([...ids].sort());
  });

  it.each(ids)('%s with its defaults (lr raised where tiny) descends a quadratic', (id) => {
    const lr = id === 'lion' ? 0.01 : id === 'adadelta' ? 1 : id === 'adafactor' ? 0.1 : 0.05;
    const opt = reg.create<Optimizer>('optimizer', id, { lr });
    const x = tf.tidy(() => tf.variable(tf.tensor([[1.5, -2, 0.5]]), true, `quad-${id}`));
    const loss = () => tf.tidy(() => tf.sum(tf.square(x)).dataSync()[0]);
    const start = loss();
    for (let i = 0; i < 40; i++) {
      tf.tidy(() => {
        opt.step({ x }, { x: tf.mul(x, 2) });
      });
    }
    const end = opt.withEvalParams({ x }, loss);
    expect(end).toBeLessThan(start * 0.9);
    expect(opt.getConfig()).toMatchObject({ id });
    x.dispose();
    opt.dispose();
  });

  it('validates options in recipes with the path of the bad value', () => {
    const ref = entryRef('optimizer', reg);
    const bad = (options: Record<string, unknown>) => {
      const r = ref.safeParse({ id: 'adamw', options });
      if (r.success) return [];
      return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(bad({ lr: -1 })[0]).toMatch(/^options\.lr: /);
    expect(bad({ learningRate: 1e-3 })[0]).toMatch(/learningRate/);
    expect(bad({ schedule: { id: 'warmup-cosine', options: { warmupSteps: 10 } } })[0]).toMatch(
      /^options\.schedule\.options\.totalSteps/,
    );
    expect(bad({ groups: [{ params: ['bias'], weightDecay: -1 }] })[0]).toMatch(
      /^options\.groups\.0\.weightDecay/,
    );
    expect(bad({ groups: [{ params: [] }] })[0]).toMatch(/^options\.groups\.0\.params/);
    expect(bad({ accumulateSteps: 0 })[0]).toMatch(/^options\.accumulateSteps/);
    expect(bad({ lr: 3e-4, schedule: 'cosine-restarts' })[0]).toMatch(/t0/);
    expect(
      bad({
        lr: 3e-4,
        schedule: { id: 'warmup-linear', options: { warmupSteps: 5, totalSteps: 50 } },
      }),
    ).toEqual([]);
  });

  it('unknown options and schedules fail with a clear error', () => {
    expect(() => reg.create('optimizer', 'sgd', { momentun: 0.9 })).toThrow(ValidationError);
    expect(() => reg.create('optimizer', 'sgd', { momentun: 0.9 })).toThrow(
      /unknown option "momentun"/,
    );
    expect(() => reg.create('optimizer', 'sgd', { schedule: 'no-such-schedule' })).toThrow(
      NotFoundError,
    );
    expect(() =>
      reg.create('optimizer', 'adamw', { groups: [{ params: ['a'], name: 'default' }] }),
    ).toThrow(/group names must be unique and not "default"/);
  });
});
