import {
  defineEntry,
  entryRef,
  type MeanStd,
  type Registry,
  type TaskContext,
  type TaskResult,
  ValidationError,
} from '@kd/core';
import {
  type Llama2cTokenizer,
  LmWindowSampler,
  lmSequentialBatches,
  loadStories260K,
  loadStories260KTokenizer,
  splitTrainVal,
  type TextHandle,
} from '@kd/data';
import { perplexity } from '@kd/eval';
import { crossEntropy, type LlamaForCausalLM, loadLlama2c } from '@kd/nn';
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

const arm = z.strictObject({
  name: z.string().min(1),
  /** `adapter:<id>` entry; null trains every weight; `steps: 0` arms just evaluate. */
  adapter: entryRef('adapter').nullable(),
  lr: z.number().positive(),
  /** Override the shared step count (0 = the pretrained model as it is). */
  steps: z.number().int().nonnegative().optional(),
});

const lora = (r: number) => ({
  id: 'lora',
  options: { r, loraAlpha: 2 * r, targetModules: 'all-linear', taskType: 'CAUSAL_LM' },
});

export const generativeOptions = z.strictObject({
  dataset: entryRef('dataset').prefault('tinyshakespeare'),
  /** nanoGPT's split: the first 90 % trains, the last 10 % is held out. */
  trainFraction: z.number().gt(0).lt(1).default(0.9),
  /** Use only the first this-many characters of the train part (quick runs). */
  trainChars: z.number().int().positive().optional(),
  /** Score only the first this-many characters of the held-out part. */
  evalChars: z.number().int().positive().optional(),
  blockSize: z.number().int().min(2).default(128),
  batchSize: z.number().int().positive().default(16),
  evalBatchSize: z.number().int().positive().default(16),
  steps: z.number().int().positive().default(400),
  warmupRatio: z.number().min(0).max(1).default(0.05),
  weightDecay: z.number().min(0).default(0),
  seeds: z.array(z.number().int().nonnegative()).min(1).default([0, 1, 2]),
  arms: z
    .array(arm)
    .min(1)
    .prefault([
      { name: 'stories260K (no adaptation)', adapter: null, lr: 1e-3, steps: 0 },
      { name: 'LoRA r=2', adapter: lora(2), lr: 5e-3 },
      { name: 'LoRA r=8', adapter: lora(8), lr: 5e-3 },
      { name: 'LoRA r=32', adapter: lora(32), lr: 5e-3 },
      { name: 'full fine-tuning', adapter: null, lr: 2e-3 },
    ]),
});
export type GenerativeOptions = z.output<typeof generativeOptions>;

interface Run {
  arm: string;
  seed: number;
  perplexity: number;
  trainable: number;
  total: number;
  stepMs: number;
  peakBytes: number;
  finalLoss: number;
}

/** llama2.c's tokenizer merges greedily over a whole text (quadratic), so encode paragraph by paragraph. */
function encodeText(tokenizer: Llama2cTokenizer, text: string): Int32Array {
  const out: number[] = [];
  for (const para of text.split(/(?<=\n\n)/)) {
    if (para.length > 0) out.push(...tokenizer.encode(para, { addSpecialTokens: false }).ids);
  }
  return Int32Array.from(out);
}

/**
 * The token ids a run trains and scores on: the dataset's text split
 * (`trainFraction`), trimmed to `trainChars` / `evalChars`, encoded with
 * stories260K's tokenizer.
 */
export async function generativeTokens(
  registry: Registry,
  o: GenerativeOptions,
): Promise<{ train: Int32Array; heldOut: Int32Array }> {
  const handle = registry.create<TextHandle>('dataset', o.dataset.id, o.dataset.options);
  if (handle.kind !== 'text')
    throw new ValidationError(`dataset "${o.dataset.id}" is not a text corpus`);
  const text = await handle.load(handle.splits[0]);
  const split = splitTrainVal(text, o.trainFraction);
  const trainText = o.trainChars ? split.train.slice(0, o.trainChars) : split.train;
  const evalText = o.evalChars ? split.val.slice(0, o.evalChars) : split.val;
  const tokenizer = await loadStories260KTokenizer({ addBos: false });
  return { train: encodeText(tokenizer, trainText), heldOut: encodeText(tokenizer, evalText) };
}

