import { type Progress, type Registry, Rng, ValidationError } from '@kd/core';
import {
  decodeText,
  type GlueExample,
  maybeGunzip,
  readLocation,
  type WordPieceTokenizer,
} from '@kd/data';
import {
  BertForMaskedLM,
  crossEntropy,
  type HFFiles,
  IGNORE_INDEX,
  maskTokens,
  saveHF,
} from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { adamwWithWarmup, checkAbort, trainStep } from './common.js';
import { BatchStream, CompactVocab, encodePairs, padBatch } from './qqp-data.js';

/** The masked-LM base encoder: architecture and pretraining budget. */
export const baseOptions = z.strictObject({
  hiddenSize: z.number().int().positive().default(64),
  numHiddenLayers: z.number().int().positive().default(2),
  numAttentionHeads: z.number().int().positive().default(2),
  intermediateSize: z.number().int().positive().default(256),
  /** Tokens (pieces) must occur this often in the pretraining text to get their own embedding. */
  minCount: z.number().int().positive().default(2),
  steps: z.number().int().positive().default(3000),
  batchSize: z.number().int().positive().default(64),
  lr: z.number().positive().default(1e-3),
  warmupRatio: z.number().min(0).max(1).default(0.06),
  weightDecay: z.number().min(0).default(0.01),
  mlmProbability: z.number().gt(0).lt(1).default(0.15),
});
export type BaseOptions = z.output<typeof baseOptions>;

export interface PretrainedBase {
  model: BertForMaskedLM;
  vocab: CompactVocab;
  /** Mean MLM loss of the last 10 % of steps (NaN when loaded). */
  finalLoss: number;
  steps: number;
}

/**
 * Masked-LM pretraining on unlabeled, in-domain text (the training rows'
 * question pairs; the held-out rows are never seen): BERT's 80/10/10
 * masking, loss on the masked positions only (the vocabulary projection
 * runs on those rows, not on every position), AdamW with warmup.
 */
export async function pretrainBase(options: {
  rows: readonly GlueExample[];
  tokenizer: WordPieceTokenizer;
  maxLength: number;
  base: BaseOptions;
  seed: number;
  registry: Registry;
  progress: Progress;
  signal: AbortSignal;
}): Promise<PretrainedBase> {
  const { tokenizer, base, maxLength } = options;
  const raw = options.rows.map(
    (r) => tokenizer.encode(r.text, { pair: r.pair, maxLength, truncation: 'longest_first' }).ids,
  );
  const vocab = CompactVocab.build(raw, tokenizer, base.minCount);
  const texts = encodePairs(options.rows, tokenizer, vocab, maxLength);
  const rng = new Rng(options.seed).fork('qqp-mlm');
  const model = new BertForMaskedLM(
    {
      vocabSize: vocab.size,
      hiddenSize: base.hiddenSize,
      numHiddenLayers: base.numHiddenLayers,
      numAttentionHeads: base.numAttentionHeads,
      intermediateSize: base.intermediateSize,
      maxPositionEmbeddings: maxLength,
      typeVocabSize: 2,
    },
    { seed: options.seed },
  );
  const params = model.trainableParameters();
  const optimizer = adamwWithWarmup(options.registry, {
    lr: base.lr,
    steps: base.steps,
    warmupRatio: base.warmupRatio,
    weightDecay: base.weightDecay,
  });
  const stream = new BatchStream(texts.length, base.batchSize, `${options.seed}:mlm-batches`);
  const stage = options.progress.stage('MLM pretraining of the base encoder', base.steps, 'steps');
  const losses: number[] = [];
  model.train();
  try {
    for (let step = 0; step < base.steps; step++) {
      checkAbort(options.signal, 'MLM pretraining');
      const batch = padBatch(stream.next().map((i) => texts[i]));
      const masked = maskTokens(
        batch.inputIds,
        rng.fork(`mask:${step}`),
        {
          maskTokenId: 4,
          vocabSize: vocab.size,
          specialTokenIds: [0, 1, 2, 3, 4],
          mlmProbability: base.mlmProbability,
        },
        batch.attentionMask,
      );
      const positions: number[] = [];
      const targets: number[] = [];
      masked.labels.forEach((row, b) => {
        row.forEach((l, t) => {
          if (l !== IGNORE_INDEX) {
            positions.push(b * row.length + t);
            targets.push(l);
          }
        });
      });
      if (positions.length === 0) continue;
      const { loss } = trainStep(params, optimizer, () =>
        tf.tidy(() => {
          const h = model.bert.forward({
            inputIds: masked.inputIds,
            tokenTypeIds: batch.tokenTypeIds,
            attentionMask: batch.attentionMask,
          }).lastHiddenState;
          const flat = h.reshape([-1, base.hiddenSize]);
          const picked = tf.gather(flat, tf.tensor1d(positions, 'int32'));
          const logits = model.cls.forward(picked);
          return crossEntropy(logits, tf.tensor1d(targets, 'int32'));
        }),
      );
      losses.push(loss);
      stage.tick(1, { loss });
    }
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    // AdamW's moments are not part of the model.
    optimizer.dispose();
  }
  stage.done();
  model.eval();
  const tail = losses.slice(-Math.max(1, Math.floor(losses.length / 10)));
  return {
    model,
    vocab,
    finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length,
    steps: base.steps,
  };
}

