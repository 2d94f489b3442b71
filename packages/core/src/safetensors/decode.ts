import { DTypeError, NotFoundError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { dtypeBits, type SafetensorsDType, SMALL_FLOATS, SUB_BYTE } from './dtypes.js';
import { LITTLE_ENDIAN_HOST, swapBytes } from './endian.js';
import { readSafetensorsHeader } from './header.js';
import { decodeSmallFloats } from './small-floats.js';
import type {
  DecodedSafetensors,
  DecodeSafetensorsOptions,
  SafetensorsData,
  SafetensorsTensor,
} from './types.js';

/** Bytes per element as typed arrays see it (C64 is a pair of float32). */
function wordSize(dtype: SafetensorsDType): number {
  return dtype === 'C64' ? 4 : Math.max(1, dtypeBits(dtype) / 8);
}

/**
 * A copy in a fresh ArrayBuffer. Not `bytes.slice()`: on a Node Buffer
 * (what `readFile` returns) `slice` is a view into a shared pool.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

/** A fresh, aligned, host-order copy of one tensor's bytes. */
function hostCopy(bytes: Uint8Array, dtype: SafetensorsDType): ArrayBuffer {
  const copy = copyBytes(bytes);
  if (!LITTLE_ENDIAN_HOST && !SUB_BYTE.has(dtype)) swapBytes(copy, wordSize(dtype));
  return copy.buffer;
}

function int64ToInt32(
  words: Int32Array,
  unsigned: boolean,
  name: string,
  where: string | undefined,
): Int32Array {
  const n = words.length / 2;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i];
    const hi = words[2 * i + 1];
    // Fits int32 iff the high word is the sign extension of the low word
    // (and, unsigned, the value is not above 2^31 - 1).
    if (hi !== lo >> 31 || (unsigned && hi !== 0)) {
      const value = unsigned
        ? new BigUint64Array(words.buffer, words.byteOffset + 8 * i, 1)[0]
        : new BigInt64Array(words.buffer, words.byteOffset + 8 * i, 1)[0];
      throw new DTypeError(
        `tensor ${JSON.stringify(name)}: ${unsigned ? 'U64' : 'I64'} value ${value} at flat index ${i} is outside the int32 range; decode with { int64: 'bigint' } to keep it exactly`,
        { where },
      );
    }
    out[i] = lo;
  }
  return out;
}

/**
 * Decodes one tensor from exactly its bytes (`end - begin` of them), which
 * the caller has validated against dtype and shape. Used by the in-memory
 * decoder and by lazy file readers.
 */
export function decodeTensorBytes(
  name: string,
  dtype: SafetensorsDType,
  shape: number[],
  bytes: Uint8Array,
  options: Omit<DecodeSafetensorsOptions, 'names'> = {},
): SafetensorsTensor {
  const tensor = (data: SafetensorsData): SafetensorsTensor => ({ dtype, shape: [...shape], data });
  // Packed sub-byte formats (F4, F6) have no JavaScript number array to
  // unpack into that would be more useful than their bytes.
  if (options.raw || SUB_BYTE.has(dtype)) return tensor(copyBytes(bytes));
  const buffer = hostCopy(bytes, dtype);
  switch (dtype) {
    case 'F32':
    case 'C64':
      return tensor(new Float32Array(buffer));
    case 'F64':
      return tensor(new Float64Array(buffer));
    case 'I32':
      return tensor(new Int32Array(buffer));
    case 'U32':
      return tensor(new Uint32Array(buffer));
    case 'I16':
      return tensor(new Int16Array(buffer));
    case 'U16':
      return tensor(new Uint16Array(buffer));
    case 'I8':
      return tensor(new Int8Array(buffer));
    case 'U8':
    case 'BOOL':
      return tensor(new Uint8Array(buffer));
    case 'I64':
    case 'U64': {
      if (options.int64 === 'bigint') {
        return tensor(dtype === 'I64' ? new BigInt64Array(buffer) : new BigUint64Array(buffer));
      }
      return tensor(int64ToInt32(new Int32Array(buffer), dtype === 'U64', name, options.where));
    }
    default: {
      if (!SMALL_FLOATS.has(dtype)) {
        throw new DTypeError(`tensor ${JSON.stringify(name)}: cannot decode ${dtype}`, {
          where: options.where,
        });
      }
      const bits = dtypeBits(dtype) === 16 ? new Uint16Array(buffer) : new Uint8Array(buffer);
      return tensor(options.keepHalf ? bits : decodeSmallFloats(dtype, bits));
    }
  }
}

/**
 * Decodes a whole safetensors file held in memory. The header is validated
 * with every rule of the reference reader first (a `SafetensorsFormatError`
 * says which, where and in which tensor); each tensor's values are copied,
 * so the result does not keep `bytes` alive.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: DecodeSafetensorsOptions = {},
): DecodedSafetensors {
  const header = readSafetensorsHeader(bytes, options.where);
  let names = Object.keys(header.entries);
  if (options.names) {
    for (const n of options.names) {
      if (!(n in header.entries)) {
        throw new NotFoundError(
          `no tensor named ${JSON.stringify(n)}.${didYouMean(n, names)}`,
          names,
          { where: options.where },
        );
      }
    }
    const wanted = new Set(options.names);
    names = names.filter((n) => wanted.has(n));
  }
  const tensors: Record<string, SafetensorsTensor> = Object.create(null);
  for (const name of names) {
    const e = header.entries[name];
    const begin = header.dataOffset + e.offsets[0];
    const end = header.dataOffset + e.offsets[1];
    tensors[name] = decodeTensorBytes(name, e.dtype, e.shape, bytes.subarray(begin, end), options);
  }
  return { tensors, metadata: header.metadata };
}
