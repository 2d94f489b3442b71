import {
  decodeSafetensors,
  defineEntry,
  type MeanStd,
  type PublishedNumber,
  Rng,
  type StoredTensor,
  type Task,
  type TaskContext,
  type TaskResult,
  ValidationError,
} from '@kd/core';
import { type GlueTask, WordPieceTokenizer } from '@kd/data';
import { accuracyScore, f1Score, matthewsCorrcoef } from '@kd/eval';
import type { BertForSequenceClassification } from '@kd/nn';
import { createOptimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Distiller } from '../distiller.js';
import type { FeatureRequest } from '../features.js';
import {
  type DistillBatch,
  PrecomputedTeacher,
  precomputeTeacherOutputs,
  requestKeys,
} from '../teacher.js';
import { aggregate, armSchema, meanCurves, slug, termCurves, toTermSpec } from './common/arms.js';
import { type RunRecord, runGrid } from './common/runner.js';
import { type EncoderAssets, loadEncoderAssets, withPrefix } from './encoder/assets.js';
import { fineTune, predict } from './encoder/finetune.js';
import { type EncodedSplit, encodeGlue, trimmedBatch } from './encoder/glue.js';
import { classifier, type EncoderShape, encoderShape } from './encoder/model.js';
import { initStudentEmbeddingsFromTeacher } from './encoder/pca-init.js';
import { encoderSafetensors } from './encoder/pretrain.js';

const KD = [{ loss: 'ce' }, { loss: { id: 'logit-kd', options: { temperature: 2 } }, weight: 1 }];
const DEFAULT_ARMS = [
  { name: 'hard labels', terms: [{ loss: 'ce' }] },
  { name: '+ output KD', terms: KD },
  {
    name: '+ features + attention',
    terms: [
      ...KD,
      { loss: 'hidden-mse', weight: 0.1, layers: 'uniform' as const },
      { loss: 'attention-kl', weight: 0.3, layers: 'uniform' as const },
    ],
  },
];

const optimSettings = (steps: number, lr: number, warmup: number) =>
  z
    .strictObject({
      steps: z.number().int().positive().default(steps),
      batchSize: z.number().int().positive().default(32),
      lr: z.number().positive().default(lr),
      warmupSteps: z.number().int().nonnegative().default(warmup),
      weightDecay: z.number().nonnegative().default(0.01),
    })
    .prefault({});

export const classificationOptions = z.strictObject({
  /** SST-2 (single sentence) and RTE (sentence pair), bundled by @kd/data. */
  tasks: z
    .array(z.enum(['sst2', 'rte']))
    .min(1)
    .default(['sst2', 'rte']),
  maxLength: z
    .strictObject({
      sst2: z.number().int().min(8).default(48),
      rte: z.number().int().min(8).default(128),
    })
    .prefault({}),
  /** Use at most this many training examples per task (all by default). */
  trainLimit: z.number().int().positive().optional(),
  /** Evaluate on the first this many dev examples (all by default; the quick profile uses fewer). */
  devLimit: z.number().int().positive().optional(),
  /**
   * `bundled`: the fine-tuned teachers shipped in @kd/losses/assets; `fine-tune`:
   * fine-tune them here from the pretrained encoder (and write them to the output directory).
   */
  teachers: z.enum(['bundled', 'fine-tune']).default('bundled'),
  /** For `fine-tune`: a kd-encoder-pretrain output directory (encoder-base.safetensors, vocab.txt); default the bundled base. */
  base: z.string().optional(),
  fineTune: optimSettings(400, 1e-3, 40),
  student: z
    .strictObject({
      hiddenSize: z.number().int().positive().default(24),
      numHiddenLayers: z.number().int().positive().default(2),
      numAttentionHeads: z.number().int().positive().default(4),
      intermediateSize: z.number().int().positive().default(96),
    })
    .prefault({}),
  distill: optimSettings(400, 3e-3, 30),
  /**
   * `teacher-embeddings`: the student's embedding tables start as the
   * teacher's projected on their top principal directions (every arm alike;
   * DistilBERT starts from teacher layers); `random`: from scratch.
   */
  studentInit: z.enum(['teacher-embeddings', 'random']).default('teacher-embeddings'),
  seeds: z.number().int().min(1).default(3),
  arms: z.array(armSchema()).min(1).prefault(DEFAULT_ARMS),
  /** Precompute teacher features once (`auto`: when they fit in 256 MB) or run the teacher per batch. */
  precompute: z.enum(['auto', 'always', 'never']).default('auto'),
});
export type ClassificationOptions = z.output<typeof classificationOptions>;

