import {
  initBackend,
  MemoryCheckpointStore,
  NotFoundError,
  registry,
  ShapeError,
  ValidationError,
} from '@kd/core';
import { createOptimizer, plugin as optimPlugin } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  Distiller,
  type DistillTermSpec,
  PrecomputedTeacher,
  plugin,
  precomputeTeacherOutputs,
} from '../src/index.js';
import { batchAt, tinyStudent, tinyTeacher } from './helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  registry.register(plugin);
  registry.register(optimPlugin);
});

/** The full multi-task loss: hard labels, output KD, hidden (projected), attention and value relations. */
const FULL: DistillTermSpec[] = [
  { loss: 'lm-ce', weight: 1 },
  { loss: { id: 'logit-kd', options: { temperature: 2 } }, weight: 0.5 },
  { loss: 'hidden-mse', weight: 1 },
  { loss: 'attention-kl', weight: 1 },
  { loss: { id: 'value-relation', options: { relationHeads: 2 } }, weight: 0.5 },
];

/** When set, `build` steps this optimizer instead (to prove nothing was stepped). */
let spyOptimizer: { step: ReturnType<typeof vi.fn> } | undefined;

function build(terms = FULL, teacher = tinyTeacher(), student = tinyStudent()) {
  const optimizer = (spyOptimizer ?? createOptimizer('adamw', { lr: 1e-2 })) as ReturnType<
    typeof createOptimizer
  >;
  const distiller = new Distiller({ teacher, student, terms, optimizer, seed: 3 });
  return { distiller, optimizer, student, teacher };
}

function snapshot(d: Distiller): Record<string, Float32Array> {
  return Object.fromEntries(
    Object.entries(d.parameters()).map(([k, p]) => [k, p.dataSync() as Float32Array]),
  );
}

function disposeAll(x: ReturnType<typeof build>) {
  x.distiller.dispose();
  x.optimizer.dispose();
  x.student.dispose();
  x.teacher.dispose();
}

describe('Distiller', () => {
  it('plans layer maps, projections and feature requests from the models', () => {
    const x = build();
    const d = x.distiller;
    // Uniform map 2 → 3 layers: hidden 0↔0, 1↔2 (round 1.5), 2↔3; attention 1↔2, 2↔3.
    expect(d.terms.find((t) => t.name === 'hidden-mse')?.pairs).toEqual([
      [0, 0],
      [1, 2],
      [2, 3],
    ]);
    expect(d.terms.find((t) => t.name === 'attention-kl')?.pairs).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(d.teacherRequest).toEqual({
      logits: true,
      layers: { hidden: [0, 2, 3], attentions: [2, 3], values: [2, 3] },
    });
    // Width 8 → 16 projections, one per student layer, trained with the student.
    expect(Object.keys(d.trainableParameters()).filter((n) => n.startsWith('distill.'))).toEqual([
      'distill.hidden_mse.0.weight',
      'distill.hidden_mse.0.bias',
      'distill.hidden_mse.1.weight',
      'distill.hidden_mse.1.bias',
      'distill.hidden_mse.2.weight',
      'distill.hidden_mse.2.bias',
    ]);
    expect(d.parameters()['distill.hidden_mse.1.weight'].shape).toEqual([16, 8]);
    disposeAll(x);
  });

  it('trains every term, logs each, and keeps memory flat', async () => {
    const x = build();
    await x.distiller.step(batchAt(0));
    const before = tf.memory().numTensors;
    const logs = [];
    for (let s = 1; s < 8; s++) logs.push(await x.distiller.step(batchAt(s)));
    expect(tf.memory().numTensors).toBe(before);
    const last = logs.at(-1);
    expect(Object.keys(last?.terms ?? {})).toEqual([
      'lm-ce',
      'logit-kd',
      'hidden-mse',
      'attention-kl',
      'value-relation',
    ]);
    for (const v of Object.values(last?.terms ?? {}))
      expect(Number.isFinite(v) && v > 0).toBe(true);
    // The total is the weighted sum of the logged terms.
    const t = last?.terms as Record<string, number>;
    const total =
      t['lm-ce'] +
      0.5 * t['logit-kd'] +
      t['hidden-mse'] +
      t['attention-kl'] +
      0.5 * t['value-relation'];
    expect(last?.loss).toBeCloseTo(total, 4);
    disposeAll(x);
    // Without the hard-label term (random tokens here), the distillation terms go down.
    const y = build(FULL.slice(1));
    for (let s = 0; s < 10; s++) await y.distiller.step(batchAt(0));
    const [first, end] = [y.distiller.history[0], y.distiller.history[9]];
    expect(end.loss).toBeLessThan(first.loss);
    for (const k of ['logit-kd', 'hidden-mse', 'attention-kl']) {
      expect(end.terms[k]).toBeLessThan(first.terms[k]);
    }
    disposeAll(y);
  });

  it('is bit-identical for the same seed, and a resumed run equals an uninterrupted one', async () => {
    const steps = 6;
    const a = build();
    await a.distiller.train({ data: (s) => batchAt(s), steps });
    const want = snapshot(a.distiller);
    const wantHistory = a.distiller.history.map((h) => h.loss);

    const b = build();
    await b.distiller.train({ data: (s) => batchAt(s), steps });
    expect(snapshot(b.distiller)).toEqual(want);

    // Stop after 3 steps, then resume in fresh objects from the checkpoint.
    const store = new MemoryCheckpointStore();
    const c = build();
    await c.distiller.train({ data: (s) => batchAt(s), steps: 3, checkpoints: store });
    const d = build();
    const r = await d.distiller.train({ data: (s) => batchAt(s), steps, checkpoints: store });
    expect(r.resumedFrom).toBe(3);
    expect(snapshot(d.distiller)).toEqual(want);
    expect(r.history.map((h) => h.loss)).toEqual(wantHistory);
    for (const x of [a, b, c, d]) disposeAll(x);
  });

  it('precomputed teacher outputs give the same student as a live teacher', async () => {
    const live = build();
    await live.distiller.train({ data: (s) => batchAt(s), steps: 4 });
    const teacher = tinyTeacher();
    const store = await precomputeTeacherOutputs(
      teacher,
      [0, 1, 2, 3].map((s) => batchAt(s)),
      live.distiller.teacherRequest,
    );
    expect(store.count).toBe(16);
    const pre = build(FULL, new PrecomputedTeacher(store) as never);
    await pre.distiller.train({ data: (s) => batchAt(s), steps: 4 });
    expect(snapshot(pre.distiller)).toEqual(snapshot(live.distiller));
    // Outputs without a needed feature fail when the distiller is built.
    const partial = await precomputeTeacherOutputs(
      teacher,
      [0, 1, 2, 3].map((s) => batchAt(s)),
      {
        logits: true,
        layers: {},
      },
    );
    expect(() => build(FULL, new PrecomputedTeacher(partial) as never)).toThrow(NotFoundError);
    disposeAll(live);
    pre.distiller.dispose();
    pre.optimizer.dispose();
    pre.student.dispose();
    teacher.dispose();
  });

  it('schedules weights and temperatures', async () => {
    const x = build([
      { loss: 'lm-ce' },
      {
        loss: 'logit-kd',
        weight: { value: 2, schedule: 'linear-growth' },
        temperature: { value: 4, schedule: 'linear', end: 1 },
      },
    ]);
    x.distiller.totalSteps = 10;
    expect(x.distiller.scheduleAt(0)['logit-kd']).toEqual({ weight: 0, temperature: 4 });
    expect(x.distiller.scheduleAt(5)['logit-kd']).toEqual({ weight: 1, temperature: 2.5 });
    const log = await x.distiller.step(batchAt(0));
    // Weight 0 at step 0: the term is skipped and the total is lm-ce alone.
    expect(log.terms['logit-kd']).toBe(0);
    expect(log.loss).toBeCloseTo(log.terms['lm-ce'], 6);
    disposeAll(x);
  });
});

