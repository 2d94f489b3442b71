import { ValidationError } from '@kd/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CharTokenizer,
  loadBertUncasedTokenizer,
  loadGpt2Tokenizer,
  readAssetText,
  truncatedLengths,
  type WordPieceTokenizer,
} from '../src/index.js';

let bert: WordPieceTokenizer;
beforeAll(async () => {
  bert = await loadBertUncasedTokenizer();
});

describe('truncation (rules of HF tokenizers truncation.rs)', () => {
  it('longest_first cuts the longer input to equal length, odd token to the longer one', () => {
    // Hand-worked: budget 10.
    expect(truncatedLengths(3, 20, 10, 'longest_first')).toEqual([3, 7]); // only the longer is cut
    expect(truncatedLengths(20, 3, 10, 'longest_first')).toEqual([7, 3]);
    expect(truncatedLengths(8, 9, 10, 'longest_first')).toEqual([5, 5]); // both cut to 5 + 5
    expect(truncatedLengths(8, 9, 11, 'longest_first')).toEqual([5, 6]); // odd token to the longer
    expect(truncatedLengths(9, 8, 11, 'longest_first')).toEqual([6, 5]);
    expect(truncatedLengths(12, 0, 10, 'longest_first')).toEqual([10, 0]);
    expect(truncatedLengths(4, 5, 10, 'longest_first')).toEqual([4, 5]); // fits
    expect(truncatedLengths(30, undefined, 10, 'longest_first')).toEqual([10, 0]);
  });

  it('only_first / only_second cut one input and fail when it cannot absorb the cut', () => {
    expect(truncatedLengths(8, 6, 10, 'only_first')).toEqual([4, 6]);
    expect(truncatedLengths(8, 6, 10, 'only_second')).toEqual([8, 2]);
    expect(() => truncatedLengths(2, 12, 10, 'only_first')).toThrow(/second text alone has 12/);
    expect(() => truncatedLengths(5, undefined, 4, 'only_second')).toThrow(ValidationError);
  });

  it('keeps [CLS] a [SEP] b [SEP] within maxLength and truncated ids are prefixes', () => {
    const a = 'the quick brown fox jumps over the lazy dog again and again';
    const b = 'a short answer';
    const full = bert.encode(a, { pair: b });
    const cut = bert.encode(a, { pair: b, maxLength: 12 });
    expect(cut.ids).toHaveLength(12);
    expect(cut.ids[0]).toBe(101);
    expect(cut.ids.filter((id) => id === 102)).toHaveLength(2);
    const firstLen = cut.sequenceIds.filter((s) => s === 0).length;
    const secondLen = cut.sequenceIds.filter((s) => s === 1).length;
    expect([firstLen, secondLen]).toEqual([6, 3]); // budget 9: b has 3 tokens, a gets 6
    const fullFirst = full.ids.filter((_, i) => full.sequenceIds[i] === 0);
    expect(cut.ids.slice(1, 1 + firstLen)).toEqual(fullFirst.slice(0, firstLen));
    expect(cut.overflowing.first).toEqual(fullFirst.slice(firstLen));
    expect(cut.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  });

  it('rejects a maxLength smaller than the special tokens', () => {
    expect(() => bert.encode('hi', { pair: 'there', maxLength: 2 })).toThrow(
      /smaller than the 3 special tokens/,
    );
  });
});

describe('padding and batches', () => {
  it('pads to max_length with [PAD], mask 0, on either side', () => {
    const e = bert.encode('hello world', { maxLength: 8, padding: 'max_length' });
    expect(e.ids).toEqual([101, 7592, 2088, 102, 0, 0, 0, 0]);
    expect(e.attentionMask).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    const left = bert.encode('hello world', {
      maxLength: 6,
      padding: 'max_length',
      paddingSide: 'left',
    });
    expect(left.ids).toEqual([0, 0, 101, 7592, 2088, 102]);
  });

  it('encodeBatch gives rectangular int32 arrays padded to the longest row (or a multiple)', () => {
    const batch = bert.encodeBatch(['hello', ['hello world', 'and more words here']], {
      padToMultipleOf: 8,
    });
    expect(batch.batchSize).toBe(2);
    expect(batch.seqLen).toBe(16);
    expect(batch.inputIds).toBeInstanceOf(Int32Array);
    expect(Array.from(batch.inputIds.slice(0, 4))).toEqual([101, 7592, 102, 0]);
    expect(Array.from(batch.attentionMask.slice(16, 16 + 10))).toEqual([
      1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    ]);
    expect(Array.from(batch.tokenTypeIds.slice(16, 26))).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 0]);
  });

  it('GPT-2 pads with <|endoftext|> under a zero mask and adds no specials by default', async () => {
    const gpt2 = await loadGpt2Tokenizer();
    expect(gpt2.encodeIds('Hello world')).toEqual([15496, 995]);
    const b = gpt2.encodeBatch(['Hello world', 'Hi'], { paddingSide: 'left' });
    expect(Array.from(b.inputIds)).toEqual([15496, 995, 50256, 17250]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 0, 1]);
  });
});

describe('offsets', () => {
  it('WordPiece offsets cover the original (cased, accented) text', () => {
    const text = 'Naïve CAFÉ-owners, 世界!';
    const e = bert.encode(text);
    const spans = e.offsets
      .filter((_, i) => !e.specialTokensMask[i])
      .map(([a, b]) => text.slice(a, b));
    expect(spans).toEqual(['Naïve', 'CAFÉ', '-', 'owners', ',', '世', '界', '!']);
    const sub = bert.encode('unaffable');
    expect(sub.tokens.slice(1, -1)).toEqual(['una', '##ffa', '##ble']);
    expect(sub.offsets.slice(1, -1)).toEqual([
      [0, 3],
      [3, 6],
      [6, 9],
    ]);
  });

  it('GPT-2 offsets include the leading space and split multi-byte characters sensibly', async () => {
    const gpt2 = await loadGpt2Tokenizer();
    const text = 'Hello wörld 🙂';
    const e = gpt2.encode(text);
    expect(e.offsets.map(([a, b]) => text.slice(a, b)).join('')).toBe(text);
  });
});

describe('CharTokenizer', () => {
  it('builds the Tiny Shakespeare vocabulary (65 characters) and round-trips the corpus', async () => {
    const text = await readAssetText('text/tinyshakespeare/input.txt');
    const tok = CharTokenizer.fromCorpus(text);
    expect(tok.vocabSize).toBe(65); // nanoGPT's shakespeare_char vocab size
    expect(tok.idToToken(0)).toBe('\n');
    const ids = tok.encodeToInt32(text);
    expect(ids.length).toBe(text.length);
    expect(tok.decode(ids)).toBe(text);
    expect(Array.from(tok.encodeToInt32('First'))).toEqual(tok.encodeIds('First'));
  });

  it('maps unknown characters to unk or fails naming the character', () => {
    const tok = new CharTokenizer(['a', 'b'], {
      specials: ['<pad>', '<unk>'],
      padToken: '<pad>',
      unkToken: '<unk>',
    });
    expect(tok.encodeIds('abz')).toEqual([2, 3, 1]);
    expect(tok.encodeBatch(['a', 'ab']).inputIds).toEqual(Int32Array.from([2, 0, 2, 3]));
    expect(() => new CharTokenizer(['a']).encodeIds('é')).toThrow(/U\+00E9/);
  });
});
