import { FormatError, NotFoundError } from '@kd/core';
import { readAssetText } from './assets.js';
import { joinLocation, readFromDir } from './datasets/source.js';
import { maybeGunzip, readLocation } from './io/bytes.js';
import { type ByteLevelBpeOptions, ByteLevelBpeTokenizer } from './tokenizers/byte-level-bpe.js';
import { Llama2cTokenizer } from './tokenizers/llama2c.js';
import type { Tokenizer } from './tokenizers/types.js';
import { type WordPieceOptions, WordPieceTokenizer } from './tokenizers/wordpiece.js';

/** `bert-base-uncased`'s WordPiece tokenizer from the bundled vocab.txt (30,522 tokens). */
export async function loadBertUncasedTokenizer(
  options: WordPieceOptions = {},
): Promise<WordPieceTokenizer> {
  return WordPieceTokenizer.fromVocabTxt(
    await readAssetText('tokenizers/bert-base-uncased/vocab.txt'),
    {
      ...options,
      where: '@kd/data/assets/tokenizers/bert-base-uncased/vocab.txt',
    },
  );
}

/** GPT-2's byte-level BPE from the bundled vocab.json + merges.txt (50,257 tokens). */
export async function loadGpt2Tokenizer(
  options: ByteLevelBpeOptions = {},
): Promise<ByteLevelBpeTokenizer> {
  const [vocab, merges] = await Promise.all([
    readAssetText('tokenizers/gpt2/vocab.json'),
    readAssetText('tokenizers/gpt2/merges.txt'),
  ]);
  return ByteLevelBpeTokenizer.fromFiles(vocab, merges, options);
}

async function tryRead(dir: string | URL, name: string): Promise<string | undefined> {
  try {
    return await readFromDir(dir, name);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * The tokenizer of a model folder (a Hugging Face checkpoint directory or a
 * llama2.c export), picked by the files present, in this order:
 * `tokenizer.json` (WordPiece or byte-level BPE model), `vocab.txt` (WordPiece;
 * `do_lower_case` from `tokenizer_config.json`, default true), `vocab.json` +
 * `merges.txt` (byte-level BPE), `tokenizer.bin` (llama2.c).
 */
export async function loadTokenizerFromDir(dir: string | URL): Promise<Tokenizer> {
  const where = (f: string) => String(joinLocation(dir, f));
  const configText = await tryRead(dir, 'tokenizer_config.json');
  const config = configText ? (JSON.parse(configText) as { do_lower_case?: boolean }) : {};
  const json = await tryRead(dir, 'tokenizer.json');
  if (json !== undefined) {
    const type = (JSON.parse(json) as { model?: { type?: string } }).model?.type;
    if (type === 'WordPiece')
      return WordPieceTokenizer.fromTokenizerJson(json, { where: where('tokenizer.json') });
    if (type === 'BPE')
      return ByteLevelBpeTokenizer.fromTokenizerJson(json, { where: where('tokenizer.json') });
    throw new FormatError(
      `expected a WordPiece or BPE model, got ${JSON.stringify(type)} (Unigram/SentencePiece models are not supported)`,
      {
        where: where('tokenizer.json'),
      },
    );
  }
  const vocabTxt = await tryRead(dir, 'vocab.txt');
  if (vocabTxt !== undefined) {
    return WordPieceTokenizer.fromVocabTxt(vocabTxt, {
      lowercase: config.do_lower_case ?? true,
      where: where('vocab.txt'),
    });
  }
  const vocabJson = await tryRead(dir, 'vocab.json');
  const merges = await tryRead(dir, 'merges.txt');
  if (vocabJson !== undefined && merges !== undefined)
    return ByteLevelBpeTokenizer.fromFiles(vocabJson, merges);
  try {
    const bytes = await maybeGunzip(await readLocation(joinLocation(dir, 'tokenizer.bin')));
    return Llama2cTokenizer.fromBytes(bytes, { where: where('tokenizer.bin') });
  } catch (error) {
    if ((error as { code?: string })?.code !== 'ENOENT') throw error;
  }
  throw new NotFoundError(
    `no tokenizer files in ${String(dir)}: expected tokenizer.json, vocab.txt, vocab.json + merges.txt, or tokenizer.bin`,
  );
}