describe('bad setups fail before training', () => {
  function expectNoStep(
    make: () => unknown,
    error: new (...args: never[]) => Error,
    message: RegExp,
  ) {
    spyOptimizer = { step: vi.fn() };
    try {
      expect(make).toThrow(error);
      expect(make).toThrow(message);
      expect(spyOptimizer.step).not.toHaveBeenCalled();
    } finally {
      spyOptimizer = undefined;
    }
  }

  it('a teacher with trainable parameters', () => {
    const teacher = tinyTeacher();
    teacher.unfreeze();
    expectNoStep(
      () => build(FULL, teacher),
      ValidationError,
      /teacher has .* trainable .*freeze\(\)/,
    );
  });

  it('a layer map naming a layer that does not exist', () => {
    expectNoStep(
      () => build([{ loss: 'hidden-mse', layers: [[3, 1]] }]),
      NotFoundError,
      /student layer 3 does not exist: the student has 2 layers/,
    );
    expectNoStep(
      () => build([{ loss: 'attention-kl', layers: [[1, 0]] }]),
      NotFoundError,
      /teacher layer 0 does not exist.*attention layers are 1/,
    );
  });

  it('feature widths that differ without a projection', () => {
    expectNoStep(
      () => build([{ loss: 'hidden-cosine', projection: 'none' }]),
      ShapeError,
      /8 wide and teacher layer 0 is 16 wide, and projection is "none"/,
    );
  });

  it('output sizes that differ, and relations over different head counts', () => {
    expectNoStep(
      () => build([{ loss: 'logit-kd' }], tinyTeacher(), tinyStudent(2, { vocabSize: 40 })),
      ShapeError,
      /logits end in 40 .* teacher's in 32/,
    );
    expectNoStep(
      () => build([{ loss: { id: 'value-relation', options: { of: 'queries' } } }]),
      ShapeError,
      /student has 2 and the teacher 4; set relationHeads/,
    );
  });

  it('unknown losses and bad loss options', () => {
    expect(() => build([{ loss: 'logit-kl' }])).toThrow(/Did you mean "logit-kd"/);
    expect(() => build([{ loss: { id: 'logit-kd', options: { temperature: -1 } } }])).toThrow(
      ValidationError,
    );
  });
});
