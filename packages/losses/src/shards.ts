import {
  decodeSafetensors,
  encodeSafetensors,
  FormatError,
  type SafetensorsTensorInput,
  ValidationError,
} from '@kd/core';
import type { ModelShape } from './features.js';
import { MemoryTeacherOutputs, parseFeatureKey, type TeacherOutputStore } from './teacher.js';

/**
 * Teacher outputs on disk: a directory with `index.json` and safetensors
 * shards. Each shard holds a contiguous range of examples; each tensor is
 * one feature, named by its key (`logits`, `hidden.0`, `attentions.3`), with
 * the examples as its first axis (`[rows, …row shape]`). Layer numbers
 * follow the distiller's: hidden states 0 (embeddings) … L, attention-layer
 * features 1 … L. `scripts/export_teacher_outputs.py` writes the same
 * layout from a PyTorch / Hugging Face teacher.
 */
export const TEACHER_OUTPUTS_FORMAT = 'kd-teacher-outputs/1';

export interface TeacherOutputsIndex {
  format: typeof TEACHER_OUTPUTS_FORMAT;
  /** Depth, widths and heads of the teacher (checked against layer maps). */
  shape: ModelShape;
  /** Total examples. */
  count: number;
  /** Row shape per feature key. */
  features: Record<string, number[]>;
  /** Stored dtype (F16 halves the size; values come back as float32). */
  dtype: 'F32' | 'F16';
  shards: { file: string; start: number; end: number }[];
}

/** Encodes rows [start, end) of a store as one shard. */
export async function encodeTeacherShard(
  store: TeacherOutputStore,
  start: number,
  end: number,
  dtype: 'F32' | 'F16' = 'F32',
): Promise<Uint8Array> {
  const rows = Array.from({ length: end - start }, (_, i) => start + i);
  const tensors: Record<string, SafetensorsTensorInput> = {};
  for (const [key, shape] of Object.entries(store.rowShapes)) {
    tensors[key] = { dtype, shape: [rows.length, ...shape], data: await store.read(key, rows) };
  }
  return encodeSafetensors(tensors, {
    format: TEACHER_OUTPUTS_FORMAT,
    rows: `${start},${end}`,
  });
}

/** Parses and checks an `index.json`. */
export function parseTeacherIndex(text: string, where = 'index.json'): TeacherOutputsIndex {
  let data: TeacherOutputsIndex;
  try {
    data = JSON.parse(text) as TeacherOutputsIndex;
  } catch (cause) {
    throw new FormatError('not valid JSON', { where, cause });
  }
  if (data?.format !== TEACHER_OUTPUTS_FORMAT) {
    throw new FormatError(
      `expected "format": "${TEACHER_OUTPUTS_FORMAT}", got ${JSON.stringify(data?.format)}`,
      { where },
    );
  }
  if (
    !Array.isArray(data.shards) ||
    !data.features ||
    !data.shape ||
    !Number.isInteger(data.count)
  ) {
    throw new FormatError('index needs shape, count, features and shards', { where });
  }
  let next = 0;
  for (const s of [...data.shards].sort((a, b) => a.start - b.start)) {
    if (s.start !== next || !(s.end > s.start)) {
      throw new FormatError(
        `shards must cover rows 0…${data.count - 1} contiguously; "${s.file}" holds ${s.start}…${s.end - 1} after row ${next - 1}`,
        { where },
      );
    }
    next = s.end;
  }
  if (next !== data.count) {
    throw new FormatError(`shards cover ${next} rows, index says ${data.count}`, { where });
  }
  for (const k of Object.keys(data.features)) parseFeatureKey(k);
  return data;
}

/** Builds an in-memory store from an index and its shard bytes (browsers: fetch them first). */
export function teacherOutputsFromShards(
  index: TeacherOutputsIndex,
  shards: Record<string, Uint8Array>,
): MemoryTeacherOutputs {
  const data: Record<string, Float32Array> = {};
  for (const [key, row] of Object.entries(index.features)) {
    data[key] = new Float32Array(index.count * row.reduce((a, b) => a * b, 1));
  }
  for (const s of index.shards) {
    const bytes = shards[s.file];
    if (!bytes) {
      throw new ValidationError(`missing shard bytes for "${s.file}"`, [], {
        where: 'teacher outputs',
      });
    }
    const { tensors } = decodeSafetensors(bytes, { where: s.file });
    for (const [key, row] of Object.entries(index.features)) {
      const t = tensors[key];
      const size = row.reduce((a, b) => a * b, 1);
      if (!t || t.shape[0] !== s.end - s.start || t.data.length !== size * (s.end - s.start)) {
        throw new FormatError(
          `expected "${key}" of shape [${s.end - s.start}, ${row.join(', ')}]`,
          { where: s.file },
        );
      }
      data[key].set(t.data as Float32Array, s.start * size);
    }
  }
  return new MemoryTeacherOutputs(index.shape, index.count, index.features, data);
}
