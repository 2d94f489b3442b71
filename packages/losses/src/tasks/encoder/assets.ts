import { decodeSafetensors, type SafetensorsTensor, type StoredTensor } from '@kd/core';
import { gunzip, readLocation, WordPieceTokenizer } from '@kd/data';
import { type EncoderShape, encoderShape } from './model.js';

/**
 * The encoder teacher bundled with @kd/losses (`assets/encoder/`, gzip):
 *
 * - `vocab.txt`: the 4,096-piece vocabulary pruned from bert-base-uncased
 *   (see `pruneWordPieceVocab`);
 * - `teachers.safetensors` (F16): `base.*`, the masked-LM-pretrained encoder
 *   without its MLM head (`kd-encoder-pretrain`, recipe
 *   `recipes/kd-encoder-pretrain.yaml`, seed 0), and `sst2.*`, that encoder
 *   fine-tuned on SST-2 (`kd-classification --profile full`, seed 0), which
 *   the quick profile distils from. The full profile fine-tunes its teachers
 *   itself. Metadata: the shape, and the runs' settings and dev accuracy.
 */
export interface EncoderAssets {
  vocab: string[];
  tokenizer: WordPieceTokenizer;
  shape: EncoderShape;
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

const here = (name: string) => new URL(`../../../assets/encoder/${name}`, import.meta.url);

export async function loadEncoderAssets(): Promise<EncoderAssets> {
  const [vocabGz, weightsGz] = await Promise.all([
    readLocation(here('vocab.txt.gz')),
    readLocation(here('teachers.safetensors.gz')),
  ]);
  const vocab = new TextDecoder()
    .decode(await gunzip(vocabGz, '@kd/losses/assets/encoder/vocab.txt.gz'))
    .split('\n')
    .filter((l) => l !== '');
  const { tensors, metadata } = decodeSafetensors(
    await gunzip(weightsGz, '@kd/losses/assets/encoder/teachers.safetensors.gz'),
    { where: '@kd/losses/assets/encoder/teachers.safetensors' },
  );
  return {
    vocab,
    tokenizer: new WordPieceTokenizer(vocab),
    shape: encoderShape.parse(JSON.parse(metadata.config ?? '{}')),
    tensors,
    metadata,
  };
}

/** The tensors under `prefix.`, renamed without it, as a state dict. */
export function withPrefix(
  tensors: Record<string, SafetensorsTensor>,
  prefix: string,
): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (!k.startsWith(`${prefix}.`)) continue;
    out[k.slice(prefix.length + 1)] = {
      dtype: 'float32',
      shape: [...t.shape],
      data:
        t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>),
    };
  }
  return out;
}