const LABELS = 2;

function studentShape(o: ClassificationOptions['student'], teacher: EncoderShape): EncoderShape {
  return { ...teacher, ...o };
}

async function encoderFiles(base: string | undefined, ctx: TaskContext): Promise<EncoderAssets> {
  const bundled = await loadEncoderAssets();
  if (!base) return bundled;
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const dir = ctx.resolvePath ? ctx.resolvePath(base) : base;
  const vocab = (await readFile(join(dir, 'vocab.txt'), 'utf8'))
    .split('\n')
    .filter((l) => l !== '');
  const { tensors, metadata } = decodeSafetensors(
    new Uint8Array(await readFile(join(dir, 'encoder-base.safetensors'))),
    { where: join(dir, 'encoder-base.safetensors') },
  );
  const prefixed = Object.fromEntries(Object.entries(tensors).map(([k, v]) => [`base.${k}`, v]));
  return {
    vocab,
    tokenizer: new WordPieceTokenizer(vocab),
    shape: encoderShape.parse(JSON.parse(metadata.config ?? '{}')),
    tensors: prefixed,
    metadata,
  };
}

function evalMetrics(refs: number[], preds: number[]) {
  return {
    accuracy: accuracyScore(refs, preds),
    f1: f1Score(refs, preds) as number,
    mcc: matthewsCorrcoef(refs, preds),
  };
}

/** Examples per second of a forward pass over `split` (batches of 64). */
function throughput(model: BertForSequenceClassification, split: EncodedSplit): number {
  const t0 = performance.now();
  predict(model, split);
  return split.labels.length / ((performance.now() - t0) / 1000);
}

function order(seed: number, n: number, batch: number): (step: number) => number[] {
  const rng = new Rng(seed).fork('data');
  const perms = new Map<number, number[]>();
  return (step) => {
    const rows: number[] = [];
    for (let i = 0; i < batch; i++) {
      const k = step * batch + i;
      const epoch = Math.floor(k / n);
      if (!perms.has(epoch)) perms.set(epoch, rng.fork(`epoch:${epoch}`).permutation(n));
      rows.push((perms.get(epoch) as number[])[k % n]);
    }
    return rows;
  };
}

/**
 * A training batch. With a live teacher it is cut to its longest row
 * (`trim`); precomputed features have the split's fixed length, so then it
 * is not.
 */
function batchOf(split: EncodedSplit, rows: number[], trim = false): DistillBatch {
  return {
    inputs: trim
      ? trimmedBatch(split, rows)
      : {
          inputIds: rows.map((r) => split.inputIds[r]),
          attentionMask: rows.map((r) => split.attentionMask[r]),
          tokenTypeIds: rows.map((r) => split.tokenTypeIds[r]),
        },
    labels: rows.map((r) => split.labels[r]),
    indices: rows,
  };
}

interface TeacherInfo {
  model: BertForSequenceClassification;
  dev: { accuracy: number; f1: number; mcc: number };
  examplesPerSecond: number;
  fineTuneLosses?: number[];
}

