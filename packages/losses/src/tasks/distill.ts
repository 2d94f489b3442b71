import {
  defineEntry,
  type EntryRef,
  entryRef,
  FormatError,
  type Task,
  type TaskContext,
  type TaskResult,
} from '@kd/core';
import { loadStories260K } from '@kd/data';
import { loadLlama2c, type Module } from '@kd/nn';
import type { Optimizer } from '@kd/optim';
import { z } from 'zod';
import { Distiller } from '../distiller.js';
import {
  type DistillBatch,
  PrecomputedTeacher,
  precomputeTeacherOutputs,
  type TeacherSource,
} from '../teacher.js';
import { termCurves, termSchema, toTermSpec } from './common/arms.js';
import { teacherStories } from './generative.js';

/**
 * `kd run distill.yaml`: distil any teacher into any student with any
 * registered losses. The teacher is a llama2.c checkpoint (the bundled
 * stories260K or a file), a Hugging Face directory, or teacher outputs
 * precomputed elsewhere (`scripts/export_teacher_outputs.py`); the transfer
 * set is seeded teacher generations or a JSON Lines file of token ids.
 */
export const distillOptions = z.strictObject({
  teacher: z.union([
    z.strictObject({
      llama2c: z.string().min(1).describe('"stories260K" (bundled) or a .bin path'),
    }),
    z.strictObject({ hf: z.string().min(1).describe('a Hugging Face model directory') }),
    z.strictObject({
      outputs: z
        .string()
        .min(1)
        .describe('a directory of precomputed teacher outputs (index.json + shards)'),
    }),
  ]),
  /** A `model:<id>` entry of @kd/nn with its config (randomly initialised from the run's seed). */
  student: entryRef('model'),
  data: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('teacher-generations'),
      count: z.number().int().positive().default(256),
      length: z.number().int().min(2).default(64),
      temperature: z.number().positive().default(1),
      topP: z.number().gt(0).max(1).default(0.95),
    }),
    z.strictObject({
      kind: z.literal('tokens'),
      /** JSON Lines: one `[ids…]` or `{ "input_ids": […], "attention_mask"?: […], "label"?: n }` per line, equal lengths. */
      path: z.string().min(1),
    }),
  ]),
  terms: z.array(termSchema()).min(1),
  optimizer: entryRef('optimizer'),
  steps: z.number().int().positive(),
  batchSize: z.number().int().positive().default(16),
  checkpointEvery: z.number().int().positive().optional(),
  /** Precompute the live teacher's features once (memory) before training; default true. */
  precompute: z.boolean().default(true),
  /** Also write the precomputed outputs as shards in `<out>/teacher-outputs`, for reuse by later runs. */
  writeOutputs: z.boolean().default(false),
});
export type DistillOptions = z.output<typeof distillOptions>;

interface Row {
  inputIds: number[];
  attentionMask?: number[];
  label?: number;
}

async function loadRows(path: string): Promise<Row[]> {
  const { readFile } = await import('node:fs/promises');
  const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  return lines.map((line, i) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (cause) {
      throw new FormatError('not valid JSON', { where: `${path}:${i + 1}`, cause });
    }
    const o = Array.isArray(v) ? { input_ids: v } : (v as Record<string, unknown>);
    if (!Array.isArray(o.input_ids) || !o.input_ids.every(Number.isInteger)) {
      throw new FormatError('expected [ids…] or { "input_ids": [ids…] }', {
        where: `${path}:${i + 1}`,
      });
    }
    return {
      inputIds: o.input_ids as number[],
      attentionMask: o.attention_mask as number[] | undefined,
      label: o.label as number | undefined,
    };
  });
}

async function loadTeacher(t: DistillOptions['teacher'], resolve: (p: string) => string) {
  if ('llama2c' in t) {
    if (t.llama2c === 'stories260K') return loadLlama2c((await loadStories260K()).legacy);
    const { loadLlama2cFile } = await import('@kd/nn/node');
    return loadLlama2cFile(resolve(t.llama2c));
  }
  if ('hf' in t) {
    const { loadHFDirectory } = await import('@kd/nn/node');
    return (await loadHFDirectory(resolve(t.hf))).model;
  }
  return undefined;
}

