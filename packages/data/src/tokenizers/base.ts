import { ValidationError } from '@kd/core';
import type {
  BatchEncoding,
  DecodeOptions,
  EncodeOptions,
  Encoding,
  PaddingStrategy,
  Pieces,
  SpecialTokenIds,
  Tokenizer,
  TruncationStrategy,
} from './types.js';

/**
 * Where special tokens go, in the manner of HF `TemplateProcessing`:
 * `{ special, typeId }` inserts a token, `{ sequence }` the pieces of input 0 or 1
 * (whose token type id is the sequence number).
 */
export type TemplatePart = { special: number; typeId: 0 | 1 } | { sequence: 0 | 1 };
export interface Template {
  single: readonly TemplatePart[];
  pair: readonly TemplatePart[];
}

const countSpecials = (parts: readonly TemplatePart[]) =>
  parts.reduce((n, p) => n + ('special' in p ? 1 : 0), 0);

/**
 * Truncation, special tokens and padding for every tokenizer; subclasses only
 * turn one text into pieces (`pieces`) and map ids back to text (`decode`).
 */
export abstract class BaseTokenizer implements Tokenizer {
  abstract readonly type: string;
  abstract readonly vocabSize: number;
  abstract readonly specialTokens: Readonly<SpecialTokenIds>;
  protected abstract readonly template: Template;

  /** The model stage: one text to pieces, no special tokens. */
  abstract pieces(text: string): Pieces;
  abstract decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  abstract tokenToId(token: string): number | undefined;
  abstract idToToken(id: number): string | undefined;

  tokenize(text: string): string[] {
    return this.pieces(text).tokens;
  }

  encodeIds(text: string, options: EncodeOptions = {}): number[] {
    return this.encode(text, options).ids;
  }

  /** How many special tokens `encode` adds for a single text or a pair. */
  numSpecialTokensToAdd(pair: boolean): number {
    return countSpecials(pair ? this.template.pair : this.template.single);
  }

  encode(text: string, options: EncodeOptions = {}): Encoding {
    const enc = this.encodeUnpadded(text, options);
    const padding = resolvePadding(options.padding, options.maxLength, false);
    if (padding === 'max_length') {
      const target = roundUp(
        requireMaxLength(options.maxLength, 'padding "max_length"'),
        options.padToMultipleOf,
      );
      return this.pad(enc, target, options.paddingSide);
    }
    if (options.padToMultipleOf && padding !== 'do_not_pad') {
      return this.pad(enc, roundUp(enc.ids.length, options.padToMultipleOf), options.paddingSide);
    }
    return enc;
  }

  encodeBatch(
    inputs: readonly (string | readonly [string, string])[],
    options: EncodeOptions = {},
  ): BatchEncoding {
    const rows = inputs.map((input) =>
      typeof input === 'string'
        ? this.encodeUnpadded(input, options)
        : this.encodeUnpadded(input[0], { ...options, pair: input[1] }),
    );
    const padding = resolvePadding(options.padding, options.maxLength, true);
    let seqLen =
      padding === 'max_length'
        ? requireMaxLength(options.maxLength, 'padding "max_length"')
        : rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
    seqLen = roundUp(seqLen, options.padToMultipleOf);
    const encodings = rows.map((r) => this.pad(r, seqLen, options.paddingSide));
    const n = encodings.length;
    const inputIds = new Int32Array(n * seqLen);
    const attentionMask = new Int32Array(n * seqLen);
    const tokenTypeIds = new Int32Array(n * seqLen);
    encodings.forEach((e, i) => {
      inputIds.set(e.ids, i * seqLen);
      attentionMask.set(e.attentionMask, i * seqLen);
      tokenTypeIds.set(e.tokenTypeIds, i * seqLen);
    });
    return { batchSize: n, seqLen, inputIds, attentionMask, tokenTypeIds, encodings };
  }

  /** Encodes with specials and truncation, without padding. */
  protected encodeUnpadded(text: string, options: EncodeOptions): Encoding {
    const addSpecials = options.addSpecialTokens ?? true;
    const hasPair = options.pair !== undefined;
    const first = this.pieces(text);
    const second = hasPair ? this.pieces(options.pair as string) : undefined;
    const template = hasPair ? this.template.pair : this.template.single;
    const specials = addSpecials ? countSpecials(template) : 0;
    const strategy = resolveTruncation(options.truncation, options.maxLength);
    const overflowing = { first: [] as number[], second: [] as number[] };
    if (strategy !== 'do_not_truncate') {
      const maxLength = requireMaxLength(options.maxLength, `truncation "${strategy}"`);
      const budget = maxLength - specials;
      if (budget < 0) {
        throw new ValidationError(
          `maxLength ${maxLength} is smaller than the ${specials} special tokens this tokenizer adds`,
        );
      }
      const [n1, n2] = truncatedLengths(first.ids.length, second?.ids.length, budget, strategy);
      overflowing.first = cut(first, n1);
      if (second) overflowing.second = cut(second, n2);
    }
    const enc: Encoding = {
      ids: [],
      tokens: [],
      attentionMask: [],
      tokenTypeIds: [],
      specialTokensMask: [],
      sequenceIds: [],
      offsets: [],
      overflowing,
    };
    const pushSeq = (p: Pieces, seq: 0 | 1) => {
      for (let i = 0; i < p.ids.length; i++) {
        enc.ids.push(p.ids[i]);
        enc.tokens.push(p.tokens[i]);
        enc.attentionMask.push(1);
        enc.tokenTypeIds.push(seq);
        enc.specialTokensMask.push(0);
        enc.sequenceIds.push(seq);
        enc.offsets.push(p.offsets[i]);
      }
    };
    if (!addSpecials) {
      pushSeq(first, 0);
      if (second) pushSeq(second, 1);
      return enc;
    }
    for (const part of template) {
      if ('sequence' in part) {
        const p = part.sequence === 0 ? first : second;
        if (p) pushSeq(p, part.sequence);
      } else {
        enc.ids.push(part.special);
        enc.tokens.push(this.idToToken(part.special) ?? '');
        enc.attentionMask.push(1);
        enc.tokenTypeIds.push(part.typeId);
        enc.specialTokensMask.push(1);
        enc.sequenceIds.push(null);
        enc.offsets.push([0, 0]);
      }
    }
    return enc;
  }