async function makeTeacher(
  task: GlueTask,
  assets: EncoderAssets,
  o: ClassificationOptions,
  train: EncodedSplit,
  dev: EncodedSplit,
  ctx: TaskContext,
): Promise<TeacherInfo> {
  const model = classifier(assets.shape, LABELS, ctx.seed);
  const base = withPrefix(assets.tensors, 'base');
  const words = 'bert.embeddings.word_embeddings.weight';
  let fineTuneLosses: number[] | undefined;
  if (o.teachers === 'bundled') {
    const own = withPrefix(assets.tensors, task);
    if (Object.keys(own).length === 0) {
      throw new ValidationError(
        `the bundled assets hold no ${task} teacher; use teachers: fine-tune`,
        [],
        {
          where: 'kd-classification',
        },
      );
    }
    // A teacher stored without word embeddings shares the base's.
    model.loadStateDict({ [words]: base[words], ...own });
  } else {
    const encoder = Object.fromEntries(Object.entries(base).filter(([k]) => k.startsWith('bert.')));
    model.loadStateDict(encoder, { strict: false });
    const f = o.fineTune;
    const optimizer = createOptimizer('adamw', {
      lr: f.lr,
      weightDecay: f.weightDecay,
      noDecay: ['bias', 'LayerNorm.weight'],
      clipGradNorm: 1,
      schedule: {
        id: 'warmup-linear',
        options: { warmupSteps: f.warmupSteps, totalSteps: f.steps },
      },
    });
    ctx.progress.log(`fine-tuning the ${task} teacher (${f.steps} steps)`);
    fineTuneLosses = await fineTune(
      model,
      train,
      optimizer,
      f.steps,
      order(ctx.seed, train.labels.length, f.batchSize),
      ctx.signal,
    );
    optimizer.dispose();
  }
  model.freeze();
  model.eval();
  const dev0 = evalMetrics(dev.labels, predict(model, dev));
  return { model, dev: dev0, examplesPerSecond: throughput(model, dev), fineTuneLosses };
}

