import { Rng } from '@kd/core';
import {
  type EncodedExample,
  encodeExamples,
  type GlueExample,
  loadBertUncasedTokenizer,
  loadGlue,
  loadSquad,
  type SquadExample,
  type SquadFeature,
  sourceOf,
  squadFeatures,
  type WordPieceTokenizer,
} from '@kd/data';
import type { CompareTask, TaskSettings } from './options.js';

/**
 * A compact vocabulary: bert-base-uncased's WordPiece segmentation, keeping
 * the special tokens and the most frequent ids of the training split, every
 * other id mapped to [UNK]. Frequencies come from training text only, so the
 * dev split never shapes the model.
 */
export interface CompactVocab {
  size: number;
  /** bert-base-uncased id → compact id. */
  map: Int32Array;
  /** Compact ids of [PAD], [UNK], [CLS], [SEP], [MASK]. */
  special: { pad: number; unk: number; cls: number; sep: number; mask: number };
  /** Fraction of training tokens (specials excluded) that fell outside the vocabulary. */
  unkRate: number;
}

let tokenizerPromise: Promise<WordPieceTokenizer> | undefined;

/** bert-base-uncased's tokenizer from @kd/data's bundled vocab, loaded once per process. */
export function bertTokenizer(): Promise<WordPieceTokenizer> {
  tokenizerPromise ??= loadBertUncasedTokenizer();
  return tokenizerPromise;
}

export function buildCompactVocab(
  tokenizer: WordPieceTokenizer,
  idRows: readonly ArrayLike<number>[],
  size: number,
): CompactVocab {
  const st = tokenizer.specialTokens;
  const specials = [st.pad, st.unk, st.cls, st.sep, st.mask] as number[];
  const isSpecial = new Set(specials);
  const counts = new Map<number, number>();
  let total = 0;
  for (const row of idRows) {
    for (let i = 0; i < row.length; i++) {
      const id = row[i];
      if (isSpecial.has(id)) continue;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      total++;
    }
  }
  // Most frequent first; ties by id so the vocabulary is a pure function of the data.
  const kept = [...counts]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, Math.max(0, size - specials.length));
  const map = new Int32Array(tokenizer.vocabSize).fill(1);
  specials.forEach((id, i) => {
    map[id] = i;
  });
  kept.forEach(([id], i) => {
    map[id] = specials.length + i;
  });
  const covered = kept.reduce((s, [, c]) => s + c, 0);
  return {
    size: specials.length + kept.length,
    map,
    special: { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 },
    unkRate: total === 0 ? 0 : 1 - covered / total,
  };
}

function remap(ids: Int32Array, vocab: CompactVocab): Int32Array {
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = vocab.map[ids[i]];
  return out;
}

export interface ClassificationData {
  kind: 'classification' | 'regression';
  task: Exclude<CompareTask, 'squad'>;
  numLabels: number;
  train: EncodedExample[];
  dev: EncodedExample[];
  vocab: CompactVocab;
}

export interface SpanData {
  kind: 'span';
  task: 'squad';
  train: SquadFeature[];
  dev: { features: SquadFeature[]; examples: SquadExample[] };
  vocab: CompactVocab;
}

export type TaskData = ClassificationData | SpanData;

/** Bundled SQuAD: the dev sample's articles, every third (from the second) held out for evaluation. */
export function splitSquadByArticle(examples: readonly SquadExample[]): {
  train: SquadExample[];
  dev: SquadExample[];
} {
  const titles = [...new Set(examples.map((e) => e.title))];
  const held = new Set(titles.filter((_, i) => i % 3 === 1));
  return {
    train: examples.filter((e) => !held.has(e.title)),
    dev: examples.filter((e) => held.has(e.title)),
  };
}

/**
 * Splits `items` into a training part and a held-out part (a seeded
 * permutation), for the learning-rate sweep: candidates are scored on data
 * the reported dev numbers never see.
 */
export function holdOut<T>(
  items: readonly T[],
  fraction: number,
  seed: number,
): { train: T[]; heldOut: T[] } {
  const order = new Rng(`holdout:${seed}`).permutation(items.length);
  const n = Math.max(1, Math.round(items.length * fraction));
  return {
    train: order.slice(n).map((i) => items[i]),
    heldOut: order.slice(0, n).map((i) => items[i]),
  };
}

/**
 * Loads, tokenises and encodes one task: the training split and the split
 * the numbers are reported on (GLUE dev; for bundled SQuAD, held-out
 * articles of the dev sample). Pure in the data and settings, so every arm
 * and seed sees exactly the same examples.
 */
export async function prepareTask(
  task: CompareTask,
  settings: TaskSettings,
  vocabSize: number,
): Promise<TaskData> {
  const tok = await bertTokenizer();
  const source = sourceOf(settings.path);
  if (task === 'squad') {
    let train: SquadExample[];
    let dev: SquadExample[];
    if (source.kind === 'bundled') {
      ({ train, dev } = splitSquadByArticle((await loadSquad('validation', source)).examples));
    } else {
      train = (await loadSquad('train', source)).examples;
      dev = (await loadSquad('validation', source)).examples;
    }
    if (settings.evalLimit !== undefined) dev = dev.slice(0, settings.evalLimit);
    const windows = {
      maxLength: settings.maxLength,
      docStride: Math.floor(settings.maxLength / 4),
      maxQueryLength: Math.floor(settings.maxLength / 4),
    };
    const trainFeatures = squadFeatures(train, tok, windows);
    const devFeatures = squadFeatures(dev, tok, windows);
    const vocab = buildCompactVocab(
      tok,
      trainFeatures.map((f) => f.inputIds),
      vocabSize,
    );
    const re = (f: SquadFeature): SquadFeature => ({ ...f, inputIds: remap(f.inputIds, vocab) });
    return {
      kind: 'span',
      task,
      train: trainFeatures.map(re),
      dev: { features: devFeatures.map(re), examples: dev },
      vocab,
    };
  }
  const [trainSplit, devSplit] = await Promise.all([
    loadGlue(task, 'train', source),
    loadGlue(task, 'validation', source),
  ]);
  const opts = { maxLength: settings.maxLength, truncation: true as const };
  const train = encodeExamples(trainSplit.examples, tok, opts);
  let devExamples: GlueExample[] = devSplit.examples;
  if (settings.evalLimit !== undefined) devExamples = devExamples.slice(0, settings.evalLimit);
  const dev = encodeExamples(devExamples, tok, opts);
  const vocab = buildCompactVocab(
    tok,
    train.map((e) => e.ids),
    vocabSize,
  );
  const re = (e: EncodedExample): EncodedExample => ({ ...e, ids: remap(e.ids, vocab) });
  return {
    kind: task === 'stsb' ? 'regression' : 'classification',
    task,
    numLabels: task === 'stsb' ? 1 : (trainSplit.labelNames?.length ?? 2),
    train: train.map(re),
    dev: dev.map(re),
    vocab,
  };
}
