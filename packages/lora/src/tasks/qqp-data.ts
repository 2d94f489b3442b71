import { Rng, ValidationError } from '@kd/core';
import type { GlueExample, GlueHandle, WordPieceTokenizer } from '@kd/data';

/** Special tokens first, in BERT's order, so ids 0–4 mean the same as in bert-base-uncased's layout. */
export const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/**
 * A compact vocabulary over bert-base-uncased's WordPiece: the tokens that
 * occur in the pretraining text, as bert-base-uncased token strings. Text is
 * tokenised with the full WordPiece tokenizer and each id mapped here
 * (unseen pieces → [UNK]), so the tokenisation is exactly BERT's while the
 * embedding table and MLM head stay small enough for a CPU.
 */
export class CompactVocab {
  readonly tokens: string[];
  readonly #toCompact: Int32Array;
  readonly unk: number;

  constructor(tokens: readonly string[], tokenizer: WordPieceTokenizer) {
    for (const [i, s] of SPECIALS.entries()) {
      if (tokens[i] !== s) {
        throw new ValidationError(
          `a compact vocabulary starts with ${SPECIALS.join(' ')}; entry ${i} is ${tokens[i]}`,
        );
      }
    }
    this.tokens = [...tokens];
    this.unk = 1;
    const size = tokenizer.vocabSize;
    this.#toCompact = new Int32Array(size).fill(this.unk);
    tokens.forEach((t, i) => {
      const id = tokenizer.tokenToId(t);
      if (id === undefined)
        throw new ValidationError(`token ${JSON.stringify(t)} is not in the WordPiece vocabulary`);
      this.#toCompact[id] = i;
    });
  }

  get size(): number {
    return this.tokens.length;
  }

  map(ids: readonly number[]): number[] {
    return ids.map((id) => this.#toCompact[id] ?? this.unk);
  }

  /** Tokens seen at least `minCount` times in `encoded` (full-vocabulary ids), specials first. */
  static build(
    encoded: readonly (readonly number[])[],
    tokenizer: WordPieceTokenizer,
    minCount: number,
  ): CompactVocab {
    const counts = new Map<number, number>();
    for (const ids of encoded) for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const specials = new Set(SPECIALS.map((s) => tokenizer.tokenToId(s)));
    const kept = [...counts]
      .filter(([id, c]) => c >= minCount && !specials.has(id))
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .map(([id]) => tokenizer.idToToken(id) as string);
    return new CompactVocab([...SPECIALS, ...kept], tokenizer);
  }

  toVocabTxt(): string {
    return `${this.tokens.join('\n')}\n`;
  }

  static fromVocabTxt(text: string, tokenizer: WordPieceTokenizer): CompactVocab {
    return new CompactVocab(
      text.split('\n').filter((l) => l !== ''),
      tokenizer,
    );
  }
}

/** A QQP pair encoded for the model: compact ids, segments, label (1 = duplicate). */
export interface PairExample {
  ids: number[];
  types: number[];
  label: number;
}

export interface QqpSplits {
  /** Rows for fine-tuning (and, unlabeled, for MLM pretraining). */
  train: GlueExample[];
  /** The held-out evaluation rows: never trained on, never pretrained on. */
  heldOut: GlueExample[];
}

/**
 * QQP's public dev set is not bundled (9 rows), so the held-out split is
 * carved from the train rows by a fixed permutation — the same for every
 * seed and arm (`splitSeed`), so runs differ only in training randomness.
 */
export async function loadQqpSplits(
  handle: GlueHandle,
  heldOut: number,
  splitSeed = 'qqp-heldout',
): Promise<QqpSplits> {
  const { examples } = await handle.load('train');
  const usable = examples.filter((e) => (e.label === 0 || e.label === 1) && e.pair !== undefined);
  if (usable.length <= heldOut) {
    throw new ValidationError(
      `QQP has ${usable.length} labeled rows; heldOut ${heldOut} leaves nothing to train on`,
    );
  }
  const order = new Rng(splitSeed).permutation(usable.length);
  return {
    heldOut: order.slice(0, heldOut).map((i) => usable[i]),
    train: order.slice(heldOut).map((i) => usable[i]),
  };
}

/** `[CLS] q1 [SEP] q2 [SEP]` with BERT's truncation, mapped to the compact vocabulary. */
export function encodePairs(
  rows: readonly GlueExample[],
  tokenizer: WordPieceTokenizer,
  vocab: CompactVocab,
  maxLength: number,
): PairExample[] {
  return rows.map((r) => {
    const enc = tokenizer.encode(r.text, { pair: r.pair, maxLength, truncation: 'longest_first' });
    return { ids: vocab.map(enc.ids), types: enc.tokenTypeIds, label: r.label };
  });
}

/** Pads rows to the longest in the batch (right padding, id 0). */
export function padBatch(rows: readonly PairExample[]): {
  inputIds: number[][];
  tokenTypeIds: number[][];
  attentionMask: number[][];
  labels: number[];
} {
  const t = Math.max(...rows.map((r) => r.ids.length));
  const pad = (xs: number[], v = 0) => xs.concat(new Array<number>(t - xs.length).fill(v));
  return {
    inputIds: rows.map((r) => pad(r.ids)),
    tokenTypeIds: rows.map((r) => pad(r.types)),
    attentionMask: rows.map((r) => pad(r.ids.map(() => 1))),
    labels: rows.map((r) => r.label),
  };
}

/** Epoch-style shuffled batches from a seeded stream (a fresh permutation each pass). */
export class BatchStream {
  #order: number[] = [];
  readonly #rng: Rng;
  constructor(
    readonly size: number,
    readonly batchSize: number,
    seed: string,
  ) {
    this.#rng = new Rng(seed);
  }
  next(): number[] {
    if (this.#order.length < this.batchSize)
      this.#order = this.#order.concat(this.#rng.permutation(this.size));
    return this.#order.splice(0, this.batchSize);
  }
}