export async function runClassification(
  o: ClassificationOptions,
  ctx: TaskContext,
): Promise<TaskResult> {
  const assets = await encoderFiles(o.base, ctx);
  const armSpecs = o.arms.map((a) => ({ name: a.name, terms: a.terms.map(toTermSpec) }));
  const armNames = armSpecs.map((a) => a.name);
  const seeds = Array.from({ length: o.seeds }, (_, k) => ctx.seed + k);
  const sShape = studentShape(o.student, assets.shape);
  const perTask: {
    task: GlueTask;
    teacher: Omit<TeacherInfo, 'model'>;
    teacherParams: number;
    studentParams: number;
    train: number;
    dev: number;
    precomputed: boolean;
  }[] = [];
  const allRuns: RunRecord[] = [];
  const savedTeachers: Record<string, StoredTensor> = {};
  for (const task of o.tasks) {
    const maxLength = o.maxLength[task];
    const train = await encodeGlue(task, 'train', assets.tokenizer, maxLength, o.trainLimit);
    const dev = await encodeGlue(task, 'validation', assets.tokenizer, maxLength, o.devLimit);
    const teacher = await makeTeacher(task, assets, o, train, dev, ctx);
    if (o.teachers === 'fine-tune') {
      for (const [k, p] of teacher.model.namedParameters()) {
        savedTeachers[`${task}.${k}`] = {
          dtype: 'float32',
          shape: [...p.shape],
          data: p.dataSync() as Float32Array,
        };
      }
    }
    // The teacher's features over the training set, once, when they fit.
    const probe = classifier(sShape, LABELS, 0);
    const request: FeatureRequest = { logits: false, layers: {} };
    for (const arm of armSpecs) {
      const d = new Distiller({
        teacher: teacher.model,
        student: probe,
        terms: arm.terms,
        optimizer: { step() {} },
      });
      request.logits ||= d.teacherRequest.logits;
      for (const [k, v] of Object.entries(d.teacherRequest.layers)) {
        const key = k as keyof FeatureRequest['layers'];
        request.layers[key] = [...new Set([...(request.layers[key] ?? []), ...(v ?? [])])].sort(
          (a, b) => a - b,
        );
      }
      d.dispose();
    }
    const studentParams = probe.parameterCount();
    probe.dispose();
    const rowFloats = requestKeys(request).reduce((s, k) => {
      const h = assets.shape.numAttentionHeads;
      const d = assets.shape.hiddenSize;
      if (k === 'logits') return s + LABELS;
      if (k.startsWith('hidden')) return s + maxLength * d;
      return s + h * maxLength * maxLength;
    }, 0);
    const bytes = rowFloats * 4 * train.labels.length;
    // Arms that only use hard labels need nothing from the teacher.
    const precomputed =
      rowFloats > 0 &&
      (o.precompute === 'always' || (o.precompute === 'auto' && bytes <= 256 * 2 ** 20));
    let source: PrecomputedTeacher | undefined;
    if (precomputed) {
      ctx.progress.log(
        `${task}: teacher features for ${train.labels.length} examples (${(bytes / 2 ** 20).toFixed(0)} MB)`,
      );
      const batches: DistillBatch[] = [];
      for (let i = 0; i < train.labels.length; i += 64) {
        batches.push(
          batchOf(
            train,
            Array.from({ length: Math.min(64, train.labels.length - i) }, (_, k) => i + k),
          ),
        );
      }
      source = new PrecomputedTeacher(
        await precomputeTeacherOutputs(teacher.model, batches, request),
      );
    }
    const d = o.distill;
    // One fingerprint for the whole experiment: every task's runs share the
    // checkpoint store, and runGrid returns only this task's cells.
    const runs = await runGrid(
      ctx,
      { task: 'kd-classification', seed: ctx.seed, options: o },
      seeds.flatMap((seed) => armNames.map((arm) => ({ group: task, arm, seed }))),
      async (cell) => {
        const arm = armSpecs.find((a) => a.name === cell.arm) as (typeof armSpecs)[number];
        const student = classifier(sShape, LABELS, cell.seed);
        if (o.studentInit === 'teacher-embeddings')
          initStudentEmbeddingsFromTeacher(student, teacher.model);
        const optimizer = createOptimizer('adamw', {
          lr: d.lr,
          weightDecay: d.weightDecay,
          noDecay: ['bias', 'LayerNorm.weight'],
          clipGradNorm: 1,
          schedule: {
            id: 'warmup-linear',
            options: { warmupSteps: d.warmupSteps, totalSteps: d.steps },
          },
        });
        const distiller = new Distiller({
          teacher: source ?? teacher.model,
          student,
          terms: arm.terms,
          optimizer,
          seed: cell.seed,
        });
        const next = order(cell.seed, train.labels.length, d.batchSize);
        const t = performance.now();
        const result = await distiller.train({
          data: (s) => batchOf(train, next(s), !source),
          steps: d.steps,
          signal: ctx.signal,
        });
        const trainSeconds = (performance.now() - t) / 1000;
        const names = distiller.terms.map((x) => x.name);
        distiller.dispose();
        optimizer.dispose();
        student.freeze();
        const metrics = evalMetrics(dev.labels, predict(student, dev));
        const eps = throughput(student, dev);
        student.dispose();
        return {
          ...cell,
          losses: result.history.map((h) => h.loss),
          terms: Object.fromEntries(names.map((n) => [n, result.history.map((h) => h.terms[n])])),
          metrics: { ...metrics, examples_per_second: eps, train_seconds: trainSeconds },
        };
      },
    );
    allRuns.push(...runs);
    perTask.push({
      task,
      teacher: {
        dev: teacher.dev,
        examplesPerSecond: teacher.examplesPerSecond,
        fineTuneLosses: teacher.fineTuneLosses,
      },
      teacherParams: teacher.model.parameterCount(),
      studentParams,
      train: train.labels.length,
      dev: dev.labels.length,
      precomputed,
    });
    teacher.model.dispose();
  }
  if (o.teachers === 'fine-tune' && ctx.outDir) {
    const { writeFileAtomic } = await import('@kd/core/node');
    const { join } = await import('node:path');
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(savedTeachers)) tensors[k] = tf.tensor(v.data, v.shape);
    await writeFileAtomic(
      join(ctx.outDir, 'teachers.safetensors'),
      encoderSafetensors(tensors, {
        format: 'pt',
        config: JSON.stringify(assets.shape),
        seed: String(ctx.seed),
        dev: JSON.stringify(Object.fromEntries(perTask.map((p) => [p.task, p.teacher.dev]))),
      }),
    );
    tf.dispose(Object.values(tensors));
  }
  return report(o, perTask, allRuns, armNames, ctx);
}

