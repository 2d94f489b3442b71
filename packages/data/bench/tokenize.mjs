import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { report, time } from '../../../scripts/bench.mjs';
import {
  CharTokenizer,
  loadBertUncasedTokenizer,
  loadGpt2Tokenizer,
  loadStories260KTokenizer,
  loadTinyShakespeare,
  readAssetText,
} from '../dist/index.js';
import { benchCorpus } from './corpus.mjs';

const corpus = await benchCorpus();
const chars = corpus.reduce((n, s) => n + s.length, 0);
const rows = [];

async function bench(name, baselineName, kdEncode, baselineEncode, texts = corpus) {
  let tokens = 0;
  for (const s of texts) tokens += kdEncode(s).length;
  const kd = await time(
    () => {
      for (const s of texts) kdEncode(s);
    },
    { warmup: 1, iters: 5 },
  );
  const row = {
    tokenizer: name,
    sentences: texts.length,
    tokens,
    kdMs: kd.medianMs,
    kdTokensPerS: Math.round(tokens / (kd.medianMs / 1000)),
  };
  if (baselineEncode) {
    const base = await time(
      () => {
        for (const s of texts) baselineEncode(s);
      },
      { warmup: 1, iters: 3 },
    );
    Object.assign(row, {
      baseline: baselineName,
      baselineMs: base.medianMs,
      baselineTokensPerS: Math.round(tokens / (base.medianMs / 1000)),
      speedup: base.medianMs / kd.medianMs,
    });
  }
  rows.push(row);
}

// BERT WordPiece vs @huggingface/tokenizers (tokenizers.js) on the same vocab.
const bert = await loadBertUncasedTokenizer();
const vocabLines = (await readAssetText('tokenizers/bert-base-uncased/vocab.txt')).split('\n');
vocabLines.pop();
const vocab = Object.fromEntries(vocabLines.map((t, i) => [t, i]));
const hfBert = new HfTokenizer(
  {
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((c) => ({
      id: vocab[c],
      content: c,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', 102], cls: ['[CLS]', 101] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  },
  {},
);
await bench(
  'wordpiece (bert-base-uncased)',
  '@huggingface/tokenizers 0.2.0',
  (s) => bert.encodeIds(s),
  (s) => hfBert.encode(s).ids,
);

// GPT-2 byte-level BPE vs tokenizers.js.
const gpt2 = await loadGpt2Tokenizer();
const merges = (await readAssetText('tokenizers/gpt2/merges.txt'))
  .split('\n')
  .filter((l, i) => l && !(i === 0 && l.startsWith('#version')));
const hfGpt2 = new HfTokenizer(
  {
    added_tokens: [
      {
        id: 50256,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: {
      type: 'ByteLevel',
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    },
    post_processor: { type: 'ByteLevel', trim_offsets: false },
    decoder: { type: 'ByteLevel' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab: JSON.parse(await readAssetText('tokenizers/gpt2/vocab.json')),
      merges,
    },
  },
  {},
);
await bench(
  'byte-level-bpe (gpt2)',
  '@huggingface/tokenizers 0.2.0',
  (s) => gpt2.encodeIds(s),
  (s) => hfGpt2.encode(s).ids,
);

// llama2.c: the heap merge vs a direct port of llama2.c's rescan-all-pairs loop.
const llama = await loadStories260KTokenizer();
const key = (id) => String.fromCharCode(...llama.pieceBytes[id]);
const lookup = new Map();
llama.pieceBytes.forEach((_, id) => {
  if (!lookup.has(key(id))) lookup.set(key(id), id);
});
const enc = new TextEncoder();
function llama2cRescan(text) {
  const tokens = [1];
  if (text.length > 0) tokens.push(lookup.get(' '));
  for (const ch of text) {
    const bytes = enc.encode(ch);
    const id = lookup.get(String.fromCharCode(...bytes));
    if (id !== undefined) tokens.push(id);
    else for (const b of bytes) tokens.push(b + 3);
  }
  for (;;) {
    let best = Math.fround(-1e10);
    let bestIdx = -1;
    let bestId = -1;
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = lookup.get(key(tokens[i]) + key(tokens[i + 1]));
      if (id !== undefined && llama.scores[id] > best) {
        best = llama.scores[id];
        bestIdx = i;
        bestId = id;
      }
    }
    if (bestIdx < 0) return tokens;
    tokens.splice(bestIdx, 2, bestId);
  }
}
// The rescan loop is O(n²) per text (75 s for the whole corpus), so both run on the
// 4,000 SST-2 sentences and 60 SQuAD paragraphs at the head of the corpus.
await bench(
  'llama2c (stories260K tok512)',
  'llama2.c rescan loop (JS port)',
  (s) => llama.encodeIds(s),
  llama2cRescan,
  corpus.slice(0, 4060),
);

// Characters: Tiny Shakespeare vocabulary, encodeToInt32 vs Array.from + Map lookups.
const shakespeare = await loadTinyShakespeare();
const char = CharTokenizer.fromCorpus(shakespeare, { specials: ['<unk>'], unkToken: '<unk>' });
const charMap = new Map(char.vocab.map((c, i) => [c, i]));
await bench(
  'char (tinyshakespeare)',
  'Array.from + Map.get',
  (s) => char.encodeToInt32(s),
  (s) => Array.from(s, (c) => charMap.get(c) ?? 0),
);

report('data-tokenize', rows, {
  corpusChars: chars,
  note: 'warm caches; median of 5 passes over the corpus',
});
