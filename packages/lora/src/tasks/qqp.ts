import {
  defineEntry,
  entryRef,
  type MeanStd,
  type ResultTable,
  type TaskContext,
  type TaskResult,
  ValidationError,
} from '@kd/core';
import { type GlueHandle, loadBertUncasedTokenizer } from '@kd/data';
import { accuracyScore, f1Score, matthewsCorrcoef } from '@kd/eval';
import { type BertForSequenceClassification, type HFFiles, loadHF } from '@kd/nn';
import type { Optimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { LoraModel } from '../model.js';
import type { AdapterFactory } from '../plugin.js';
import { armArtifactName, artifactsNote, saveArmArtifact } from './artifacts.js';
import {
  adamwWithWarmup,
  aggregate,
  armKey,
  armKeys,
  checkAbort,
  median,
  RunLog,
  StepLog,
} from './common.js';
import {
  baseFiles,
  baseOptions,
  type PretrainedBase,
  pretrainBase,
  readBase,
  writeBase,
} from './qqp-base.js';
import {
  BatchStream,
  type CompactVocab,
  encodePairs,
  loadQqpSplits,
  type PairExample,
  padBatch,
} from './qqp-data.js';

const arm = z.strictObject({
  /** Label in tables (`full`, `lora`, …). */
  name: z.string().min(1),
  /** An `adapter:<id>` entry; null fine-tunes every weight (the baseline). */
  adapter: entryRef('adapter').nullable(),
  lr: z.number().positive(),
});

const ADAPTER = {
  r: 8,
  loraAlpha: 16,
  loraDropout: 0.05,
  targetModules: 'all-linear',
  taskType: 'SEQ_CLS',
  // The MLM base has no trained pooler (BERT trains it with NSP): train it in full.
  modulesToSave: ['pooler'],
};

export const qqpOptions = z.strictObject({
  /** A GLUE QQP `dataset:` entry (QQP is non-commercial: `glue-qqp` comes from @kd/datasets-nc). */
  dataset: entryRef('dataset').prefault('glue-qqp'),
  /** Rows held out of fine-tuning and pretraining for evaluation (fixed split, same for every run). */
  heldOut: z.number().int().positive().default(1000),
  /** Score only the first this-many held-out rows (quick runs); the split itself is unchanged. */
  evalRows: z.number().int().positive().optional(),
  maxLength: z.number().int().min(8).default(64),
  base: z
    .strictObject({
      /** A base directory from `lora-qqp-base` (config.json, model.safetensors, vocab.txt; plain or .gz). */
      path: z.string().min(1).optional(),
      /** Used when `path` is unset or missing: pretrain the base in this run. */
      pretrain: baseOptions.default(baseOptions.parse({})),
    })
    .default({ pretrain: baseOptions.parse({}) }),
  steps: z.number().int().positive().default(600),
  batchSize: z.number().int().positive().default(32),
  evalBatchSize: z.number().int().positive().default(128),
  warmupRatio: z.number().min(0).max(1).default(0.06),
  weightDecay: z.number().min(0).default(0.01),
  /** Dropout of the encoder and head during fine-tuning. */
  dropout: z.number().min(0).lt(1).default(0.1),
  seeds: z.array(z.number().int().nonnegative()).min(1).default([0, 1, 2]),
  arms: z
    .array(arm)
    .min(1)
    .prefault([
      { name: 'full fine-tuning', adapter: null, lr: 1e-3 },
      { name: 'LoRA', adapter: { id: 'lora', options: ADAPTER }, lr: 2e-3 },
      { name: 'rsLoRA', adapter: { id: 'rslora', options: ADAPTER }, lr: 2e-3 },
      { name: 'DoRA', adapter: { id: 'dora', options: ADAPTER }, lr: 2e-3 },
      { name: 'LoRA+', adapter: { id: 'loraplus', options: ADAPTER }, lr: 1e-3 },
      { name: 'PiSSA', adapter: { id: 'pissa', options: ADAPTER }, lr: 2e-3 },
    ]),
});
export type QqpOptions = z.output<typeof qqpOptions>;

interface Run {
  arm: string;
  seed: number;
  accuracy: number;
  f1: number;
  mcc: number;
  trainable: number;
  total: number;
  stepMs: number;
  peakBytes: number;
  finalLoss: number;
}

/**
 * `BertForSequenceClassification` from the MLM base. The base has no pooler
 * (BERT trains it with next-sentence prediction), so the pooler and the
 * classifier start from the seeded initialisation, as `from_pretrained`
 * does; any other missing or unexpected weight is an error.
 */
export function classifierFromBase(
  baseHF: HFFiles,
  dropout: number,
  seed: number,
): BertForSequenceClassification {
  const { model, report } = loadHF(baseHF, {
    architecture: 'BertForSequenceClassification',
    config: { numLabels: 2, hiddenDropoutProb: dropout, attentionProbsDropoutProb: dropout },
    seed,
    strict: false,
  });
  const stray = [
    ...report.missing.filter((k) => !k.startsWith('bert.pooler.')),
    ...report.unexpected,
  ];
  if (stray.length > 0) {
    model.dispose();
    throw new ValidationError(
      `the base checkpoint does not fit BERT: ${stray.slice(0, 5).join(', ')}`,
    );
  }
  return model as unknown as BertForSequenceClassification;
}

/** Accuracy, F1 and MCC (duplicate = positive) of `model` on encoded pairs, in eval mode. */
export async function evaluateClassifier(
  model: BertForSequenceClassification,
  rows: readonly PairExample[],
  batchSize: number,
) {
  model.eval();
  const predictions: number[] = [];
  for (let i = 0; i < rows.length; i += batchSize) {
    const b = padBatch(rows.slice(i, i + batchSize));
    const pred = tf.tidy(() => tf.argMax(model.forward(b).logits, -1).dataSync());
    predictions.push(...Array.from(pred));
  }
  const references = rows.map((r) => r.label);
  return {
    accuracy: accuracyScore(references, predictions),
    f1: f1Score(references, predictions, { average: 'binary', pos_label: 1 }) as number,
    mcc: matthewsCorrcoef(references, predictions),
  };
}

async function fineTune(
  ctx: TaskContext,
  o: QqpOptions,
  baseHF: HFFiles,
  train: readonly PairExample[],
  heldOut: readonly PairExample[],
  armIndex: number,
  seed: number,
): Promise<Run> {
  const a = o.arms[armIndex];
  const model = classifierFromBase(baseHF, o.dropout, seed);
  // Released in `finally`: neither the optimiser's moments nor a wrapper's own
  // tensors (PiSSA's initial factors, modules_to_save copies) live in the model.
  let lora: LoraModel | undefined;
  let optimizerToDispose: Optimizer | undefined;
  try {
    const factory = a.adapter
      ? ctx.registry.create<AdapterFactory>('adapter', a.adapter.id, a.adapter.options)
      : undefined;
    lora = factory?.apply(model, { seed });
    const params = lora ? lora.trainableParameters() : model.trainableParameters();
    const trainable = Object.values(params).reduce((s, p) => s + p.size, 0);
    const total = model.parameterCount();
    const optimizer = adamwWithWarmup(ctx.registry, {
      lr: a.lr,
      steps: o.steps,
      warmupRatio: o.warmupRatio,
      weightDecay: o.weightDecay,
      groups: lora && factory ? factory.optimizerGroups(lora) : [],
    });
    optimizerToDispose = optimizer;
    const stream = new BatchStream(train.length, o.batchSize, `${seed}:qqp-batches`);
    const stage = ctx.progress.stage(`${a.name}, seed ${seed}`, o.steps, 'steps');
    const log = new StepLog();
    model.train();
    for (let step = 0; step < o.steps; step++) {
      checkAbort(ctx.signal, `${a.name} seed ${seed}`);
      const b = padBatch(stream.next().map((i) => train[i]));
      const loss = () =>
        tf.tidy(() => {
          const { logits } = model.forward(b);
          return tf.losses.softmaxCrossEntropy(
            tf.oneHot(tf.tensor1d(b.labels, 'int32'), 2),
            logits,
          ) as tf.Scalar;
        });
      stage.tick(1, { loss: await log.step(step, params, optimizer, loss) });
    }
    stage.done();
    const metrics = await evaluateClassifier(model, heldOut, o.evalBatchSize);
    // One run per arm is kept: the first seed's (deterministic, and not picked on the held-out split).
    if (ctx.artifacts && seed === o.seeds[0]) {
      await saveArmArtifact(ctx.artifacts, armKey(a.name), model, lora);
    }
    return {
      arm: a.name,
      seed,
      ...metrics,
      trainable,
      total,
      stepMs: median(log.times),
      peakBytes: log.peak,
      finalLoss: log.finalLoss(),
    };
  } finally {
    optimizerToDispose?.dispose();
    if (lora) lora.dispose();
    else model.dispose();
  }
}

function table(o: QqpOptions, runs: Run[]): ResultTable {
  const rows = o.arms.map((a) => {
    const rs = runs.filter((r) => r.arm === a.name);
    return {
      arm: a.name,
      accuracy: aggregate(rs, (r) => r.accuracy),
      f1: aggregate(rs, (r) => r.f1),
      mcc: aggregate(rs, (r) => r.mcc),
      trainable: rs[0]?.trainable ?? null,
      share: rs[0] ? rs[0].trainable / rs[0].total : null,
      stepMs: aggregate(rs, (r) => r.stepMs),
      peak: rs[0] ? Math.max(...rs.map((r) => r.peakBytes)) : null,
      lr: a.lr,
    };
  });
  return {
    id: 'qqp',
    title: `QQP held-out (${o.evalRows ? Math.min(o.evalRows, o.heldOut) : o.heldOut} pairs): mean ± std over ${o.seeds.length} seeds, ${o.steps} steps × ${o.batchSize}`,
    columns: [
      { key: 'arm', label: 'method', format: 'text' },
      { key: 'accuracy', label: 'accuracy %', format: 'pct' },
      { key: 'f1', label: 'F1 % (duplicate)', format: 'pct' },
      { key: 'mcc', label: 'MCC', format: 'float', digits: 3 },
      { key: 'trainable', label: 'trainable params', format: 'int' },
      { key: 'share', label: 'trainable %', format: 'pct', digits: 1 },
      { key: 'stepMs', label: 'step', format: 'ms' },
      { key: 'peak', label: 'peak tensor memory', format: 'bytes' },
      { key: 'lr', label: 'lr', format: 'float', digits: 4 },
    ],
    rows,
    notes: [
      'Accuracy, F1 and MCC with duplicate (label 1) as the positive class, computed by @kd/eval (scikit-learn definitions).',
      'Step time is the median wall time of a training step (forward, backward, AdamW) after two warm-up steps; peak memory is tfjs’ peak tensor bytes during one profiled step, weights included.',
    ],
  };
}

/**
 * The QQP experiment: an in-domain masked-LM base (loaded, or pretrained
 * here), then full fine-tuning against LoRA, rsLoRA, DoRA, LoRA+ and PiSSA
 * at the same steps, batch size, schedule and seeds, scored on a held-out
 * split that neither pretraining nor fine-tuning saw.
 */
export const qqpTask = defineEntry({
  kind: 'task',
  id: 'lora-qqp',
  description:
    'QQP: full fine-tuning vs LoRA, rsLoRA, DoRA, LoRA+ and PiSSA on an in-domain MLM-pretrained BERT (accuracy, F1, MCC, params, step time, memory; mean ± std over seeds)',
  options: qqpOptions,
  create: (o) => ({
    run: async (ctx: TaskContext): Promise<TaskResult> => {
      const started = performance.now();
      const keys = armKeys(o.arms);
      const handle = ctx.registry.create<GlueHandle>('dataset', o.dataset.id, o.dataset.options);
      if (handle.info.task !== 'qqp') {
        throw new ValidationError(
          `dataset "${o.dataset.id}" is GLUE ${handle.info.task}; this task needs QQP`,
        );
      }
      const tokenizer = await loadBertUncasedTokenizer();
      const splits = await loadQqpSplits(handle, o.heldOut);
      // The base: a bundled/pretrained directory, or pretrain it now on the training rows.
      let baseHF: HFFiles;
      let vocab: CompactVocab;
      let baseNote: string;
      let baseName: string;
      const path = o.base.path ? (ctx.resolvePath?.(o.base.path) ?? o.base.path) : undefined;
      let loaded: Awaited<ReturnType<typeof readBase>> | undefined;
      if (path) {
        try {
          loaded = await readBase(path, tokenizer);
        } catch (error) {
          if (!(error instanceof Error && /ENOENT|not found/i.test(error.message))) throw error;
        }
      }
      if (loaded) {
        baseHF = loaded.files;
        vocab = loaded.vocab;
        baseName = `the base in ${o.base.path}`;
        baseNote = `Base encoder loaded from ${o.base.path} (MLM-pretrained on the training rows' question pairs by recipes/qqp-base.yaml).`;
      } else {
        const base: PretrainedBase = await pretrainBase({
          rows: splits.train,
          tokenizer,
          maxLength: o.maxLength,
          base: o.base.pretrain,
          seed: ctx.seed,
          registry: ctx.registry,
          progress: ctx.progress,
          signal: ctx.signal,
        });
        const files = baseFiles(base, {
          task: 'lora-qqp',
          seed: ctx.seed,
          pretrain: o.base.pretrain,
        });
        // The adapters apply to this base only: keep it beside them.
        if (ctx.artifacts) await ctx.artifacts.save('qqp-base', files);
        else if (ctx.outDir) await writeBase(`${ctx.outDir}/qqp-base`, files);
        baseHF = {
          config: files['config.json'],
          weights: files['model.safetensors'] as Uint8Array,
        };
        vocab = base.vocab;
        base.model.dispose();
        baseName = 'the base pretrained in this run (artefact qqp-base)';
        baseNote = `Base encoder MLM-pretrained in this run (${o.base.pretrain.steps} steps, final MLM loss ${base.finalLoss.toFixed(3)}).`;
      }
      const train = encodePairs(splits.train, tokenizer, vocab, o.maxLength);
      const heldOut = encodePairs(
        o.evalRows ? splits.heldOut.slice(0, o.evalRows) : splits.heldOut,
        tokenizer,
        vocab,
        o.maxLength,
      );
      const log = await RunLog.open<Run>(ctx.checkpoints);
      for (const seed of o.seeds) {
        for (let i = 0; i < o.arms.length; i++) {
          if (log.runs.some((r) => r.arm === o.arms[i].name && r.seed === seed)) continue;
          await log.add(await fineTune(ctx, o, baseHF, train, heldOut, i, seed));
        }
      }
      const runs = log.runs;
      const t = table(o, runs);
      const summary: Record<string, number | string | MeanStd> = {};
      for (const [i, row] of t.rows.entries()) {
        const key = keys[i];
        summary[`${key}_accuracy`] = row.accuracy as MeanStd;
        summary[`${key}_f1`] = row.f1 as MeanStd;
        summary[`${key}_mcc`] = row.mcc as MeanStd;
      }
      const majority =
        Math.max(...[0, 1].map((c) => heldOut.filter((r) => r.label === c).length)) /
        heldOut.length;
      summary.majority_baseline_accuracy = majority;
      return {
        task: 'lora-qqp',
        title: 'LoRA family vs full fine-tuning on QQP',
        summary,
        tables: [t],
        plots: [
          {
            id: 'qqp-accuracy',
            title: 'Held-out accuracy by method (mean over seeds)',
            kind: 'bar',
            xLabel: 'method',
            yLabel: 'accuracy',
            categories: t.rows.map((r) => String(r.arm)),
            lines: [
              {
                name: 'accuracy',
                x: t.rows.map((_, i) => i),
                y: t.rows.map((r) => (r.accuracy as MeanStd).mean),
              },
            ],
          },
          {
            id: 'qqp-params',
            title: 'Accuracy vs trainable parameters',
            kind: 'scatter',
            xLabel: 'trainable parameters',
            yLabel: 'accuracy',
            logX: true,
            lines: t.rows.map((r) => ({
              name: String(r.arm),
              x: [Number(r.trainable)],
              y: [(r.accuracy as MeanStd).mean],
            })),
          },
        ],
        published: [
          {
            metric: 'QQP dev accuracy, LoRA (r=8 on Wq, Wv)',
            value: 0.908,
            source: 'Hu et al., ICLR 2022 (Table 2)',
            setting: 'RoBERTa-base (125M), full QQP (364k pairs), 25 epochs',
            kdKey: 'lora_accuracy',
          },
          {
            metric: 'QQP dev accuracy, full fine-tuning',
            value: 0.919,
            source: 'Hu et al., ICLR 2022 (Table 2)',
            setting: 'RoBERTa-base (125M), full QQP',
            kdKey: 'full_fine_tuning_accuracy',
          },
          {
            metric: 'QQP dev accuracy, LoRA',
            value: 0.916,
            source: 'Hu et al., ICLR 2022 (Table 2)',
            setting: 'RoBERTa-large (355M)',
          },
        ],
        notes: [
          baseNote,
          `Data: ${train.length} training and ${heldOut.length} held-out QQP pairs (${handle.bundled ? 'the bundled 5,000-row sample of QQP train' : 'the dataset folder given'}); the held-out rows are a fixed random split, identical for every arm and seed. Majority-class accuracy on them: ${(majority * 100).toFixed(1)} %.`,
          'The published numbers use a 125M–355M-parameter RoBERTa pretrained on 160 GB of text and fine-tuned on 364k pairs; this base has a few hundred thousand parameters pretrained on a few thousand question pairs, so only the comparison between methods (same budget, same seeds) carries over, not the absolute level.',
          'Every adapter arm targets all linear layers (all-linear, classifier excluded) with r = 8, α = 16, dropout 0.05, and trains the pooler and classifier in full (modules_to_save); LoRA+ uses η_B/η_A = 16. Learning rates are per method (column lr, picked on seed 0 of the quick setting: LoRA+ collapses to the majority class at the LoRA rate, so its base rate is halved); everything else is identical.',
          ...(ctx.artifacts
            ? [
                artifactsNote(
                  o.arms.map((a, i) => armArtifactName(keys[i], a.adapter !== null)),
                  o.seeds[0],
                  baseName,
                ),
              ]
            : []),
          `Wall time ${((performance.now() - started) / 1000).toFixed(1)} s for this call.`,
        ],
      };
    },
  }),
});