  protected pad(enc: Encoding, length: number, side: 'left' | 'right' = 'right'): Encoding {
    const n = length - enc.ids.length;
    if (n <= 0) return enc;
    const padId = this.specialTokens.pad;
    if (padId === undefined) {
      throw new ValidationError(
        `padding needs a pad token, and this ${this.type} tokenizer has none; create it with padTokenId`,
      );
    }
    const padToken = this.idToToken(padId) ?? '';
    const fill = <T>(arr: T[], v: T): T[] => {
      const extra = new Array<T>(n).fill(v);
      return side === 'left' ? [...extra, ...arr] : [...arr, ...extra];
    };
    return {
      ids: fill(enc.ids, padId),
      tokens: fill(enc.tokens, padToken),
      attentionMask: fill(enc.attentionMask, 0),
      tokenTypeIds: fill(enc.tokenTypeIds, 0),
      specialTokensMask: fill(enc.specialTokensMask, 1),
      sequenceIds: fill<0 | 1 | null>(enc.sequenceIds, null),
      offsets: fill<[number, number]>(enc.offsets, [0, 0]),
      overflowing: enc.overflowing,
    };
  }
}

/** Truncates pieces in place to `n`, returning the removed ids. */
function cut(p: Pieces, n: number): number[] {
  if (p.ids.length <= n) return [];
  const removed = p.ids.slice(n);
  p.ids.length = n;
  p.tokens.length = n;
  p.offsets.length = n;
  return removed;
}

/**
 * Lengths after truncating to `budget` tokens (specials excluded), with the
 * rules of Hugging Face `tokenizers` (truncation.rs): `longest_first` cuts the
 * longer input until both are equal, then both, the odd token going to the
 * longer one; `only_first`/`only_second` cut one input and fail if it is too short.
 */
export function truncatedLengths(
  n1: number,
  n2: number | undefined,
  budget: number,
  strategy: Exclude<TruncationStrategy, 'do_not_truncate'>,
): [number, number] {
  if (n2 === undefined) {
    if (strategy === 'only_second') {
      throw new ValidationError('truncation "only_second" needs a sentence pair');
    }
    return [Math.min(n1, budget), 0];
  }
  if (n1 + n2 <= budget) return [n1, n2];
  if (strategy === 'longest_first') {
    let [a, b] = n1 > n2 ? [n2, n1] : [n1, n2];
    const swap = n1 > n2;
    b = a > budget ? a : Math.max(a, budget - a);
    if (a + b > budget) {
      a = Math.floor(budget / 2);
      b = a + (budget % 2);
    }
    return swap ? [b, a] : [a, b];
  }
  const firstOnly = strategy === 'only_first';
  const keep = firstOnly ? budget - n2 : budget - n1;
  if (keep < 0) {
    throw new ValidationError(
      `truncation "${strategy}" cannot fit the pair into ${budget} tokens: the ${
        firstOnly ? 'second' : 'first'
      } text alone has ${firstOnly ? n2 : n1}; use "longest_first" or a larger maxLength`,
    );
  }
  return firstOnly ? [keep, n2] : [n1, keep];
}

function resolveTruncation(
  t: EncodeOptions['truncation'],
  maxLength: number | undefined,
): TruncationStrategy {
  if (t === undefined) return maxLength === undefined ? 'do_not_truncate' : 'longest_first';
  if (t === true) return 'longest_first';
  if (t === false) return 'do_not_truncate';
  return t;
}

function resolvePadding(
  p: EncodeOptions['padding'],
  maxLength: number | undefined,
  batch: boolean,
): PaddingStrategy {
  if (p === undefined || p === false) return batch ? 'longest' : 'do_not_pad';
  if (p === true) return batch || maxLength === undefined ? 'longest' : 'max_length';
  return p;
}

function requireMaxLength(maxLength: number | undefined, what: string): number {
  if (maxLength === undefined || !Number.isInteger(maxLength) || maxLength < 0) {
    throw new ValidationError(`${what} needs a non-negative integer maxLength, got ${maxLength}`);
  }
  return maxLength;
}

function roundUp(n: number, multiple: number | undefined): number {
  if (!multiple || multiple <= 1) return n;
  return Math.ceil(n / multiple) * multiple;
}