/** The files of a base directory: HF `config.json` + `model.safetensors` and the compact `vocab.txt`. */
export function baseFiles(
  base: PretrainedBase,
  provenance: Record<string, unknown>,
): Record<string, string | Uint8Array> {
  const { files } = saveHF(base.model, {
    metadata: { kd_vocab: 'vocab.txt (bert-base-uncased pieces)' },
  });
  return {
    'config.json': files['config.json'],
    'model.safetensors': files['model.safetensors'],
    'vocab.txt': base.vocab.toVocabTxt(),
    'provenance.json': `${JSON.stringify(provenance, null, 2)}\n`,
  };
}

/** Reads `<dir>/<name>` or its gzip `<name>.gz` (how bundled assets are stored). */
async function readMaybeGz(dir: string, name: string): Promise<Uint8Array> {
  const join = (n: string) => (dir.endsWith('/') ? `${dir}${n}` : `${dir}/${n}`);
  try {
    return await readLocation(join(name));
  } catch (error) {
    try {
      return await maybeGunzip(await readLocation(join(`${name}.gz`)), join(`${name}.gz`));
    } catch {
      throw error;
    }
  }
}

/** Loads a base directory written by `lora-qqp-base` (plain or gzip files). */
export async function readBase(
  dir: string,
  tokenizer: WordPieceTokenizer,
): Promise<{ files: HFFiles; vocab: CompactVocab }> {
  const [config, weights, vocabTxt] = await Promise.all([
    readMaybeGz(dir, 'config.json'),
    readMaybeGz(dir, 'model.safetensors'),
    readMaybeGz(dir, 'vocab.txt'),
  ]);
  const vocab = CompactVocab.fromVocabTxt(decodeText(vocabTxt), tokenizer);
  const json = JSON.parse(decodeText(config)) as { vocab_size?: number };
  if (json.vocab_size !== vocab.size) {
    throw new ValidationError(
      `base config says vocab_size ${json.vocab_size} but vocab.txt has ${vocab.size} tokens`,
      [],
      { where: dir },
    );
  }
  return { files: { config, weights }, vocab };
}

/**
 * The same files as `<name>.gz` (gzip -9, no name or mtime, so the bytes
 * depend on the content only), as bundled assets are stored. Node only.
 */
export async function gzipFiles(
  files: Record<string, string | Uint8Array>,
): Promise<Record<string, Uint8Array>> {
  const zlibName = 'node:zlib';
  const zlib = (await import(/* @vite-ignore */ zlibName)) as typeof import('node:zlib');
  const out: Record<string, Uint8Array> = {};
  for (const [name, data] of Object.entries(files)) {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    out[`${name}.gz`] = new Uint8Array(zlib.gzipSync(bytes, { level: 9 }));
  }
  return out;
}

/** Writes a base directory (Node only); `gzip` writes `<name>.gz` instead (see `gzipFiles`). */
export async function writeBase(
  dir: string,
  files: Record<string, string | Uint8Array>,
  gzip = false,
): Promise<void> {
  const nodeName = '@kd/core/node';
  const { writeFileAtomic } = (await import(
    /* @vite-ignore */ nodeName
  )) as typeof import('@kd/core/node');
  for (const [name, data] of Object.entries(gzip ? await gzipFiles(files) : files)) {
    await writeFileAtomic(`${dir}/${name}`, data);
  }
}
