#!/usr/bin/env node
// Rebuilds assets/ from a copy of the project's data folder:
// `node scripts/build-assets.mjs <data-dir>`. Deterministic (every k-th row, gzip -9, no mtime).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const src = process.argv[2];
if (!src) {
  console.error('usage: node scripts/build-assets.mjs <data-dir>');
  process.exit(2);
}
const assets = join(dirname(fileURLToPath(import.meta.url)), '..', 'assets');
const put = (name, bytes) => {
  const path = join(assets, `${name}.gz`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, gzipSync(bytes, { level: 9 }));
  console.log(`${name}.gz  ${bytes.length} B`);
};
const read = (p) => readFileSync(join(src, p));

// QQP: every k-th of the 23,497-row random train subset (row 1, with its
// space-instead-of-TAB quirk, is kept on purpose), and the 9-row dev sample.
{
  const lines = read('glue/QQP/train_subset_23k.tsv').toString().split('\n');
  if (lines.at(-1) === '') lines.pop();
  const rows = 5000;
  const step = Math.floor(lines.length / rows);
  const picked = lines.filter((_, i) => i % step === 0).slice(0, rows);
  put('qqp/train.sample.tsv', Buffer.from(`${picked.join('\n')}\n`));
  put('qqp/dev.sample.tsv', read('glue/QQP/dev_sample10.tsv'));
}
// MRPC: full train and dev (UTF-8 BOM kept as in the originals).
put('mrpc/train.tsv', read('glue/MRPC/train.tsv'));
put('mrpc/dev.tsv', read('glue/MRPC/dev.tsv'));
