// The experiment's tasks end to end at tiny sizes (seconds), and every
// bundled recipe validated against the registry in both profiles.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  initBackend,
  MemoryCheckpointStore,
  parseRecipeText,
  registry,
  silentProgress,
  type Task,
  type TaskContext,
  type TaskResult,
  ValidationError,
  validateRecipe,
} from '@kd/core';
import { plugin as nnPlugin } from '@kd/nn';
import { plugin as optimPlugin } from '@kd/optim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plugin } from '../src/index.js';
import { tasksPlugin } from '../src/tasks/index.js';

let dir: string;
beforeAll(async () => {
  // wasm: the tasks run real models (stories260K), several times faster than on cpu.
  await initBackend({ backend: 'wasm' });
  for (const p of [plugin, tasksPlugin, optimPlugin, nnPlugin]) registry.register(p);
  dir = await mkdtemp(join(tmpdir(), 'kd-losses-tasks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ctx(over: Partial<TaskContext> = {}): TaskContext {
  return {
    seed: 0,
    profile: 'quick',
    registry,
    progress: silentProgress,
    signal: new AbortController().signal,
    checkpoints: new MemoryCheckpointStore(),
    resolvePath: (p) => (p.startsWith('/') ? p : join(dir, p)),
    ...over,
  };
}

function run(id: string, options: unknown, c = ctx()): Promise<TaskResult> {
  return registry.create<Task>('task', id, options).run(c);
}

const TINY_ARMS = [
  { name: 'hard', terms: [{ loss: 'lm-ce' }] },
  {
    name: 'full',
    terms: [
      { loss: 'lm-ce' },
      { loss: 'logit-kd' },
      { loss: 'hidden-mse', weight: 0.1 },
      { loss: 'attention-kl', weight: 0.3 },
    ],
  },
];

describe('bundled recipes', () => {
  const recipes = readdirSync(new URL('../recipes/', import.meta.url)).filter((f) =>
    f.endsWith('.yaml'),
  );
  it.each(recipes)('%s validates in both profiles', (file) => {
    const text = readFileSync(new URL(`../recipes/${file}`, import.meta.url), 'utf8');
    for (const profile of ['quick', 'full'] as const) {
      const r = validateRecipe(parseRecipeText(text, file), { profile, where: file });
      expect(registry.has('task', r.task)).toBe(true);
    }
  });

  it('a recipe naming an unknown loss fails validation with a suggestion', () => {
    const text = readFileSync(
      new URL('../recipes/kd-generative.yaml', import.meta.url),
      'utf8',
    ).replace('loss: lm-ce', 'loss: lm-cee');
    expect(() => validateRecipe(parseRecipeText(text, 'x.yaml'))).toThrow(ValidationError);
    expect(() => validateRecipe(parseRecipeText(text, 'x.yaml'))).toThrow(/Did you mean "lm-ce"/);
  });
});

describe('kd-generative', () => {
  it('runs every arm and seed on the real stories260K teacher and reports the issue’s metrics', async () => {
    const options = {
      transfer: { stories: 8, length: 12 },
      heldOut: { stories: 4, promptTokens: 4, continuationTokens: 6 },
      steps: 3,
      batchSize: 4,
      seeds: 2,
      arms: TINY_ARMS,
    };
    const c = ctx();
    const r = await run('kd-generative', options, c);
    const quality = r.tables.find((t) => t.id === 'quality');
    expect(quality?.rows.map((row) => row.model)).toEqual([
      'teacher (reference)',
      'student: hard',
      'student: full',
    ]);
    const full = quality?.rows[2] as Record<string, { n: number; mean: number }>;
    for (const k of [
      'ppl_teacher_dist',
      'kl',
      'ppl_text',
      'bleu',
      'rouge1',
      'rouge2',
      'rougeL',
      'cer',
    ]) {
      expect(full[k].n).toBe(2);
      expect(Number.isFinite(full[k].mean)).toBe(true);
    }
    // The student is at most a quarter of the teacher.
    expect(r.summary.param_ratio as number).toBeLessThanOrEqual(0.25);
    expect(r.summary.teacher_params).toBe(260032);
    expect(r.plots.map((p) => p.id)).toEqual(['ppl', 'overlap', 'loss', 'terms']);
    expect(r.published?.length).toBeGreaterThan(0);
    // Every run is in the checkpoint: a second run with the same store trains nothing and agrees.
    const again = await run('kd-generative', options, c);
    expect(again.tables[0].rows).toEqual(quality?.rows);
  });
});

describe('kd-classification', () => {
  it('distils the bundled SST-2 teacher and reports accuracy, F1 and MCC', async () => {
    const r = await run('kd-classification', {
      tasks: ['sst2'],
      trainLimit: 32,
      devLimit: 16,
      maxLength: { sst2: 16 },
      distill: { steps: 2, batchSize: 8 },
      seeds: 1,
      arms: [
        { name: 'hard', terms: [{ loss: 'ce' }] },
        {
          name: 'full',
          terms: [
            { loss: 'ce' },
            { loss: 'logit-kd' },
            { loss: 'hidden-mse' },
            { loss: 'attention-kl' },
          ],
        },
      ],
    });
    const t = r.tables[0];
    expect(t.rows.map((row) => row.model)).toEqual(['teacher', 'student: hard', 'student: full']);
    const teacher = t.rows[0] as Record<string, number>;
    const student = t.rows[2] as Record<string, number | { mean: number }>;
    expect(teacher.params).toBeGreaterThan(4 * (student.params as number));
    for (const k of ['accuracy', 'f1', 'mcc'])
      expect(Number.isFinite((student[k] as { mean: number }).mean)).toBe(true);
    expect(r.summary.full_sst2_accuracy).toMatchObject({ n: 1, mean: expect.any(Number) });
  });

  it('fine-tunes a teacher per task, runs both tasks in one checkpoint store and resumes', async () => {
    const options = {
      tasks: ['sst2', 'rte'],
      teachers: 'fine-tune',
      trainLimit: 24,
      devLimit: 8,
      maxLength: { sst2: 16, rte: 24 },
      fineTune: { steps: 2, batchSize: 8 },
      distill: { steps: 2, batchSize: 8 },
      seeds: 1,
      arms: [{ name: 'hard', terms: [{ loss: 'ce' }] }],
    };
    const checkpoints = new MemoryCheckpointStore();
    const first = await run('kd-classification', options, ctx({ checkpoints }));
    expect(first.tables.map((t) => t.rows.length)).toEqual([2, 2]);
    expect(Object.keys(first.summary)).toEqual(
      expect.arrayContaining([
        'teacher_sst2_accuracy',
        'teacher_rte_accuracy',
        'full_rte_accuracy',
      ]),
    );
    // A rerun on the same store reuses both tasks' finished runs: same numbers.
    const again = await run('kd-classification', options, ctx({ checkpoints }));
    expect(again.summary).toEqual(first.summary);
  });
});

describe('distill', () => {
  const recipe = {
    teacher: { llama2c: 'stories260K' },
    student: {
      id: 'llama-for-causal-lm',
      options: {
        vocabSize: 512,
        hiddenSize: 16,
        intermediateSize: 32,
        numHiddenLayers: 2,
        numAttentionHeads: 2,
        maxPositionEmbeddings: 512,
        tieWordEmbeddings: true,
      },
    },
    data: { kind: 'teacher-generations', count: 8, length: 10 },
    terms: [{ loss: 'lm-ce' }, { loss: 'logit-kd' }, { loss: 'hidden-mse', weight: 0.1 }],
    optimizer: { id: 'adamw', options: { lr: 0.01 } },
    batchSize: 4,
  };

  it('is bit-identical for the same recipe and seed, resumes exactly, writes the student and reusable teacher outputs', async () => {
    const whole = await run('distill', { ...recipe, steps: 4 }, ctx({ outDir: join(dir, 'a') }));
    const twice = await run('distill', { ...recipe, steps: 4 }, ctx({ outDir: join(dir, 'a2') }));
    expect(twice.plots[0].lines[0].y).toEqual(whole.plots[0].lines[0].y);
    expect(readFileSync(join(dir, 'a2', 'student', 'model.safetensors'))).toEqual(
      readFileSync(join(dir, 'a', 'student', 'model.safetensors')),
    );
    const store = new MemoryCheckpointStore();
    await run('distill', { ...recipe, steps: 2 }, ctx({ checkpoints: store }));
    const resumed = await run(
      'distill',
      { ...recipe, steps: 4, writeOutputs: true },
      ctx({ checkpoints: store, outDir: join(dir, 'b') }),
    );
    expect(resumed.notes?.[0]).toMatch(/Resumed from the checkpoint at step 2/);
    expect(resumed.plots[0].lines[0].y).toEqual(whole.plots[0].lines[0].y);
    expect(readdirSync(join(dir, 'a', 'student')).sort()).toEqual([
      'config.json',
      'model.safetensors',
    ]);
    expect(readdirSync(join(dir, 'b', 'teacher-outputs'))).toContain('index.json');
  });

  it('trains from a JSON Lines token file and from precomputed teacher outputs', async () => {
    // The transfer set the previous test generated, as token ids.
    const rows = Array.from({ length: 8 }, (_, i) =>
      Array.from({ length: 10 }, (_, t) => (i * 7 + t * 3) % 512),
    );
    await writeFile(
      join(dir, 'tokens.jsonl'),
      rows.map((r) => JSON.stringify({ input_ids: r })).join('\n'),
    );
    const data = { kind: 'tokens', path: 'tokens.jsonl' };
    await run(
      'distill',
      { ...recipe, data, steps: 2, writeOutputs: true },
      ctx({ outDir: join(dir, 'c') }),
    );
    const r = await run('distill', {
      ...recipe,
      data,
      steps: 2,
      teacher: { outputs: join(dir, 'c', 'teacher-outputs') },
    });
    expect(r.summary.steps).toBe(2);
    await expect(
      run('distill', { ...recipe, data: { kind: 'tokens', path: 'missing.jsonl' }, steps: 1 }),
    ).rejects.toThrow();
  });
});