export async function runDistill(o: DistillOptions, ctx: TaskContext): Promise<TaskResult> {
  const resolve = (p: string) => (ctx.resolvePath ? ctx.resolvePath(p) : p);
  const teacherModel = await loadTeacher(o.teacher, resolve);
  teacherModel?.freeze();
  let rows: Row[];
  if (o.data.kind === 'tokens') rows = await loadRows(resolve(o.data.path));
  else {
    if (!teacherModel || !('vocabSize' in teacherModel)) {
      throw new FormatError(
        'teacher-generations needs a generative teacher model (llama2c or hf)',
        {
          where: 'data',
        },
      );
    }
    const stories = await teacherStories(teacherModel as never, o.data.count, o.data.length, {
      temperature: o.data.temperature,
      topP: o.data.topP,
      seed: ctx.seed,
    });
    rows = stories.map((s) => ({ inputIds: s }));
  }
  const len = rows[0]?.inputIds.length;
  const bad = rows.findIndex((r) => r.inputIds.length !== len);
  if (bad >= 0) {
    throw new FormatError(
      `every row needs ${len} ids (pad them); row ${bad} has ${rows[bad].inputIds.length}`,
      {
        where: 'data',
      },
    );
  }
  const batch = (indices: number[]): DistillBatch => ({
    inputs: {
      inputIds: indices.map((i) => rows[i].inputIds),
      ...(rows[0].attentionMask
        ? { attentionMask: indices.map((i) => rows[i].attentionMask as number[]) }
        : {}),
    },
    ...(rows[0].label !== undefined ? { labels: indices.map((i) => rows[i].label as number) } : {}),
    indices,
  });
  const studentRef = o.student as EntryRef;
  const student = ctx.registry.create<Module>('model', studentRef.id, {
    seed: ctx.seed,
    ...(studentRef.options as object),
  });
  const optRef = o.optimizer as EntryRef;
  const optimizer = ctx.registry.create<Optimizer>('optimizer', optRef.id, optRef.options);
  const terms = o.terms.map(toTermSpec);
  let teacher: Module | TeacherSource;
  if (teacherModel) {
    teacher = teacherModel;
    if (o.precompute) {
      const plan = new Distiller({
        teacher: teacherModel,
        student,
        terms,
        optimizer: { step() {} },
      });
      const request = plan.teacherRequest;
      plan.dispose();
      const batches: DistillBatch[] = [];
      for (let i = 0; i < rows.length; i += 32) {
        batches.push(batch(Array.from({ length: Math.min(32, rows.length - i) }, (_, k) => i + k)));
      }
      ctx.progress.log('running the teacher once over the transfer set');
      const store = await precomputeTeacherOutputs(teacherModel, batches, request);
      if (o.writeOutputs && ctx.outDir) {
        const { writeTeacherOutputs } = await import('../node/index.js');
        const { join } = await import('node:path');
        await writeTeacherOutputs(join(ctx.outDir, 'teacher-outputs'), store);
      }
      teacher = new PrecomputedTeacher(store);
    }
  } else {
    const { ShardedTeacherOutputs } = await import('../node/index.js');
    const store = await ShardedTeacherOutputs.open(
      resolve((o.teacher as { outputs: string }).outputs),
    );
    if (store.count !== rows.length) {
      throw new FormatError(
        `the teacher outputs hold ${store.count} examples, the data ${rows.length}`,
        {
          where: 'teacher.outputs',
        },
      );
    }
    teacher = new PrecomputedTeacher(store);
  }
  const distiller = new Distiller({ teacher, student, terms, optimizer, seed: ctx.seed });
  const { Rng } = await import('@kd/core');
  const rng = new Rng(ctx.seed).fork('data');
  const perms = new Map<number, number[]>();
  const data = (step: number) => {
    const indices: number[] = [];
    for (let i = 0; i < o.batchSize; i++) {
      const k = step * o.batchSize + i;
      const epoch = Math.floor(k / rows.length);
      if (!perms.has(epoch)) perms.set(epoch, rng.fork(`epoch:${epoch}`).permutation(rows.length));
      indices.push((perms.get(epoch) as number[])[k % rows.length]);
    }
    return batch(indices);
  };
  const t0 = performance.now();
  const result = await distiller.train({
    data,
    steps: o.steps,
    checkpoints: ctx.checkpoints,
    checkpointEvery: o.checkpointEvery,
    progress: ctx.progress,
    signal: ctx.signal,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (ctx.outDir) {
    const { saveHFDirectory } = await import('@kd/nn/node');
    const { join } = await import('node:path');
    await saveHFDirectory(student, join(ctx.outDir, 'student'));
  }
  const last = result.history.slice(-Math.min(20, result.history.length));
  const finalTerms = Object.fromEntries(
    distiller.terms.map((t) => [
      t.name,
      last.reduce((a, h) => a + h.terms[t.name], 0) / last.length,
    ]),
  );
  const runs = [
    {
      arm: 'student',
      terms: Object.fromEntries(
        distiller.terms.map((t) => [t.name, result.history.map((h) => h.terms[t.name])]),
      ),
    },
  ];
  const studentParams = student.parameterCount();
  const teacherParams = teacherModel?.parameterCount();
  distiller.dispose();
  optimizer.dispose();
  student.dispose();
  teacherModel?.dispose();
  return {
    task: 'distill',
    title: 'Distillation',
    summary: {
      steps: result.steps,
      final_loss: last.reduce((a, h) => a + h.loss, 0) / last.length,
      student_params: studentParams,
      ...(teacherParams ? { teacher_params: teacherParams } : {}),
      seconds,
    },
    tables: [
      {
        id: 'terms',
        title: 'Loss terms (unweighted), mean of the last 20 steps',
        columns: [
          { key: 'term', label: 'term', format: 'text' },
          { key: 'value', label: 'value', format: 'float' },
        ],
        rows: Object.entries(finalTerms).map(([term, value]) => ({ term, value })),
      },
    ],
    plots: [
      {
        id: 'loss',
        title: 'Weighted training loss',
        kind: 'line',
        xLabel: 'step',
        yLabel: 'loss',
        lines: [
          {
            name: 'total',
            x: result.history.map((h) => h.step),
            y: result.history.map((h) => h.loss),
          },
        ],
      },
      termCurves(runs, 'student'),
    ],
    notes: [
      result.resumedFrom === undefined
        ? 'Trained from scratch.'
        : `Resumed from the checkpoint at step ${result.resumedFrom}.`,
      ...(ctx.outDir ? ['The student is saved as a Hugging Face directory in <out>/student.'] : []),
    ],
  };
}

export const distillTask = defineEntry({
  kind: 'task',
  id: 'distill',
  description:
    'distil a teacher (llama2.c, Hugging Face, or precomputed outputs) into a student with any registered losses',
  options: distillOptions,
  create: (options): Task => ({ run: (ctx) => runDistill(options, ctx) }),
});
