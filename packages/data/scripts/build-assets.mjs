#!/usr/bin/env node
// Rebuilds packages/data/assets (and test/fixtures slices) from a copy of the
// project's real-data folder: `node scripts/build-assets.mjs <data-dir>`.
// Every sample is deterministic (every k-th row, or the first N articles), so a
// rebuild from the same sources gives byte-identical assets (gzip -9, no mtime).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const src = process.argv[2];
if (!src) {
  console.error('usage: node scripts/build-assets.mjs <data-dir>');
  process.exit(2);
}
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const assets = join(pkg, 'assets');
const fixtures = join(pkg, 'test', 'fixtures');

function put(dir, name, bytes) {
  const path = join(dir, `${name}.gz`);
  mkdirSync(dirname(path), { recursive: true });
  // gzip header mtime is 0 in Node's gzipSync, so output is reproducible.
  writeFileSync(path, gzipSync(bytes, { level: 9 }));
  console.log(`${path.slice(pkg.length + 1)}  ${bytes.length} B`);
}
const read = (p) => readFileSync(join(src, p));
const copy = (from, to) => put(assets, to, read(from));

/** Header (if any) plus every k-th data row so the sample spans the whole file. */
function everyKth(text, { header, rows }) {
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  const head = header ? [lines.shift()] : [];
  const step = Math.max(1, Math.floor(lines.length / rows));
  const picked = lines.filter((_, i) => i % step === 0).slice(0, rows);
  return Buffer.from([...head, ...picked].join('\n') + (trailing === undefined ? '' : '\n'));
}
/** Every k-th blank-line separated block (sentences of CoNLL-style files). */
function everyKthBlock(text, blocks, keepPrefix = 0) {
  const all = text.replace(/\n+$/, '').split(/\n[ \t]*\n/);
  const step = Math.max(1, Math.floor(all.length / blocks));
  const picked = all.filter((_, i) => i % step === 0).slice(0, blocks);
  return Buffer.from(`${picked.join('\n\n')}\n`.slice(keepPrefix));
}
const firstLines = (text, n) => Buffer.from(`${text.split('\n').slice(0, n).join('\n')}\n`);

// llama2.c stories260K (MIT)
for (const f of [
  'stories260K.bin',
  'checkpoint_v1.bin',
  'tok512.bin',
  'expected_generations.txt',
]) {
  copy(`model-llama2c-stories260K/${f}`, `llama2c/stories260K/${f}`);
}
// tokenizers
copy('tokenizers/bert-base-uncased/vocab.txt', 'tokenizers/bert-base-uncased/vocab.txt');
copy('tokenizers/gpt2/vocab.json', 'tokenizers/gpt2/vocab.json');
copy('tokenizers/gpt2/merges.txt', 'tokenizers/gpt2/merges.txt');

// GLUE (non-commercial QQP/MRPC live in @kd/datasets-nc)
put(
  assets,
  'glue/sst2/train.sample.tsv',
  everyKth(read('glue/SST-2/train.tsv').toString(), { header: true, rows: 4000 }),
);
copy('glue/SST-2/dev.tsv', 'glue/sst2/dev.tsv');
copy('glue/RTE/train.tsv', 'glue/rte/train.tsv');
copy('glue/RTE/dev.tsv', 'glue/rte/dev.tsv');
put(
  assets,
  'glue/stsb/train.sample.tsv',
  everyKth(read('glue/STS-B/train.tsv').toString(), { header: true, rows: 2000 }),
);
copy('glue/STS-B/dev.tsv', 'glue/stsb/dev.tsv');
copy('glue/STS-B/LICENSE.txt', 'glue/stsb/LICENSE.txt');
copy('glue/CoLA/dev.tsv', 'glue/cola/dev.tsv');
put(
  assets,
  'glue/cola/train.sample.tsv',
  everyKth(read('glue/CoLA/train_part1_7250.tsv').toString(), { header: false, rows: 2000 }),
);

// SQuAD v1.1 dev: the first 6 articles, whole (every paragraph and question).
{
  const squad = JSON.parse(read('squad-v1.1/dev-v1.1.json').toString());
  const sample = { data: squad.data.slice(0, 6), version: squad.version };
  put(assets, 'squad-v1.1/dev.sample.json', Buffer.from(JSON.stringify(sample)));
}

// Plain-text corpora
copy('tinyshakespeare/input.txt', 'text/tinyshakespeare/input.txt');
copy('wikitext-2/valid.txt', 'text/wikitext-2/valid.txt');

// Knowledge graphs: the three small ones in full.
for (const kg of ['kinship', 'umls', 'nations']) {
  for (const split of ['train', 'valid', 'test'])
    copy(`kg-${kg}/${split}.txt`, `kg/${kg}/${split}.txt`);
}
// WN18RR / FB15k-237 stay out of the published package: small slices for tests only.
for (const split of ['train', 'valid', 'test']) {
  put(
    fixtures,
    `kg/wn18rr/${split}.txt`,
    firstLines(read(`kg-wn18rr/${split}.txt`).toString(), 300),
  );
}
for (const split of ['valid', 'test']) {
  put(
    fixtures,
    `kg/fb15k-237/${split}.txt`,
    firstLines(read(`kg-fb15k-237/${split}.txt`).toString(), 300),
  );
}

// Planetoid Cora / CiteSeer, full.
for (const g of ['cora', 'citeseer']) {
  for (const f of ['features', 'labels', 'edges', 'split'])
    copy(`${g}/planetoid/${f}.txt`, `planetoid/${g}/${f}.txt`);
}

// CoNLL04 (SpERT layout), full.
for (const split of ['train', 'dev', 'test'])
  copy(`conll04/spert/conll04_${split}.json`, `conll04/${split}.json`);
copy('conll04/conll04_types.json', 'conll04/types.json');

// WNUT-17: a train sample + full dev; UNER English-EWT: a dev sample (CoNLL-U-like).
put(
  assets,
  'ner/wnut17/train.sample.conll',
  everyKthBlock(read('ner-wnut17/train.conll').toString(), 1000),
);
copy('ner-wnut17/dev.conll', 'ner/wnut17/dev.conll');
put(
  assets,
  'ner/uner-en-ewt/dev.sample.iob2',
  everyKthBlock(read('ner-uner-en-ewt/dev.iob2').toString(), 500),
);
