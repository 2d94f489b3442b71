import {
  defineEntry,
  encodeSafetensors,
  Rng,
  type Task,
  type TaskContext,
  type TaskResult,
  toStoredTensor,
} from '@kd/core';
import { loadBertUncasedTokenizer, WordPieceTokenizer } from '@kd/data';
import {
  type BertForMaskedLM,
  crossEntropy,
  IGNORE_INDEX,
  maskTokens,
  trainLanguageModel,
} from '@kd/nn';
import { createOptimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { stepOptimizer } from '../common/optimizer.js';
import { encoderCorpus, packWindows } from './corpus.js';
import { encoderShape, maskedLm } from './model.js';
import { pruneWordPieceVocab } from './vocab.js';

export const pretrainOptions = z.strictObject({
  shape: encoderShape.default(encoderShape.parse({})),
  seqLen: z.number().int().min(8).default(128),
  batchSize: z.number().int().positive().default(16),
  steps: z.number().int().positive().default(3000),
  lr: z.number().positive().default(1e-3),
  warmupSteps: z.number().int().nonnegative().default(200),
  weightDecay: z.number().nonnegative().default(0.01),
  /** Windows held out for the masked-LM loss and accuracy reported at the end. */
  heldOut: z.number().int().positive().default(64),
  checkpointEvery: z.number().int().positive().default(100),
});
export type PretrainOptions = z.output<typeof pretrainOptions>;

export interface PretrainedEncoder {
  model: BertForMaskedLM;
  vocab: string[];
  tokenizer: WordPieceTokenizer;
  losses: number[];
  heldOut: { loss: number; accuracy: number; tokens: number };
}

/** Masked-LM loss and accuracy over windows, with masks drawn from a fixed seed. */
export function evaluateMlm(
  model: BertForMaskedLM,
  windows: { inputIds: number[][]; attentionMask: number[][] },
  maskTokenId: number,
  vocabSize: number,
  seed: number,
): { loss: number; accuracy: number; tokens: number } {
  model.eval();
  const masked = maskTokens(
    windows.inputIds,
    new Rng(seed),
    { maskTokenId, vocabSize, specialTokenIds: [0, 1, 2, 3, 4] },
    windows.attentionMask,
  );
  let nll = 0;
  let correct = 0;
  let n = 0;
  const B = 16;
  for (let i = 0; i < masked.inputIds.length; i += B) {
    const ids = masked.inputIds.slice(i, i + B);
    const labels = masked.labels.slice(i, i + B);
    const [lossT, argmax] = tf.tidy(() => {
      const { logits } = model.forward({
        inputIds: ids,
        attentionMask: windows.attentionMask.slice(i, i + B),
      });
      const lab = tf.tensor2d(labels, undefined, 'int32');
      return [crossEntropy(logits, lab), tf.argMax(logits, -1)];
    });
    const loss = lossT.dataSync()[0];
    const predicted = argmax.arraySync();
    tf.dispose([lossT, argmax]);
    const count = labels.flat().filter((l) => l !== IGNORE_INDEX).length;
    nll += loss * count;
    n += count;
    labels.forEach((row, r) => {
      row.forEach((l, t) => {
        if (l !== IGNORE_INDEX && (predicted as number[][])[r][t] === l) correct++;
      });
    });
  }
  model.train();
  return { loss: nll / Math.max(n, 1), accuracy: correct / Math.max(n, 1), tokens: n };
}

/**
 * Pretrains the encoder teacher with BERT's masked-LM objective on the
 * bundled unlabeled text (see `encoderCorpus`), over a vocabulary pruned
 * from bert-base-uncased to `shape.vocabSize` pieces. Checkpoints through
 * `ctx.checkpoints`, so an interrupted run resumes exactly.
 */
export async function pretrainEncoder(
  options: PretrainOptions,
  ctx: Pick<TaskContext, 'seed' | 'checkpoints' | 'progress' | 'signal'>,
): Promise<PretrainedEncoder> {
  const corpus = await encoderCorpus();
  const full = await loadBertUncasedTokenizer();
  const vocab = pruneWordPieceVocab(full, corpus, options.shape.vocabSize);
  const tokenizer = new WordPieceTokenizer(vocab);
  const windows = packWindows(corpus, tokenizer, options.seqLen, ctx.seed);
  const n = windows.inputIds.length - options.heldOut;
  const train = {
    inputIds: windows.inputIds.slice(0, n),
    attentionMask: windows.attentionMask.slice(0, n),
  };
  const heldOutWindows = {
    inputIds: windows.inputIds.slice(n),
    attentionMask: windows.attentionMask.slice(n),
  };
  const model = maskedLm(options.shape, ctx.seed);
  const optimizer = createOptimizer('adamw', {
    lr: options.lr,
    weightDecay: options.weightDecay,
    noDecay: ['bias', 'LayerNorm.weight'],
    clipGradNorm: 1,
    schedule: {
      id: 'warmup-linear',
      options: { warmupSteps: options.warmupSteps, totalSteps: options.steps },
    },
  });
  // One seeded permutation per epoch: the batch of a step is a pure function of it.
  const perEpoch = new Map<number, number[]>();
  const order = (epoch: number) => {
    let p = perEpoch.get(epoch);
    if (!p) {
      p = new Rng(ctx.seed).fork(`epoch:${epoch}`).permutation(n);
      perEpoch.set(epoch, p);
    }
    return p;
  };
  const mask = tokenizer.specialTokens.mask as number;
  const result = await trainLanguageModel({
    model,
    objective: 'mlm',
    optimizer: stepOptimizer(optimizer),
    steps: options.steps,
    seed: ctx.seed,
    masking: { maskTokenId: mask, vocabSize: vocab.length, specialTokenIds: [0, 1, 2, 3, 4] },
    data: (step) => {
      const rows: number[] = [];
      for (let i = 0; i < options.batchSize; i++) {
        const k = step * options.batchSize + i;
        rows.push(order(Math.floor(k / n))[k % n]);
      }
      return {
        inputIds: rows.map((r) => train.inputIds[r]),
        attentionMask: rows.map((r) => train.attentionMask[r]),
      };
    },
    checkpoints: ctx.checkpoints,
    checkpointEvery: options.checkpointEvery,
    progress: ctx.progress,
    signal: ctx.signal,
  });
  const latest = await ctx.checkpoints.latest();
  const losses = (latest?.extra?.losses as number[] | undefined) ?? result.losses;
  const heldOut = evaluateMlm(model, heldOutWindows, mask, vocab.length, ctx.seed + 1);
  optimizer.dispose();
  return { model, vocab, tokenizer, losses, heldOut };
}

/** The encoder weights as safetensors bytes (`dtype` F16 halves the size). */
export function encoderSafetensors(
  params: Record<string, tf.Tensor>,
  metadata: Record<string, string>,
  dtype: 'F32' | 'F16' = 'F32',
): Uint8Array {
  const tensors: Record<string, { dtype: 'F32' | 'F16'; shape: number[]; data: Float32Array }> = {};
  for (const [k, v] of Object.entries(params)) {
    const s = toStoredTensor(v);
    tensors[k] = { dtype, shape: s.shape, data: s.data as Float32Array };
  }
  return encodeSafetensors(tensors, metadata);
}

export const encoderPretrainTask = defineEntry({
  kind: 'task',
  id: 'kd-encoder-pretrain',
  description:
    'masked-LM pretraining of the small encoder teacher on bundled unlabeled text (pruned BERT vocabulary)',
  options: pretrainOptions,
  create: (options): Task => ({
    async run(ctx): Promise<TaskResult> {
      const t0 = performance.now();
      const r = await pretrainEncoder(options, ctx);
      const params = Object.fromEntries(r.model.namedParameters());
      const metadata = {
        format: 'pt',
        config: JSON.stringify(options.shape),
        recipe: 'kd-encoder-pretrain',
        seed: String(ctx.seed),
        steps: String(options.steps),
      };
      if (ctx.outDir) {
        const { writeFileAtomic } = await import('@kd/core/node');
        const { join } = await import('node:path');
        await writeFileAtomic(
          join(ctx.outDir, 'encoder-base.safetensors'),
          encoderSafetensors(params, metadata),
        );
        await writeFileAtomic(join(ctx.outDir, 'vocab.txt'), `${r.vocab.join('\n')}\n`);
      }
      const seconds = (performance.now() - t0) / 1000;
      const parameters = r.model.parameterCount();
      r.model.dispose();
      const every = Math.max(1, Math.floor(r.losses.length / 200));
      const xs = r.losses.map((_, i) => i).filter((i) => i % every === 0);
      return {
        task: 'kd-encoder-pretrain',
        title: 'Masked-LM pretraining of the encoder teacher',
        summary: {
          heldout_mlm_loss: r.heldOut.loss,
          heldout_mlm_accuracy: r.heldOut.accuracy,
          final_train_loss: r.losses.at(-1) ?? Number.NaN,
          parameters,
          seconds,
        },
        tables: [
          {
            id: 'mlm',
            title: `Held-out masked-LM (${r.heldOut.tokens} masked tokens)`,
            columns: [
              { key: 'metric', label: 'metric', format: 'text' },
              { key: 'value', label: 'value', format: 'float' },
            ],
            rows: [
              { metric: 'loss (nats)', value: r.heldOut.loss },
              { metric: 'accuracy', value: r.heldOut.accuracy },
            ],
          },
        ],
        plots: [
          {
            id: 'loss',
            title: 'Masked-LM training loss',
            kind: 'line',
            xLabel: 'step',
            yLabel: 'loss',
            lines: [{ name: 'train', x: xs, y: xs.map((i) => r.losses[i]) }],
          },
        ],
      };
    },
  }),
});
