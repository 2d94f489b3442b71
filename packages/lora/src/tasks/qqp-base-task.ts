import {
  defineEntry,
  entryRef,
  type TaskContext,
  type TaskResult,
  ValidationError,
} from '@kd/core';
import { type GlueHandle, loadBertUncasedTokenizer } from '@kd/data';
import { z } from 'zod';
import { baseFiles, baseOptions, gzipFiles, pretrainBase, writeBase } from './qqp-base.js';
import { loadQqpSplits } from './qqp-data.js';

export const qqpBaseOptions = z.strictObject({
  dataset: entryRef('dataset').prefault('glue-qqp'),
  /** Must equal the experiment's `heldOut`, so the base never sees the evaluation rows. */
  heldOut: z.number().int().positive().default(1000),
  maxLength: z.number().int().min(8).default(64),
  pretrain: baseOptions.default(baseOptions.parse({})),
  /**
   * Directory to write (relative to the recipe), besides the run's artefact
   * `qqp-base`; without an artefact sink, default `<outDir>/qqp-base`.
   */
  out: z.string().min(1).optional(),
  /** Write gzip files (`config.json.gz`, …), as bundled assets are stored. */
  gzip: z.boolean().default(false),
});

/**
 * Pretrains the QQP experiment's base encoder with masked-LM on the training
 * rows' question pairs and writes it as a directory (`config.json`,
 * `model.safetensors`, `vocab.txt`, `provenance.json`): the artefact
 * `qqp-base` when the run has an artefact sink, and `out` when set. This is
 * how the base bundled in @kd/datasets-nc was made; the recipe and seed
 * reproduce it.
 */
export const qqpBaseTask = defineEntry({
  kind: 'task',
  id: 'lora-qqp-base',
  description:
    'QQP experiment base: a small BERT pretrained with masked-LM on QQP training questions (in-domain), written as a model directory',
  options: qqpBaseOptions,
  create: (o) => ({
    run: async (ctx: TaskContext): Promise<TaskResult> => {
      const started = performance.now();
      const handle = ctx.registry.create<GlueHandle>('dataset', o.dataset.id, o.dataset.options);
      if (handle.info.task !== 'qqp') {
        throw new ValidationError(
          `dataset "${o.dataset.id}" is GLUE ${handle.info.task}; this task needs QQP`,
        );
      }
      // An explicit `out` (the bundled asset) is written as well as the artefact.
      const out = o.out
        ? (ctx.resolvePath?.(o.out) ?? o.out)
        : !ctx.artifacts && ctx.outDir
          ? `${ctx.outDir}/qqp-base`
          : undefined;
      if (!out && !ctx.artifacts)
        throw new ValidationError(
          'nowhere to write the base: set `out`, or run with an output directory or an artefact sink',
        );
      const tokenizer = await loadBertUncasedTokenizer();
      const splits = await loadQqpSplits(handle, o.heldOut);
      const base = await pretrainBase({
        rows: splits.train,
        tokenizer,
        maxLength: o.maxLength,
        base: o.pretrain,
        seed: ctx.seed,
        registry: ctx.registry,
        progress: ctx.progress,
        signal: ctx.signal,
      });
      const params = base.model.parameterCount();
      const plain = baseFiles(base, {
        task: 'lora-qqp-base',
        seed: ctx.seed,
        dataset: o.dataset,
        heldOut: o.heldOut,
        maxLength: o.maxLength,
        pretrain: o.pretrain,
        trainRows: splits.train.length,
        finalMlmLoss: base.finalLoss,
      });
      base.model.dispose();
      const files = o.gzip ? await gzipFiles(plain) : plain;
      const written: string[] = [];
      if (ctx.artifacts) {
        await ctx.artifacts.save('qqp-base', files);
        written.push('the artefact qqp-base');
      }
      if (out) {
        await writeBase(out, files);
        written.push(out);
      }
      const seconds = (performance.now() - started) / 1000;
      return {
        task: 'lora-qqp-base',
        title: 'MLM pretraining of the QQP base encoder',
        summary: {
          final_mlm_loss: base.finalLoss,
          parameters: params,
          vocabulary: base.vocab.size,
          seconds,
        },
        tables: [],
        plots: [],
        notes: [
          `Pretrained on ${splits.train.length} QQP training pairs (the ${o.heldOut} held-out rows excluded), ${o.pretrain.steps} steps of ${o.pretrain.batchSize}.`,
          `Written to ${written.join(' and ')}${o.gzip ? ' (gzip)' : ''}.`,
        ],
      };
    },
  }),
});