const PUBLISHED: PublishedNumber[] = [
  {
    metric: 'SST-2 dev accuracy (teacher)',
    value: 0.927,
    source: 'DistilBERT README (transformers/examples/research_projects/distillation)',
    setting: 'BERT-base-uncased, 110M parameters, full SST-2 (67k)',
  },
  {
    metric: 'SST-2 dev accuracy (student)',
    value: 0.913,
    source: 'DistilBERT README',
    setting: 'DistilBERT 66M (6 layers × 768), distilled during pretraining',
    kdKey: 'full_sst2_accuracy',
  },
  {
    metric: 'SST-2 dev accuracy (student)',
    value: 0.915,
    source: 'MiniLM README (microsoft/unilm/minilm)',
    setting: 'MiniLM-L6xH384, 22M, teacher UniLMv2-base',
    kdKey: 'full_sst2_accuracy',
  },
  {
    metric: 'SST-2 test accuracy (student)',
    value: 0.926,
    source: 'Jiao et al. 2020 (TinyBERT) Table 1',
    setting: 'TinyBERT4 (4L-312, 14.5M), GLUE test, with data augmentation',
    kdKey: 'full_sst2_accuracy',
  },
  {
    metric: 'RTE dev accuracy (teacher)',
    value: 69.3 / 100,
    source: 'DistilBERT README',
    setting: 'BERT-base-uncased, 110M',
  },
  {
    metric: 'RTE dev accuracy (student)',
    value: 0.599,
    source: 'DistilBERT README',
    setting: 'DistilBERT 66M',
    kdKey: 'full_rte_accuracy',
  },
  {
    metric: 'RTE dev accuracy (student)',
    value: 0.688,
    source: 'MiniLM README',
    setting: 'MiniLM-L6xH384, 22M',
    kdKey: 'full_rte_accuracy',
  },
];

