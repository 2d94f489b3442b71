import { NotFoundError } from '@kd/core';
import { decodeText, gunzip, readLocation } from './io/bytes.js';

/**
 * Every real-data file bundled in `@kd/data/assets/` (gzip-compressed; names
 * here are without `.gz`). Attribution and licences are in `assets/NOTICE.md`.
 */
export const ASSET_NAMES = [
  'llama2c/stories260K/stories260K.bin',
  'llama2c/stories260K/checkpoint_v1.bin',
  'llama2c/stories260K/tok512.bin',
  'llama2c/stories260K/expected_generations.txt',
  'tokenizers/bert-base-uncased/vocab.txt',
  'tokenizers/gpt2/vocab.json',
  'tokenizers/gpt2/merges.txt',
  'glue/sst2/train.sample.tsv',
  'glue/sst2/dev.tsv',
  'glue/rte/train.tsv',
  'glue/rte/dev.tsv',
  'glue/stsb/train.sample.tsv',
  'glue/stsb/dev.tsv',
  'glue/stsb/LICENSE.txt',
  'glue/cola/train.sample.tsv',
  'glue/cola/dev.tsv',
  'squad-v1.1/dev.sample.json',
  'text/tinyshakespeare/input.txt',
  'text/wikitext-2/valid.txt',
  'kg/kinship/train.txt',
  'kg/kinship/valid.txt',
  'kg/kinship/test.txt',
  'kg/umls/train.txt',
  'kg/umls/valid.txt',
  'kg/umls/test.txt',
  'kg/nations/train.txt',
  'kg/nations/valid.txt',
  'kg/nations/test.txt',
  'planetoid/cora/features.txt',
  'planetoid/cora/labels.txt',
  'planetoid/cora/edges.txt',
  'planetoid/cora/split.txt',
  'planetoid/citeseer/features.txt',
  'planetoid/citeseer/labels.txt',
  'planetoid/citeseer/edges.txt',
  'planetoid/citeseer/split.txt',
  'conll04/train.json',
  'conll04/dev.json',
  'conll04/test.json',
  'conll04/types.json',
  'ner/wnut17/train.sample.conll',
  'ner/wnut17/dev.conll',
  'ner/uner-en-ewt/dev.sample.iob2',
] as const;
export type AssetName = (typeof ASSET_NAMES)[number];

const known = new Set<string>(ASSET_NAMES);

/**
 * Where a bundled asset lives: a `file:` URL in Node, an http(s) URL when a
 * bundler serves the package's `assets/` folder. This file sits one folder
 * below the package root in both `src/` and `dist/`, so one relative path works.
 */
export function assetUrl(name: AssetName): URL {
  if (!known.has(name)) {
    throw new NotFoundError(`no bundled asset "${name}"`, [...ASSET_NAMES], { where: '@kd/data' });
  }
  return new URL(`../assets/${name}.gz`, import.meta.url);
}

/** The decompressed bytes of a bundled asset. */
export async function readAsset(name: AssetName): Promise<Uint8Array> {
  const url = assetUrl(name);
  return gunzip(await readLocation(url), `@kd/data/assets/${name}.gz`);
}

/** A bundled asset as UTF-8 text (BOM removed). */
export async function readAssetText(name: AssetName): Promise<string> {
  return decodeText(await readAsset(name));
}
