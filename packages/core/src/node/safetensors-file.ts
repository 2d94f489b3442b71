import { type FileHandle, open } from 'node:fs/promises';
import type { StoredTensor } from '../checkpoint-store.js';
import { FormatError, KdError, NotFoundError, ValidationError } from '../errors.js';
import { decodeTensorBytes } from '../safetensors/decode.js';
import type { SafetensorsDType } from '../safetensors/dtypes.js';
import { encodeSafetensors, type SafetensorsTensorInput } from '../safetensors/encode.js';
import {
  parseHeaderBytes,
  readHeaderLength,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from '../safetensors/header.js';
import type {
  DecodedSafetensors,
  DecodeSafetensorsOptions,
  SafetensorsTensor,
} from '../safetensors/types.js';
import { didYouMean } from '../suggest.js';
import { writeFileAtomic } from './atomic-write.js';

export type ReadTensorOptions = Omit<DecodeSafetensorsOptions, 'where' | 'names'>;

function openError(path: string, error: unknown): KdError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new NotFoundError('no such file', [], { where: path, cause: error });
  return new FormatError(`cannot read: ${(error as Error).message}`, { where: path, cause: error });
}

/** Reads exactly `length` bytes at `position`, or throws a FormatError if the file is shorter. */
async function readExactly(
  handle: FileHandle,
  length: number,
  position: number,
  path: string,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new FormatError(
        `file ended after ${position + done} bytes while reading ${length} at ${position}; was it changed while being read?`,
        { where: path },
      );
    }
    done += bytesRead;
  }
  return out;
}

/**
 * A safetensors file opened for lazy reading: `open` reads and validates
 * only the header (bounded by the format's 100 MB limit and by the file's
 * length before anything is allocated); `read(name)` then reads one
 * tensor's bytes at its offset. Memory stays at one tensor, whatever the
 * file's size. Close it when done.
 */
export class SafetensorsFileReader {
  readonly path: string;
  readonly header: SafetensorsHeader;
  #handle: FileHandle | undefined;

  private constructor(path: string, handle: FileHandle, header: SafetensorsHeader) {
    this.path = path;
    this.#handle = handle;
    this.header = header;
  }

  static async open(path: string): Promise<SafetensorsFileReader> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw openError(path, error);
    }
    try {
      const { size } = await handle.stat();
      const first8 = await readExactly(handle, Math.min(8, size), 0, path);
      const n = readHeaderLength(first8, size, path);
      const json = await readExactly(handle, n, 8, path);
      return new SafetensorsFileReader(path, handle, parseHeaderBytes(json, size, path));
    } catch (error) {
      await handle.close();
      if (error instanceof KdError) throw error;
      throw openError(path, error);
    }
  }

  /** `__metadata__` (empty when the file has none). */
  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  /** Tensor names in data order. */
  keys(): string[] {
    return Object.keys(this.header.entries);
  }

  has(name: string): boolean {
    return name in this.header.entries;
  }

  #entry(name: string): SafetensorsEntry {
    const e = this.header.entries[name];
    if (!e) {
      const names = this.keys();
      throw new NotFoundError(
        `no tensor named ${JSON.stringify(name)}.${didYouMean(name, names)}`,
        names,
        {
          where: this.path,
        },
      );
    }
    return e;
  }

  info(name: string): {
    dtype: SafetensorsDType;
    shape: number[];
    byteLength: number;
    offsets: [number, number];
  } {
    const e = this.#entry(name);
    return {
      dtype: e.dtype,
      shape: [...e.shape],
      byteLength: e.offsets[1] - e.offsets[0],
      offsets: [e.offsets[0], e.offsets[1]],
    };
  }

  /** Reads and decodes one tensor (see `decodeSafetensors` for the options). */
  async read(name: string, options: ReadTensorOptions = {}): Promise<SafetensorsTensor> {
    const e = this.#entry(name);
    if (!this.#handle) throw new ValidationError('the reader is closed', [], { where: this.path });
    const bytes = await readExactly(
      this.#handle,
      e.offsets[1] - e.offsets[0],
      this.header.dataOffset + e.offsets[0],
      this.path,
    );
    return decodeTensorBytes(name, e.dtype, e.shape, bytes, { ...options, where: this.path });
  }

  /** Reads every tensor (or those in `names`), one at a time. */
  async readAll(
    options: ReadTensorOptions & { names?: readonly string[] } = {},
  ): Promise<DecodedSafetensors> {
    const names = options.names ?? this.keys();
    for (const n of names) this.#entry(n);
    const wanted = new Set(names);
    const tensors: Record<string, SafetensorsTensor> = Object.create(null);
    for (const n of this.keys()) if (wanted.has(n)) tensors[n] = await this.read(n, options);
    return { tensors, metadata: this.metadata };
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }
}

/**
 * Reads a whole safetensors file. Tensors are read one by one through
 * `SafetensorsFileReader`, so files larger than one Node buffer work.
 */
export async function readSafetensorsFile(
  path: string,
  options: Omit<DecodeSafetensorsOptions, 'where'> = {},
): Promise<DecodedSafetensors> {
  const reader = await SafetensorsFileReader.open(path);
  try {
    return await reader.readAll(options);
  } finally {
    await reader.close();
  }
}

/** Writes a safetensors file atomically (temp file, fsync, rename). */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, SafetensorsTensorInput | StoredTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