function report(
  o: ClassificationOptions,
  perTask: {
    task: GlueTask;
    teacher: {
      dev: { accuracy: number; f1: number; mcc: number };
      examplesPerSecond: number;
      fineTuneLosses?: number[];
    };
    teacherParams: number;
    studentParams: number;
    train: number;
    dev: number;
    precomputed: boolean;
  }[],
  runs: RunRecord[],
  armNames: string[],
  ctx: TaskContext,
): TaskResult {
  const summary: TaskResult['summary'] = {};
  const tables: TaskResult['tables'] = [];
  const plots: TaskResult['plots'] = [];
  const notes: string[] = [];
  const ms = (x: MeanStd | undefined) => x ?? null;
  for (const p of perTask) {
    const mine = runs.filter((r) => r.group === p.task);
    const agg = aggregate(mine, armNames);
    summary[`teacher_${p.task}_accuracy`] = p.teacher.dev.accuracy;
    summary[`${p.task}_param_ratio`] = p.studentParams / p.teacherParams;
    armNames.forEach((arm, i) => {
      const k = i === armNames.length - 1 ? 'full' : slug(arm);
      summary[`${k}_${p.task}_accuracy`] = agg[arm].accuracy;
    });
    tables.push({
      id: `${p.task}-quality`,
      title: `${p.task.toUpperCase()} dev (${p.dev} examples; trained on ${p.train}), mean ± std over ${o.seeds} seeds`,
      columns: [
        { key: 'model', label: 'model', format: 'text' },
        { key: 'params', label: 'parameters', format: 'int' },
        { key: 'accuracy', label: 'accuracy', format: 'pct' },
        { key: 'f1', label: 'F1 (label 1)', format: 'pct' },
        { key: 'mcc', label: 'MCC', format: 'float', digits: 3 },
        { key: 'examples_per_second', label: 'examples/s', format: 'float', digits: 0 },
      ],
      rows: [
        {
          model: 'teacher',
          params: p.teacherParams,
          ...p.teacher.dev,
          examples_per_second: p.teacher.examplesPerSecond,
        },
        ...armNames.map((arm) => ({
          model: `student: ${arm}`,
          params: p.studentParams,
          accuracy: ms(agg[arm].accuracy),
          f1: ms(agg[arm].f1),
          mcc: ms(agg[arm].mcc),
          examples_per_second: ms(agg[arm].examples_per_second),
        })),
      ],
    });
    plots.push({
      id: `${p.task}-accuracy`,
      title: `${p.task.toUpperCase()} dev accuracy by arm (mean over seeds; teacher ${(p.teacher.dev.accuracy * 100).toFixed(1)}%)`,
      kind: 'bar',
      xLabel: 'arm',
      yLabel: 'accuracy',
      categories: armNames,
      lines: [
        {
          name: 'accuracy',
          x: armNames.map((_, i) => i),
          y: armNames.map((a) => agg[a].accuracy.mean),
        },
      ],
    });
    plots.push({
      ...meanLossPlot(mine, armNames),
      id: `${p.task}-loss`,
      title: `${p.task.toUpperCase()} training loss, mean over seeds`,
    });
    plots.push({ ...termCurves(mine, armNames.at(-1) as string), id: `${p.task}-terms` });
    notes.push(
      `${p.task.toUpperCase()}: teacher ${p.teacherParams} parameters (${o.teachers === 'bundled' ? 'bundled fine-tuned teacher' : `fine-tuned here for ${o.fineTune.steps} steps`}), dev accuracy ${(p.teacher.dev.accuracy * 100).toFixed(1)}%; student ${p.studentParams} parameters (${(p.studentParams / p.teacherParams).toFixed(3)} of the teacher), ${o.distill.steps} steps of ${o.distill.batchSize}; teacher features ${p.precomputed ? 'precomputed once' : 'computed live per batch (too large to hold)'}.`,
    );
    const hard = agg[armNames[0]].accuracy;
    const full = agg[armNames.at(-1) as string].accuracy;
    notes.push(
      `${p.task.toUpperCase()}: full loss ${(full.mean * 100).toFixed(1)} ± ${(full.std * 100).toFixed(1)}% vs hard labels ${(hard.mean * 100).toFixed(1)} ± ${(hard.std * 100).toFixed(1)}%${full.mean > hard.mean ? '' : ' — the alignment terms did not help here'}.`,
    );
  }
  notes.push(
    'The teacher is a 4-layer, 64-wide BERT over a 4,096-piece vocabulary pruned from bert-base-uncased, pretrained with masked-LM on ~0.5M tokens of bundled text (WikiText-2 validation, SST-2 and RTE training sentences), not BERT-base on 3.3B words: the published numbers below are for models ~230× larger, trained on full GLUE, and are there for scale, not as a target.',
    'F1 is for label 1 (SST-2 positive; RTE not_entailment), as scikit-learn’s binary default; MCC is scikit-learn’s matthews_corrcoef.',
    `Wall-clock numbers from this machine (${ctx.profile} profile).`,
  );
  return {
    task: 'kd-classification',
    title:
      'Distilling a pretrained encoder on SST-2 and RTE: hard labels vs output KD vs full multi-task loss',
    summary,
    tables,
    plots,
    published: PUBLISHED,
    notes,
  };
}

function meanLossPlot(runs: RunRecord[], arms: string[]) {
  return {
    id: 'loss',
    title: 'Training loss',
    kind: 'line' as const,
    xLabel: 'step',
    yLabel: 'loss',
    lines: meanCurves(runs, arms),
  };
}

export const classificationTask = defineEntry({
  kind: 'task',
  id: 'kd-classification',
  description:
    'distil a masked-LM-pretrained encoder fine-tuned on SST-2 and RTE into a ≤ 1/4-size student: hard labels vs + output KD vs + hidden/attention alignment (accuracy, F1, MCC)',
  options: classificationOptions,
  create: (options): Task => ({
    run: (ctx) => runClassification(options, ctx),
  }),
});
