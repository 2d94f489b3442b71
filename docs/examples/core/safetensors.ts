// safetensors in memory (browsers too) and on disk (Node), byte-compatible
// with Hugging Face's files; big files are read one tensor at a time.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors } from '@kd/core';
import { SafetensorsFileReader, writeSafetensorsFile } from '@kd/core/node';

const tensors = {
  'bert.embeddings.word_embeddings.weight': {
    dtype: 'F16' as const,
    shape: [2, 2],
    data: new Float32Array([1, 2, 3, 4.5]),
  },
  'classifier.bias': { dtype: 'F32' as const, shape: [2], data: new Float32Array([0.25, -1]) },
};
const bytes = encodeSafetensors(tensors, { format: 'pt' });
const decoded = decodeSafetensors(bytes);
const embeddings = decoded.tensors['bert.embeddings.word_embeddings.weight'];
// Tensors come back in file order (widest dtype first, as Hugging Face writes them);
// F16 and BF16 decode to Float32Array.
console.log(
  Object.keys(decoded.tensors),
  embeddings.dtype,
  Array.from(embeddings.data as Float32Array),
);
console.log(decoded.metadata.format); // pt

const dir = await mkdtemp(join(tmpdir(), 'kd-docs-'));
const file = join(dir, 'model.safetensors');
await writeSafetensorsFile(file, tensors, { format: 'pt' }); // atomic: temp file, then rename
const reader = await SafetensorsFileReader.open(file); // reads the header only
const bias = await reader.read('classifier.bias');
export const values = Array.from(bias.data as Float32Array);
console.log(values); // [ 0.25, -1 ]
await reader.close();
await rm(dir, { recursive: true });
