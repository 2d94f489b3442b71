// Node-only helpers of @kd/losses: teacher outputs as safetensors shards on
// disk, written once and streamed row by row during distillation.
import { type FileHandle, mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeTensorBytes, FormatError, NotFoundError, ShapeError } from '@kd/core';
import { SafetensorsFileReader, writeFileAtomic } from '@kd/core/node';
import {
  encodeTeacherShard,
  parseTeacherIndex,
  TEACHER_OUTPUTS_FORMAT,
  type TeacherOutputsIndex,
} from '../shards.js';
import { missingKey, type TeacherOutputStore } from '../teacher.js';

export interface WriteTeacherOutputsOptions {
  /** Examples per shard (default 1024). */
  shardSize?: number;
  /** `F16` halves the files; values are read back as float32 (default F32). */
  dtype?: 'F32' | 'F16';
}

/**
 * Writes a store (e.g. `precomputeTeacherOutputs`' result) as `index.json`
 * plus `shard-00000.safetensors`, … in `dir`, each file atomically.
 */
export async function writeTeacherOutputs(
  dir: string,
  store: TeacherOutputStore,
  options: WriteTeacherOutputsOptions = {},
): Promise<TeacherOutputsIndex> {
  const size = options.shardSize ?? 1024;
  const dtype = options.dtype ?? 'F32';
  await mkdir(dir, { recursive: true });
  const shards: TeacherOutputsIndex['shards'] = [];
  for (let start = 0, k = 0; start < store.count; start += size, k++) {
    const end = Math.min(store.count, start + size);
    const file = `shard-${String(k).padStart(5, '0')}.safetensors`;
    await writeFileAtomic(join(dir, file), await encodeTeacherShard(store, start, end, dtype));
    shards.push({ file, start, end });
  }
  const index: TeacherOutputsIndex = {
    format: TEACHER_OUTPUTS_FORMAT,
    shape: store.shape,
    count: store.count,
    features: Object.fromEntries(Object.entries(store.rowShapes).map(([k, v]) => [k, [...v]])),
    dtype,
    shards,
  };
  await writeFileAtomic(join(dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  return index;
}

interface OpenShard {
  file: string;
  start: number;
  end: number;
  handle: FileHandle;
  reader: SafetensorsFileReader;
}

/**
 * Teacher outputs streamed from a shard directory: `read(key, rows)` reads
 * only the requested rows' bytes from the shards that hold them (runs of
 * consecutive rows in one read), so memory stays at one batch however
 * large the transfer set. Close it when done.
 */
export class ShardedTeacherOutputs implements TeacherOutputStore {
  readonly index: TeacherOutputsIndex;
  readonly #shards: OpenShard[];

  private constructor(index: TeacherOutputsIndex, shards: OpenShard[]) {
    this.index = index;
    this.#shards = shards;
  }

  static async open(dir: string): Promise<ShardedTeacherOutputs> {
    const where = join(dir, 'index.json');
    let text: string;
    try {
      text = await readFile(where, 'utf8');
    } catch (cause) {
      throw new NotFoundError('no teacher outputs here (index.json missing)', [], { where, cause });
    }
    const index = parseTeacherIndex(text, where);
    const shards: OpenShard[] = [];
    try {
      for (const s of index.shards) {
        const path = join(dir, s.file);
        const reader = await SafetensorsFileReader.open(path);
        const handle = await open(path, 'r');
        shards.push({ ...s, reader, handle });
        for (const [key, row] of Object.entries(index.features)) {
          const info = reader.has(key) ? reader.info(key) : undefined;
          const want = [s.end - s.start, ...row];
          if (
            !info ||
            info.shape.length !== want.length ||
            info.shape.some((d, i) => d !== want[i])
          ) {
            throw new FormatError(`expected tensor "${key}" of shape [${want.join(', ')}]`, {
              where: path,
            });
          }
        }
      }
    } catch (error) {
      for (const s of shards) {
        await s.reader.close();
        await s.handle.close();
      }
      throw error;
    }
    return new ShardedTeacherOutputs(index, shards);
  }

  get shape() {
    return this.index.shape;
  }
  get count() {
    return this.index.count;
  }
  get rowShapes() {
    return this.index.features;
  }

  async read(key: string, rows: readonly number[]): Promise<Float32Array> {
    const row = this.index.features[key];
    if (!row) throw missingKey(key, Object.keys(this.index.features));
    const size = row.reduce((a, b) => a * b, 1);
    const out = new Float32Array(size * rows.length);
    let i = 0;
    while (i < rows.length) {
      const r = rows[i];
      const shard = this.#shards.find((s) => r >= s.start && r < s.end);
      if (!shard || !Number.isInteger(r)) {
        throw new ShapeError(`example index ${r} is outside 0…${this.count - 1}`, {
          where: 'teacher outputs',
        });
      }
      // Extend over consecutive rows in the same shard: one read.
      let j = i + 1;
      while (j < rows.length && rows[j] === rows[j - 1] + 1 && rows[j] < shard.end) j++;
      const n = j - i;
      const info = shard.reader.info(key);
      const rowBytes = info.byteLength / (shard.end - shard.start);
      const bytes = new Uint8Array(rowBytes * n);
      const position =
        shard.reader.header.dataOffset + info.offsets[0] + (r - shard.start) * rowBytes;
      const { bytesRead } = await shard.handle.read(bytes, 0, bytes.length, position);
      if (bytesRead !== bytes.length) {
        throw new FormatError(`short read of "${key}" rows ${r}…${r + n - 1}`, {
          where: join(shard.file),
        });
      }
      const t = decodeTensorBytes(key, info.dtype, [n, ...row], bytes, { where: shard.file });
      out.set(t.data as Float32Array, i * size);
      i = j;
    }
    return out;
  }

  async close(): Promise<void> {
    for (const s of this.#shards) {
      await s.reader.close();
      await s.handle.close();
    }
  }
}
