/**
 * Tokenizer contracts shared by every tokenizer in @kd/data. Names follow
 * Hugging Face `tokenizers`/`transformers` (input ids, attention mask, token
 * type ids, truncation strategies) in camelCase.
 */

/** How a pair (or a single text) is cut down to `maxLength` tokens, specials included. */
export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second' | 'do_not_truncate';

/** `longest`: pad a batch to its longest row; `max_length`: pad every row to `maxLength`. */
export type PaddingStrategy = 'do_not_pad' | 'longest' | 'max_length';

export interface EncodeOptions {
  /** Second text of a sentence pair (token type 1 for BERT). */
  pair?: string;
  /** Add the model's special tokens ([CLS]/[SEP], BOS, ...). Default true. */
  addSpecialTokens?: boolean;
  /** Length limit in tokens, special tokens included. */
  maxLength?: number;
  /**
   * `true` means `longest_first`. Default: `longest_first` when `maxLength`
   * is set, otherwise no truncation.
   */
  truncation?: boolean | TruncationStrategy;
  /** `true` means `longest` (in a batch) or `max_length` (single text with `maxLength`). Default none. */
  padding?: boolean | PaddingStrategy;
  /** Round the padded length up to a multiple of this (tensor-core friendly shapes). */
  padToMultipleOf?: number;
  /** Pad on the right (default, BERT/GPT-2 training) or the left (batched generation). */
  paddingSide?: 'right' | 'left';
}

/** One encoded text or pair. All arrays have the same length. */
export interface Encoding {
  ids: number[];
  tokens: string[];
  /** 1 for real tokens, 0 for padding. */
  attentionMask: number[];
  /** 0 for the first text and its specials, 1 for the pair (BERT segment ids). */
  tokenTypeIds: number[];
  /** 1 where the token was added by the tokenizer (specials, padding). */
  specialTokensMask: number[];
  /** Which input each token came from: 0, 1, or null for specials and padding. */
  sequenceIds: (0 | 1 | null)[];
  /**
   * Character offsets `[start, end)` of each token in its own input text
   * (UTF-16 indices, like JS string indices); `[0, 0]` for specials and padding.
   */
  offsets: [number, number][];
  /** Tokens removed by truncation, per input (first text, pair), in order. */
  overflowing: { first: number[]; second: number[] };
}

/** A batch as rectangular row-major arrays, ready for `tf.tensor2d(ids, [batch, seqLen], 'int32')`. */
export interface BatchEncoding {
  batchSize: number;
  seqLen: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  /** The per-row encodings (padded), for offsets, tokens and sequence ids. */
  encodings: Encoding[];
}

export interface DecodeOptions {
  /** Drop special tokens ([CLS], <s>, <|endoftext|>, padding). Default true. */
  skipSpecialTokens?: boolean;
}

/** The ids of the special tokens a tokenizer has; absent ones are undefined. */
export interface SpecialTokenIds {
  pad?: number;
  unk?: number;
  bos?: number;
  eos?: number;
  cls?: number;
  sep?: number;
  mask?: number;
}

/** What every kd tokenizer provides; the registry's `tokenizer:` products implement it. */
export interface Tokenizer {
  /** Short type name: `wordpiece`, `byte-level-bpe`, `llama2c`, `char`. */
  readonly type: string;
  readonly vocabSize: number;
  readonly specialTokens: Readonly<SpecialTokenIds>;
  /** Token strings of `text`, without special tokens. */
  tokenize(text: string): string[];
  /** Encodes one text or a pair, with specials, truncation and padding as asked. */
  encode(text: string, options?: EncodeOptions): Encoding;
  /** Only the ids of `encode(text, options)`. */
  encodeIds(text: string, options?: EncodeOptions): number[];
  /** Encodes many texts (or `[text, pair]` tuples) into a rectangular batch. */
  encodeBatch(
    inputs: readonly (string | readonly [string, string])[],
    options?: EncodeOptions,
  ): BatchEncoding;
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
}

/** Output of a tokenizer's model stage for one text: pieces without specials. */
export interface Pieces {
  ids: number[];
  tokens: string[];
  offsets: [number, number][];
}
