import { NotFoundError } from '@kd/core';
import { decodeText, maybeGunzip, readLocation } from './io/bytes.js';

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
 * One static `new URL(<string literal>, import.meta.url)` per asset. Bundlers
 * (Vite, webpack 5, Parcel) recognise exactly this form, copy the file into the
 * build and rewrite the URL; a computed path (a template literal) is either left
 * pointing at nothing or turned into a one-level glob that misses the nested
 * folders. Functions, so a URL is built only when asked for.
 */
const URLS: { readonly [K in AssetName]: () => URL } = {
  'llama2c/stories260K/stories260K.bin': () =>
    new URL('../assets/llama2c/stories260K/stories260K.bin.gz', import.meta.url),
  'llama2c/stories260K/checkpoint_v1.bin': () =>
    new URL('../assets/llama2c/stories260K/checkpoint_v1.bin.gz', import.meta.url),
  'llama2c/stories260K/tok512.bin': () =>
    new URL('../assets/llama2c/stories260K/tok512.bin.gz', import.meta.url),
  'llama2c/stories260K/expected_generations.txt': () =>
    new URL('../assets/llama2c/stories260K/expected_generations.txt.gz', import.meta.url),
  'tokenizers/bert-base-uncased/vocab.txt': () =>
    new URL('../assets/tokenizers/bert-base-uncased/vocab.txt.gz', import.meta.url),
  'tokenizers/gpt2/vocab.json': () =>
    new URL('../assets/tokenizers/gpt2/vocab.json.gz', import.meta.url),
  'tokenizers/gpt2/merges.txt': () =>
    new URL('../assets/tokenizers/gpt2/merges.txt.gz', import.meta.url),
  'glue/sst2/train.sample.tsv': () =>
    new URL('../assets/glue/sst2/train.sample.tsv.gz', import.meta.url),
  'glue/sst2/dev.tsv': () => new URL('../assets/glue/sst2/dev.tsv.gz', import.meta.url),
  'glue/rte/train.tsv': () => new URL('../assets/glue/rte/train.tsv.gz', import.meta.url),
  'glue/rte/dev.tsv': () => new URL('../assets/glue/rte/dev.tsv.gz', import.meta.url),
  'glue/stsb/train.sample.tsv': () =>
    new URL('../assets/glue/stsb/train.sample.tsv.gz', import.meta.url),
  'glue/stsb/dev.tsv': () => new URL('../assets/glue/stsb/dev.tsv.gz', import.meta.url),
  'glue/stsb/LICENSE.txt': () => new URL('../assets/glue/stsb/LICENSE.txt.gz', import.meta.url),
  'glue/cola/train.sample.tsv': () =>
    new URL('../assets/glue/cola/train.sample.tsv.gz', import.meta.url),
  'glue/cola/dev.tsv': () => new URL('../assets/glue/cola/dev.tsv.gz', import.meta.url),
  'squad-v1.1/dev.sample.json': () =>
    new URL('../assets/squad-v1.1/dev.sample.json.gz', import.meta.url),
  'text/tinyshakespeare/input.txt': () =>
    new URL('../assets/text/tinyshakespeare/input.txt.gz', import.meta.url),
  'text/wikitext-2/valid.txt': () =>
    new URL('../assets/text/wikitext-2/valid.txt.gz', import.meta.url),
  'kg/kinship/train.txt': () => new URL('../assets/kg/kinship/train.txt.gz', import.meta.url),
  'kg/kinship/valid.txt': () => new URL('../assets/kg/kinship/valid.txt.gz', import.meta.url),
  'kg/kinship/test.txt': () => new URL('../assets/kg/kinship/test.txt.gz', import.meta.url),
  'kg/umls/train.txt': () => new URL('../assets/kg/umls/train.txt.gz', import.meta.url),
  'kg/umls/valid.txt': () => new URL('../assets/kg/umls/valid.txt.gz', import.meta.url),
  'kg/umls/test.txt': () => new URL('../assets/kg/umls/test.txt.gz', import.meta.url),
  'kg/nations/train.txt': () => new URL('../assets/kg/nations/train.txt.gz', import.meta.url),
  'kg/nations/valid.txt': () => new URL('../assets/kg/nations/valid.txt.gz', import.meta.url),
  'kg/nations/test.txt': () => new URL('../assets/kg/nations/test.txt.gz', import.meta.url),
  'planetoid/cora/features.txt': () =>
    new URL('../assets/planetoid/cora/features.txt.gz', import.meta.url),
  'planetoid/cora/labels.txt': () =>
    new URL('../assets/planetoid/cora/labels.txt.gz', import.meta.url),
  'planetoid/cora/edges.txt': () =>
    new URL('../assets/planetoid/cora/edges.txt.gz', import.meta.url),
  'planetoid/cora/split.txt': () =>
    new URL('../assets/planetoid/cora/split.txt.gz', import.meta.url),
  'planetoid/citeseer/features.txt': () =>
    new URL('../assets/planetoid/citeseer/features.txt.gz', import.meta.url),
  'planetoid/citeseer/labels.txt': () =>
    new URL('../assets/planetoid/citeseer/labels.txt.gz', import.meta.url),
  'planetoid/citeseer/edges.txt': () =>
    new URL('../assets/planetoid/citeseer/edges.txt.gz', import.meta.url),
  'planetoid/citeseer/split.txt': () =>
    new URL('../assets/planetoid/citeseer/split.txt.gz', import.meta.url),
  'conll04/train.json': () => new URL('../assets/conll04/train.json.gz', import.meta.url),
  'conll04/dev.json': () => new URL('../assets/conll04/dev.json.gz', import.meta.url),
  'conll04/test.json': () => new URL('../assets/conll04/test.json.gz', import.meta.url),
  'conll04/types.json': () => new URL('../assets/conll04/types.json.gz', import.meta.url),
  'ner/wnut17/train.sample.conll': () =>
    new URL('../assets/ner/wnut17/train.sample.conll.gz', import.meta.url),
  'ner/wnut17/dev.conll': () => new URL('../assets/ner/wnut17/dev.conll.gz', import.meta.url),
  'ner/uner-en-ewt/dev.sample.iob2': () =>
    new URL('../assets/ner/uner-en-ewt/dev.sample.iob2.gz', import.meta.url),
};

/**
 * Where a bundled asset lives: a `file:` URL in Node, an http(s) URL (or a
 * `data:` URL for small files) when a bundler serves the package's `assets/`.
 * This file sits one folder below the package root in both `src/` and `dist/`,
 * so one relative path works.
 */
export function assetUrl(name: AssetName): URL {
  if (!known.has(name)) {
    throw new NotFoundError(`no bundled asset "${name}"`, [...ASSET_NAMES], { where: '@kd/data' });
  }
  return URLS[name]();
}

/**
 * The decompressed bytes of a bundled asset. A web server may already have
 * decoded the `.gz` (Vite's dev server sends it with `Content-Encoding: gzip`,
 * so the browser inflates it on the way in): bytes that do not start with the
 * gzip magic number are taken as they are. No bundled file starts with it.
 */
export async function readAsset(name: AssetName): Promise<Uint8Array> {
  const url = assetUrl(name);
  return maybeGunzip(await readLocation(url), `@kd/data/assets/${name}.gz`);
}

/** A bundled asset as UTF-8 text (BOM removed). */
export async function readAssetText(name: AssetName): Promise<string> {
  return decodeText(await readAsset(name));
}
