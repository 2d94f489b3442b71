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
