import { report, time } from '../../../scripts/bench.mjs';
import {
  collate,
  DataLoader,
  encodeExamples,
  loadBertUncasedTokenizer,
  loadGlue,
} from '../dist/index.js';

// One epoch of SST-2's 4,000-row train sample, batch 32, BERT tokens.
const bert = await loadBertUncasedTokenizer();
const examples = (await loadGlue('sst2', 'train')).examples;
const encoded = encodeExamples(examples, bert, { maxLength: 128 });
const realTokens = encoded.reduce((n, e) => n + e.ids.length, 0);
const rows = [];

const epoch = (bucket) => {
  const loader = new DataLoader(encoded, {
    batchSize: 32,
    seed: 0,
    lengthOf: bucket ? (e) => e.ids.length : undefined,
    collate: (items, idx) => collate(items, idx, { padId: 0 }),
  });
  let padded = 0;
  for (const { batch } of loader.epoch()) padded += batch.batchSize * batch.seqLen;
  return padded;
};

// Baseline: tokenise and pad every batch from text each epoch (tokenizer.encodeBatch).
const baselineEpoch = () => {
  for (let i = 0; i < examples.length; i += 32) {
    bert.encodeBatch(
      examples.slice(i, i + 32).map((e) => e.text),
      { maxLength: 128 },
    );
  }
};

const base = await time(baselineEpoch, { warmup: 1, iters: 5 });
for (const bucket of [false, true]) {
  const padded = epoch(bucket);
  const t = await time(() => epoch(bucket), { warmup: 1, iters: 10 });
  rows.push({
    loader: bucket ? 'DataLoader + length buckets' : 'DataLoader (shuffled)',
    baseline: 'encodeBatch from text',
    realTokens,
    paddedTokens: padded,
    paddingFraction: 1 - realTokens / padded,
    kdMs: t.medianMs,
    kdTokensPerS: Math.round(realTokens / (t.medianMs / 1000)),
    baselineMs: base.medianMs,
    baselineTokensPerS: Math.round(realTokens / (base.medianMs / 1000)),
    speedup: base.medianMs / t.medianMs,
  });
}
report('data-batching', rows, { dataset: 'glue-sst2 train sample (4,000 rows)', batchSize: 32 });
