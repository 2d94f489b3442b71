import { defineEntry, ValidationError } from '@kd/core';
import { z } from 'zod';
import { readAsset, readAssetText } from '../assets.js';
import { readDataText } from '../datasets/source.js';
import { maybeGunzip, readLocation } from '../io/bytes.js';
import { ByteLevelBpeTokenizer } from './byte-level-bpe.js';
import { CharTokenizer } from './char.js';
import { Llama2cTokenizer } from './llama2c.js';
import type { Tokenizer } from './types.js';
import { WordPieceTokenizer } from './wordpiece.js';

/** What a `tokenizer:<id>` entry creates: files are read on `load()`, in Node or a browser. */
export interface TokenizerHandle<T extends Tokenizer = Tokenizer> {
  readonly id: string;
  load(): Promise<T>;
}

const wordpieceOptions = z.strictObject({
  vocabPath: z
    .string()
    .min(1)
    .optional()
    .describe('vocab.txt; default: the bundled bert-base-uncased vocabulary'),
  lowercase: z.boolean().default(true),
  stripAccents: z.boolean().optional().describe('default: same as lowercase'),
  handleChineseChars: z.boolean().default(true),
  maxInputCharsPerWord: z.number().int().positive().default(100),
});

const bpeOptions = z.strictObject({
  tokenizerJsonPath: z
    .string()
    .min(1)
    .optional()
    .describe('a Hugging Face tokenizer.json with a BPE model'),
  vocabPath: z
    .string()
    .min(1)
    .optional()
    .describe('vocab.json (with mergesPath); default: the bundled GPT-2 files'),
  mergesPath: z.string().min(1).optional(),
  addPrefixSpace: z.boolean().default(false),
  padToken: z.string().optional(),
});

const llama2cOptions = z.strictObject({
  path: z
    .string()
    .min(1)
    .optional()
    .describe('llama2.c tokenizer.bin; default: the bundled stories260K tok512.bin'),
  vocabSize: z.number().int().positive().optional(),
  addBos: z.boolean().default(true),
  addEos: z.boolean().default(false),
  padTokenId: z.number().int().nonnegative().optional(),
});

const charOptions = z.strictObject({
  chars: z
    .string()
    .min(1)
    .optional()
    .describe('the vocabulary characters, in id order; default: those of Tiny Shakespeare'),
  specials: z.array(z.string()).default([]),
  padToken: z.string().optional(),
  unkToken: z.string().optional(),
});

export const tokenizerEntries = [
  defineEntry({
    kind: 'tokenizer',
    id: 'wordpiece',
    description:
      'BERT WordPiece (vocab.txt; default bert-base-uncased), HF BertTokenizerFast-compatible',
    options: wordpieceOptions,
    create: (o): TokenizerHandle<WordPieceTokenizer> => ({
      id: 'wordpiece',
      load: async () => {
        const text = o.vocabPath
          ? await readDataText(o.vocabPath)
          : await readAssetText('tokenizers/bert-base-uncased/vocab.txt');
        const { vocabPath, ...rest } = o;
        return WordPieceTokenizer.fromVocabTxt(text, {
          ...rest,
          where: vocabPath ?? 'bert-base-uncased/vocab.txt',
        });
      },
    }),
  }),
  defineEntry({
    kind: 'tokenizer',
    id: 'byte-level-bpe',
    description: 'GPT-2 byte-level BPE (vocab.json + merges.txt or tokenizer.json; default GPT-2)',
    options: bpeOptions,
    create: (o): TokenizerHandle<ByteLevelBpeTokenizer> => ({
      id: 'byte-level-bpe',
      load: async () => {
        const opts = { addPrefixSpace: o.addPrefixSpace, padToken: o.padToken };
        if (o.tokenizerJsonPath) {
          return ByteLevelBpeTokenizer.fromTokenizerJson(await readDataText(o.tokenizerJsonPath), {
            ...opts,
            where: o.tokenizerJsonPath,
          });
        }
        if ((o.vocabPath === undefined) !== (o.mergesPath === undefined)) {
          throw new ValidationError(
            'byte-level-bpe needs both vocabPath and mergesPath (or tokenizerJsonPath)',
          );
        }
        const [vocab, merges] = o.vocabPath
          ? await Promise.all([readDataText(o.vocabPath), readDataText(o.mergesPath as string)])
          : await Promise.all([
              readAssetText('tokenizers/gpt2/vocab.json'),
              readAssetText('tokenizers/gpt2/merges.txt'),
            ]);
        return ByteLevelBpeTokenizer.fromFiles(vocab, merges, opts);
      },
    }),
  }),
  defineEntry({
    kind: 'tokenizer',
    id: 'llama2c',
    description: "llama2.c / SentencePiece BPE tokenizer.bin (default stories260K's tok512.bin)",
    options: llama2cOptions,
    create: (o): TokenizerHandle<Llama2cTokenizer> => ({
      id: 'llama2c',
      load: async () => {
        const bytes = o.path
          ? await maybeGunzip(await readLocation(o.path), o.path)
          : await readAsset('llama2c/stories260K/tok512.bin');
        const { path, ...rest } = o;
        return Llama2cTokenizer.fromBytes(bytes, {
          ...rest,
          vocabSize: o.vocabSize ?? (path ? undefined : 512),
          where: path ?? 'tok512.bin',
        });
      },
    }),
  }),
  defineEntry({
    kind: 'tokenizer',
    id: 'char',
    description:
      'one token per character (default vocabulary: the 65 characters of Tiny Shakespeare)',
    options: charOptions,
    create: (o): TokenizerHandle<CharTokenizer> => ({
      id: 'char',
      load: async () => {
        const opts = { specials: o.specials, padToken: o.padToken, unkToken: o.unkToken };
        if (o.chars) return new CharTokenizer(Array.from(o.chars), opts);
        return CharTokenizer.fromCorpus(
          await readAssetText('text/tinyshakespeare/input.txt'),
          opts,
        );
      },
    }),
  }),
];