/** Corpus perplexity of `model` over non-overlapping held-out windows, in eval mode. */
export function heldOutPerplexity(
  model: LlamaForCausalLM,
  ids: Int32Array,
  o: Pick<GenerativeOptions, 'blockSize' | 'evalBatchSize'>,
): number {
  model.eval();
  const logprobs: Float32Array[] = [];
  for (const b of lmSequentialBatches(ids, {
    blockSize: o.blockSize,
    batchSize: o.evalBatchSize,
  })) {
    const lp = tf.tidy(() => {
      const inputs = tf.tensor2d(b.inputIds, [b.batchSize, b.blockSize], 'int32');
      const { logits } = model.forward({ inputIds: inputs });
      const all = tf.logSoftmax(logits.reshape([-1, logits.shape[2] as number]));
      const targets = tf.tensor1d(b.targets, 'int32');
      return tf
        .sum(tf.mul(all, tf.oneHot(targets, all.shape[1] as number)), 1)
        .dataSync() as Float32Array;
    });
    for (let r = 0; r < b.batchSize; r++)
      logprobs.push(lp.slice(r * b.blockSize, (r + 1) * b.blockSize));
  }
  // Corpus perplexity: exp(total NLL / total tokens) over every held-out window.
  return perplexity({ token_logprobs: logprobs }).corpus_perplexity;
}

