import type { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ByteLevelBpeTokenizer,
  loadBertUncasedTokenizer,
  loadGpt2Tokenizer,
  type WordPieceTokenizer,
} from '../src/index.js';
import { fixtureJson } from './helpers.js';
import { gpt2TokenizerJson, referenceBert, referenceGpt2 } from './reference-tokenizers.js';

// 3,600 real sentences from the bundled SST-2, Tiny Shakespeare, CoLA, SQuAD,
// WikiText-2 and STS-B samples, plus edge cases (accents, CJK, emoji, controls).
const { sentences } = fixtureJson<{ sentences: string[] }>('llama2c-tok512-reference.json');
const extra = [
  'Hello [MASK] world [SEP] and [CLS]!',
  'Ελληνικά ΟΔΟΣ σοφός ΣΟΦΟΣ',
  'zero\u200bwidth and\u00a0nbsp\u3000ideographic space',
  'control\u0007bell and \ufffd replacement',
  'Mixed 日本語テキスト 한국어 中文字符 and ﬁne ﬂow',
  `${'a'.repeat(120)} long word`,
  '<|endoftext|>between<|endoftext|>',
];
const corpus = [...sentences, ...extra];

describe('WordPiece (bert-base-uncased) vs @huggingface/tokenizers', () => {
  let ours: WordPieceTokenizer;
  let ref: HfTokenizer;
  beforeAll(async () => {
    ours = await loadBertUncasedTokenizer();
    ref = await referenceBert();
  });

  it(`gives the same ids on ${corpus.length} sentences`, () => {
    const bad: string[] = [];
    for (const s of corpus) {
      const a = ours.encodeIds(s);
      const b = ref.encode(s).ids;
      if (a.join() !== b.join())
        bad.push(`${JSON.stringify(s)}\n ours ${a.join(' ')}\n ref  ${b.join(' ')}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('gives the same ids and token type ids on sentence pairs', () => {
    for (let i = 0; i + 1 < 400; i += 2) {
      const a = ours.encode(corpus[i], { pair: corpus[i + 1] });
      const b = ref.encode(corpus[i], { text_pair: corpus[i + 1], return_token_type_ids: true });
      expect(a.ids).toEqual(b.ids);
      expect(a.tokenTypeIds).toEqual(b.token_type_ids);
    }
  });

  it('decodes like the reference', () => {
    for (const s of corpus.slice(0, 500)) {
      const ids = ours.encodeIds(s);
      if (ids.length > 0)
        expect(ours.decode(ids)).toBe(ref.decode(ids, { skip_special_tokens: true }));
    }
  });
});

describe('GPT-2 byte-level BPE vs @huggingface/tokenizers', () => {
  let ours: ByteLevelBpeTokenizer;
  let ref: HfTokenizer;
  beforeAll(async () => {
    ours = await loadGpt2Tokenizer();
    ref = await referenceGpt2();
  });

  it(`gives the same ids on ${corpus.length} sentences`, () => {
    const bad: string[] = [];
    for (const s of corpus) {
      const a = ours.encodeIds(s);
      const b = ref.encode(s).ids;
      if (a.join() !== b.join())
        bad.push(`${JSON.stringify(s)}\n ours ${a.join(' ')}\n ref  ${b.join(' ')}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('round-trips text through decode, as the reference does', () => {
    for (const s of corpus) {
      const ids = ours.encodeIds(s);
      expect(ours.decode(ids, { skipSpecialTokens: false })).toBe(s);
      if (ids.length > 0)
        expect(ours.decode(ids)).toBe(ref.decode(ids, { skip_special_tokens: true }));
    }
  });

  it('loads the same tokenizer from a tokenizer.json', async () => {
    const fromJson = ByteLevelBpeTokenizer.fromTokenizerJson(await gpt2TokenizerJson());
    for (const s of corpus.slice(0, 300)) expect(fromJson.encodeIds(s)).toEqual(ours.encodeIds(s));
  });
});

describe('tokenizer.json and model folders', () => {
  it('WordPiece from a BertTokenizerFast tokenizer.json equals the vocab.txt tokenizer', async () => {
    const { WordPieceTokenizer } = await import('../src/index.js');
    const { bertTokenizerJson } = await import('./reference-tokenizers.js');
    const fromJson = WordPieceTokenizer.fromTokenizerJson(await bertTokenizerJson());
    const ours = await loadBertUncasedTokenizer();
    for (const s of corpus.slice(0, 300)) expect(fromJson.encodeIds(s)).toEqual(ours.encodeIds(s));
  });

  it('loadTokenizerFromDir picks the tokenizer by the files present', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadTokenizerFromDir, readAsset, readAssetText } = await import('../src/index.js');
    const { bertTokenizerJson } = await import('./reference-tokenizers.js');
    const mk = (files: Record<string, string | Uint8Array>) => {
      const dir = mkdtempSync(join(tmpdir(), 'kd-tok-'));
      for (const [n, c] of Object.entries(files)) writeFileSync(join(dir, n), c);
      return dir;
    };
    const bertDir = mk({ 'tokenizer.json': JSON.stringify(await bertTokenizerJson()) });
    expect((await loadTokenizerFromDir(bertDir)).encodeIds('Hello there')).toEqual([
      101, 7592, 2045, 102,
    ]);
    const cased = mk({
      'vocab.txt': await readAssetText('tokenizers/bert-base-uncased/vocab.txt'),
      'tokenizer_config.json': '{"do_lower_case": false}',
    });
    expect((await loadTokenizerFromDir(cased)).tokenize('Hello')).toEqual(['[UNK]']);
    const gptDir = mk({
      'vocab.json': await readAssetText('tokenizers/gpt2/vocab.json'),
      'merges.txt': await readAssetText('tokenizers/gpt2/merges.txt'),
    });
    expect((await loadTokenizerFromDir(gptDir)).encodeIds('Hello world')).toEqual([15496, 995]);
    const llamaDir = mk({ 'tokenizer.bin': await readAsset('llama2c/stories260K/tok512.bin') });
    expect((await loadTokenizerFromDir(llamaDir)).encodeIds('Once upon a time')).toEqual([
      1, 403, 407, 261, 378,
    ]);
    await expect(loadTokenizerFromDir(mk({}))).rejects.toThrow(/no tokenizer files/);
  });
});
