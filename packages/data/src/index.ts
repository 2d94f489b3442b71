import { definePlugin } from '@kd/core';
import { datasetEntries } from './datasets/entries.js';
import { tokenizerEntries } from './tokenizers/entries.js';

export * from './assets.js';
export * from './batching/collate.js';
export * from './batching/lm.js';
export * from './batching/loader.js';
export * from './batching/sampler.js';
export * from './batching/squad-features.js';
export * from './datasets/entries.js';
export type * from './datasets/handles.js';
export * from './datasets/loaders.js';
export {
  type DataSource,
  joinLocation,
  readDataText,
  readFromDir,
  sourceOf,
} from './datasets/source.js';
export { decodeText, gunzip, isGzip, maybeGunzip, readLocation } from './io/bytes.js';
export { type Line, lineError, parseJson, splitLines, streamLines } from './io/lines.js';
export * from './pretrained.js';
export * from './readers/conll04.js';
export * from './readers/glue.js';
export * from './readers/iob2.js';
export * from './readers/kg.js';
export * from './readers/planetoid.js';
export * from './readers/squad.js';
export * from './readers/text.js';
export * from './stories260k.js';
export {
  BaseTokenizer,
  type Template,
  type TemplatePart,
  truncatedLengths,
} from './tokenizers/base.js';
export {
  type ByteLevelBpeOptions,
  ByteLevelBpeTokenizer,
  bytesToUnicode,
  GPT2_PATTERN,
  parseMergesTxt,
  parseVocabJson,
} from './tokenizers/byte-level-bpe.js';
export { CharTokenizer, type CharTokenizerOptions } from './tokenizers/char.js';
export { type TokenizerHandle, tokenizerEntries } from './tokenizers/entries.js';
export {
  type Llama2cDecodeOptions,
  Llama2cTokenizer,
  type Llama2cTokenizerOptions,
} from './tokenizers/llama2c.js';
export type * from './tokenizers/types.js';
export { parseVocabTxt } from './tokenizers/vocab.js';
export {
  cleanUpTokenization,
  type WordPieceOptions,
  WordPieceTokenizer,
} from './tokenizers/wordpiece.js';

/** Everything @kd/data provides to the registry: `registry.register(plugin)`. */
export const plugin = definePlugin({
  meta: { name: '@kd/data', version: '0.1.0', apiVersion: '1.0.0' },
  provides: [...datasetEntries, ...tokenizerEntries],
});
