import { readAssetText } from './assets.js';
import { type ByteLevelBpeOptions, ByteLevelBpeTokenizer } from './tokenizers/byte-level-bpe.js';
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
