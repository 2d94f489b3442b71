#!/usr/bin/env node
// Packs the encoder teacher into @kd/losses' bundled assets:
//
//   node scripts/pack-encoder-assets.mjs <pretrain-out> <classification-out>
//
// <pretrain-out>: the output directory of `kd run recipes/kd-encoder-pretrain.yaml`
//   (encoder-base.safetensors, vocab.txt);
// <classification-out>: the output directory of `kd run recipes/kd-classification.yaml
//   --profile full` with `teachers: fine-tune` (teachers.safetensors).
//
// Writes assets/encoder/vocab.txt.gz and assets/encoder/teachers.safetensors.gz
// (F16, gzip -9): `base.*` (the encoder without its MLM head) and `sst2.*`
// (the fine-tuned SST-2 teacher the quick profile distils from; the RTE
// teacher is left out to stay under 2 MB — the full profile fine-tunes it).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decodeSafetensors, encodeSafetensors } from '@kd/core';

const [pretrainDir, classificationDir] = process.argv.slice(2);
if (!pretrainDir) {
  process.stderr.write('usage: pack-encoder-assets.mjs <pretrain-out> [classification-out]\n');
  process.exit(2);
}
const base = decodeSafetensors(
  new Uint8Array(readFileSync(join(pretrainDir, 'encoder-base.safetensors'))),
);
const tensors = {};
for (const [k, t] of Object.entries(base.tensors)) {
  if (k.startsWith('cls.')) continue; // the MLM head is not needed to fine-tune
  tensors[`base.${k}`] = { dtype: 'F16', shape: t.shape, data: t.data };
}
const metadata = {
  format: 'pt',
  config: base.metadata.config,
  base: JSON.stringify(base.metadata),
};
if (classificationDir) {
  const teachers = decodeSafetensors(
    new Uint8Array(readFileSync(join(classificationDir, 'teachers.safetensors'))),
  );
  for (const [k, t] of Object.entries(teachers.tensors)) {
    if (k.startsWith('sst2.')) tensors[k] = { dtype: 'F16', shape: t.shape, data: t.data };
  }
  metadata.teachers = JSON.stringify(teachers.metadata);
}
const out = new URL('../assets/encoder/', import.meta.url);
mkdirSync(out, { recursive: true });
const weights = gzipSync(encodeSafetensors(tensors, metadata), { level: 9 });
writeFileSync(new URL('teachers.safetensors.gz', out), weights);
writeFileSync(
  new URL('vocab.txt.gz', out),
  gzipSync(readFileSync(join(pretrainDir, 'vocab.txt')), { level: 9 }),
);
process.stdout.write(
  `teachers.safetensors.gz: ${weights.length} bytes, ${Object.keys(tensors).length} tensors\n`,
);