async function runArm(
  ctx: TaskContext,
  o: GenerativeOptions,
  checkpoint: Uint8Array,
  train: Int32Array,
  heldOut: Int32Array,
  index: number,
  seed: number,
): Promise<Run> {
  const a = o.arms[index];
  const steps = a.steps ?? o.steps;
  const model = loadLlama2c(checkpoint);
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
    const trainable = steps === 0 ? 0 : Object.values(params).reduce((s, p) => s + p.size, 0);
    const total = model.parameterCount();
    const log = new StepLog();
    if (steps > 0) {
      const optimizer = adamwWithWarmup(ctx.registry, {
        lr: a.lr,
        steps,
        warmupRatio: o.warmupRatio,
        weightDecay: o.weightDecay,
        groups: lora && factory ? factory.optimizerGroups(lora) : [],
      });
      optimizerToDispose = optimizer;
      const sampler = new LmWindowSampler(train, {
        blockSize: o.blockSize,
        batchSize: o.batchSize,
        seed: `${seed}:windows`,
      });
      const stage = ctx.progress.stage(`${a.name}, seed ${seed}`, steps, 'steps');
      model.train();
      for (let step = 0; step < steps; step++) {
        checkAbort(ctx.signal, `${a.name} seed ${seed}`);
        const b = sampler.next();
        const loss = () =>
          tf.tidy(() => {
            const { logits } = model.forward({
              inputIds: tf.tensor2d(b.inputIds, [b.batchSize, b.blockSize], 'int32'),
            });
            return crossEntropy(
              logits,
              tf.tensor2d(b.targets, [b.batchSize, b.blockSize], 'int32'),
            );
          });
        stage.tick(1, { loss: await log.step(step, params, optimizer, loss) });
      }
      stage.done();
    }
    const ppl = heldOutPerplexity(model, heldOut, o);
    // One run per arm is kept: the first seed's (deterministic, and not picked on the held-out text).
    if (ctx.artifacts && steps > 0 && seed === o.seeds[0]) {
      await saveArmArtifact(ctx.artifacts, armKey(a.name), model, lora);
    }
    return {
      arm: a.name,
      seed,
      perplexity: ppl,
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

/**
 * Adapts Karpathy's stories260K (a 260K-parameter Llama trained on
 * TinyStories) to Tiny Shakespeare: LoRA at several ranks against full
 * fine-tuning at the same steps and seeds, scored by held-out perplexity
 * (the last 10 % of the text), against trainable parameters.
 */
export const generativeTask = defineEntry({
  kind: 'task',
  id: 'lora-generative',
  description:
    'stories260K → Tiny Shakespeare: LoRA (several ranks) vs full fine-tuning; held-out perplexity vs trainable parameters',
  options: generativeOptions,
  create: (o) => ({
    run: async (ctx: TaskContext): Promise<TaskResult> => {
      const started = performance.now();
      const keys = armKeys(o.arms);
      const { train, heldOut } = await generativeTokens(ctx.registry, o);
      const { legacy } = await loadStories260K();
      const log = await RunLog.open<Run>(ctx.checkpoints);
      for (const seed of o.seeds) {
        for (let i = 0; i < o.arms.length; i++) {
          const a = o.arms[i];
          // An arm that does not train gives the same number for every seed: run it once.
          if ((a.steps ?? o.steps) === 0 && seed !== o.seeds[0]) continue;
          if (log.runs.some((r) => r.arm === a.name && r.seed === seed)) continue;
          await log.add(await runArm(ctx, o, legacy, train, heldOut, i, seed));
        }
      }
      const rows = o.arms.map((a) => {
        const rs = log.runs.filter((r) => r.arm === a.name);
        return {
          arm: a.name,
          perplexity: aggregate(rs, (r) => r.perplexity),
          trainable: rs[0]?.trainable ?? null,
          share: rs[0] ? rs[0].trainable / rs[0].total : null,
          stepMs: (a.steps ?? o.steps) === 0 ? null : aggregate(rs, (r) => r.stepMs),
          peak: (a.steps ?? o.steps) === 0 ? null : Math.max(...rs.map((r) => r.peakBytes)),
          lr: (a.steps ?? o.steps) === 0 ? null : a.lr,
        };
      });
      const summary: Record<string, number | string | MeanStd> = {};
      for (const [i, row] of rows.entries()) summary[`${keys[i]}_perplexity`] = row.perplexity;
      const trained = rows.filter((r) => (r.trainable ?? 0) > 0);
      return {
        task: 'lora-generative',
        title: 'stories260K adapted to Tiny Shakespeare: LoRA vs full fine-tuning',
        summary,
        tables: [
          {
            id: 'generative',
            title: `Held-out perplexity (last ${Math.round((1 - o.trainFraction) * 100)} % of Tiny Shakespeare${o.evalChars ? `, first ${o.evalChars} characters` : ''}): mean ± std over ${o.seeds.length} seed(s), ${o.steps} steps × ${o.batchSize} × ${o.blockSize} tokens`,
            columns: [
              { key: 'arm', label: 'method', format: 'text' },
              { key: 'perplexity', label: 'perplexity', format: 'float', digits: 2 },
              { key: 'trainable', label: 'trainable params', format: 'int' },
              { key: 'share', label: 'trainable %', format: 'pct', digits: 1 },
              { key: 'stepMs', label: 'step', format: 'ms' },
              { key: 'peak', label: 'peak tensor memory', format: 'bytes' },
              { key: 'lr', label: 'lr', format: 'float', digits: 4 },
            ],
            rows,
            notes: [
              'Perplexity is exp(mean token NLL) over non-overlapping held-out windows, computed by @kd/eval from the model’s log-probabilities (stories260K’s 512-token SentencePiece vocabulary).',
            ],
          },
        ],
        plots: [
          {
            id: 'perplexity-vs-params',
            title: 'Held-out perplexity vs trainable parameters',
            kind: 'scatter',
            xLabel: 'trainable parameters',
            yLabel: 'perplexity',
            logX: true,
            lines: trained.map((r) => ({
              name: String(r.arm),
              x: [Number(r.trainable)],
              y: [(r.perplexity as MeanStd).mean],
            })),
          },
        ],
        notes: [
          `${train.length.toLocaleString('en-US')} training and ${heldOut.length.toLocaleString('en-US')} held-out tokens.`,
          'LoRA arms target all linear layers of every block (q, k, v, o, gate, up, down; the tied lm_head is left out, as PEFT’s all-linear does) with α = 2r; full fine-tuning trains every weight, the tied embedding/output matrix included.',
          'No published number exists for this pairing; the point of comparison is the pretrained model itself (the first row) and full fine-tuning at the same budget.',
          ...(ctx.artifacts
            ? [
                artifactsNote(
                  o.arms.flatMap((a, i) =>
                    (a.steps ?? o.steps) > 0 ? [armArtifactName(keys[i], a.adapter !== null)] : [],
                  ),
                  o.seeds[0],
                  "stories260K as loadLlama2c reads @kd/data's loadStories260K().legacy",
                ),
              ]
            : []),
          `Wall time ${((performance.now() - started) / 1000).toFixed(1)} s for this call.`,
        ],
      };
    },
  }),
});
