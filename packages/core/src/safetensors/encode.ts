import type { StoredTensor } from '../checkpoint-store.js';
import { DTypeError, describeValue, ShapeError, ValidationError } from '../errors.js';
import {
  dtypeBits,
  dtypeRank,
  isSafetensorsDType,
  type SafetensorsDType,
  SMALL_FLOATS,
  SUB_BYTE,
} from './dtypes.js';
import { LITTLE_ENDIAN_HOST, swapBytes } from './endian.js';
import { MAX_HEADER_SIZE } from './header.js';
import { encodeSmallFloats } from './small-floats.js';
import type { SafetensorsData } from './types.js';

/** What `encodeSafetensors` accepts for one tensor (a decoded `SafetensorsTensor` is one). */
export interface SafetensorsTensorInput {
  dtype: SafetensorsDType;
  shape: readonly number[];
  data: SafetensorsData | readonly number[] | readonly bigint[];
}

const STORED_DTYPES: Record<StoredTensor['dtype'], SafetensorsDType> = {
  float32: 'F32',
  int32: 'I32',
  bool: 'BOOL',
};

const INT_RANGES: Partial<Record<SafetensorsDType, [number, number]>> = {
  I8: [-128, 127],
  U8: [0, 255],
  I16: [-32768, 32767],
  U16: [0, 65535],
  I32: [-2147483648, 2147483647],
  U32: [0, 4294967295],
};

type AnyData = SafetensorsTensorInput['data'];

interface Planned {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  data: AnyData;
  byteLength: number;
}

/**
 * Code-point order (what Rust's `String` Ord gives, byte-wise UTF-8), not
 * JavaScript's UTF-16 order: surrogates are moved above U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

function isRawBytes(data: AnyData, byteLength: number, dtype: SafetensorsDType): boolean {
  return (
    data instanceof Uint8Array &&
    data.length === byteLength &&
    (dtypeBits(dtype) <= 8 || byteLength > 0)
  );
}

function plan(name: string, input: unknown): Planned {
  const where = `tensor ${JSON.stringify(name)}`;
  if (typeof input !== 'object' || input === null) {
    throw new ValidationError(
      `${where}: expected { dtype, shape, data }, got ${describeValue(input)}`,
    );
  }
  const t = input as { dtype: unknown; shape: unknown; data: unknown };
  const dtype =
    typeof t.dtype === 'string' && t.dtype in STORED_DTYPES
      ? STORED_DTYPES[t.dtype as StoredTensor['dtype']]
      : t.dtype;
  if (!isSafetensorsDType(dtype)) {
    throw new DTypeError(
      `${where}: unknown dtype ${describeValue(t.dtype)}; use a safetensors dtype (F32, BF16, I64, …) or float32/int32/bool`,
    );
  }
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ShapeError(
      `${where}: shape must be an array of non-negative integers, got ${describeValue(t.shape)}`,
    );
  }
  const shape = [...(t.shape as number[])];
  const numel = shape.reduce((a, d) => a * d, 1);
  const bits = numel * dtypeBits(dtype);
  if (!Number.isSafeInteger(bits) || bits % 8 !== 0) {
    throw new ShapeError(
      `${where}: ${dtype} [${shape.join(', ')}] is not a whole number of bytes below 2^53`,
    );
  }
  const byteLength = bits / 8;
  const data = t.data as AnyData;
  if (!ArrayBuffer.isView(data) && !Array.isArray(data)) {
    throw new ValidationError(
      `${where}: data must be a typed array or an array, got ${describeValue(data)}`,
    );
  }
  const length = (data as ArrayLike<unknown>).length;
  if (SUB_BYTE.has(dtype)) {
    if (!(data instanceof Uint8Array) || length !== byteLength) {
      throw new ShapeError(
        `${where}: ${dtype} is packed; data must be a Uint8Array of its ${byteLength} bytes`,
      );
    }
  } else if (!isRawBytes(data, byteLength, dtype)) {
    const expected = dtype === 'C64' ? 2 * numel : numel;
    if (length !== expected) {
      throw new ShapeError(
        `${where}: shape [${shape.join(', ')}] needs ${expected} values${dtype === 'C64' ? ' (interleaved real, imaginary)' : ''}, data has ${length}`,
      );
    }
  }
  return { name, dtype, shape, data, byteLength };
}

/** Is `data` already this dtype's own element type (copied byte for byte)? */
function isNative(dtype: SafetensorsDType, data: AnyData): boolean {
  switch (dtype) {
    case 'F32':
    case 'C64':
      return data instanceof Float32Array;
    case 'F64':
      return data instanceof Float64Array;
    case 'I32':
      return data instanceof Int32Array;
    case 'U32':
      return data instanceof Uint32Array;
    case 'I16':
      return data instanceof Int16Array;
    case 'U16':
    case 'F16':
    case 'BF16':
      return data instanceof Uint16Array;
    case 'I8':
      return data instanceof Int8Array;
    case 'I64':
      return data instanceof BigInt64Array;
    case 'U64':
      return data instanceof BigUint64Array;
    default:
      return false;
  }
}

function writeInts(p: Planned, region: Uint8Array): void {
  const [min, max] = INT_RANGES[p.dtype]!;
  const View = {
    I8: Int8Array,
    U8: Uint8Array,
    I16: Int16Array,
    U16: Uint16Array,
    I32: Int32Array,
    U32: Uint32Array,
  }[p.dtype as 'I8'];
  const out = new View(
    region.buffer,
    region.byteOffset,
    region.byteLength / View.BYTES_PER_ELEMENT,
  );
  const data = p.data as ArrayLike<number | bigint>;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    const v = typeof x === 'bigint' ? Number(x) : x;
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new ValidationError(
        `tensor ${JSON.stringify(p.name)}: value ${describeValue(x)} at flat index ${i} does not fit ${p.dtype} (integers in [${min}, ${max}])`,
      );
    }
    out[i] = v;
  }
}

function writeInt64(p: Planned, region: Uint8Array): void {
  const signed = p.dtype === 'I64';
  const out = signed
    ? new BigInt64Array(region.buffer, region.byteOffset, region.byteLength / 8)
    : new BigUint64Array(region.buffer, region.byteOffset, region.byteLength / 8);
  const data = p.data as ArrayLike<number | bigint>;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    let v: bigint | undefined;
    if (typeof x === 'bigint') v = x;
    else if (Number.isInteger(x)) v = BigInt(x);
    if (v === undefined || (signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v)) !== v) {
      throw new ValidationError(
        `tensor ${JSON.stringify(p.name)}: value ${describeValue(x)} at flat index ${i} does not fit ${p.dtype}`,
      );
    }
    out[i] = v;
  }
}

function writeTensor(p: Planned, region: Uint8Array): void {
  const { dtype, data } = p;
  const numbers = () => {
    if (
      data instanceof BigInt64Array ||
      data instanceof BigUint64Array ||
      typeof data[0] === 'bigint'
    ) {
      throw new DTypeError(
        `tensor ${JSON.stringify(p.name)}: bigint data cannot be stored as ${dtype}; use I64 or U64`,
      );
    }
    return data as ArrayLike<number>;
  };
  if (isRawBytes(data, p.byteLength, dtype) || isNative(dtype, data)) {
    const src = data as SafetensorsData;
    region.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    if (dtype === 'BOOL') for (let i = 0; i < region.length; i++) region[i] = region[i] ? 1 : 0;
  } else if (dtype === 'F32' || dtype === 'C64') {
    new Float32Array(region.buffer, region.byteOffset, region.byteLength / 4).set(numbers());
  } else if (dtype === 'F64') {
    new Float64Array(region.buffer, region.byteOffset, region.byteLength / 8).set(numbers());
  } else if (dtype === 'BOOL') {
    const d = data as ArrayLike<number | bigint>;
    for (let i = 0; i < d.length; i++) region[i] = d[i] ? 1 : 0;
  } else if (dtype === 'I64' || dtype === 'U64') {
    writeInt64(p, region);
  } else if (dtype in INT_RANGES) {
    writeInts(p, region);
  } else if (SMALL_FLOATS.has(dtype)) {
    const out =
      dtypeBits(dtype) === 16
        ? new Uint16Array(region.buffer, region.byteOffset, region.byteLength / 2)
        : region;
    encodeSmallFloats(dtype, numbers(), out);
  } else {
    throw new DTypeError(`tensor ${JSON.stringify(p.name)}: cannot encode ${dtype} from this data`);
  }
  if (!LITTLE_ENDIAN_HOST && !SUB_BYTE.has(dtype) && !isRawBytes(data, p.byteLength, dtype)) {
    swapBytes(region, dtype === 'C64' ? 4 : dtypeBits(dtype) / 8);
  }
}

/**
 * Serialises tensors (and optional `__metadata__`) to safetensors bytes laid
 * out exactly as the reference writer (huggingface/safetensors `serialize`)
 * does: tensors sorted by dtype (widest first) then name, contiguous; compact
 * JSON header with `__metadata__` first and keys `dtype`, `shape`,
 * `data_offsets`; header padded with spaces to a multiple of 8, so every
 * tensor is naturally aligned. Metadata keys are sorted (the reference's
 * order is a hash map's), so the same input always gives the same bytes.
 *
 * Data conversions: a `StoredTensor` maps float32→F32, int32→I32, bool→BOOL.
 * The dtype's own typed array is copied byte for byte; a Uint8Array whose
 * length is the tensor's byte length is taken as raw little-endian bytes;
 * for F16/BF16 a Uint16Array is raw bits. Other numeric data is converted:
 * floats to F16/BF16/F8 round to nearest even, integers are range-checked
 * (a ValidationError names the value and index), BOOL stores 0/1.
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsTensorInput | StoredTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  if (typeof tensors !== 'object' || tensors === null) {
    throw new ValidationError(
      `tensors must be a record of name → tensor, got ${describeValue(tensors)}`,
    );
  }
  const planned: Planned[] = [];
  for (const name of Object.keys(tensors)) {
    if (name === '__metadata__') {
      throw new ValidationError(
        '"__metadata__" is reserved for the metadata; pick another tensor name',
      );
    }
    if (!isWellFormed(name)) {
      throw new ValidationError(`tensor name ${JSON.stringify(name)} has a lone UTF-16 surrogate`);
    }
    planned.push(plan(name, tensors[name]));
  }
  planned.sort(
    (a, b) => dtypeRank(b.dtype) - dtypeRank(a.dtype) || compareCodePoints(a.name, b.name),
  );

  let json = '{';
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) {
      throw new ValidationError(
        `metadata must map strings to strings, got ${describeValue(metadata)}`,
      );
    }
    const keys = Object.keys(metadata).sort(compareCodePoints);
    const parts: string[] = [];
    for (const k of keys) {
      const v = metadata[k];
      if (typeof v !== 'string') {
        throw new ValidationError(
          `metadata must map strings to strings; ${JSON.stringify(k)} is ${describeValue(v)}`,
        );
      }
      if (!isWellFormed(k) || !isWellFormed(v)) {
        throw new ValidationError(`metadata ${JSON.stringify(k)} has a lone UTF-16 surrogate`);
      }
      parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    json += `"__metadata__":{${parts.join(',')}}`;
  }
  let offset = 0;
  const begins: number[] = [];
  for (const p of planned) {
    if (json.length > 1) json += ',';
    begins.push(offset);
    json += `${JSON.stringify(p.name)}:{"dtype":"${p.dtype}","shape":[${p.shape.join(',')}],"data_offsets":[${offset},${offset + p.byteLength}]}`;
    offset += p.byteLength;
  }
  json += '}';
  const headerText = new TextEncoder().encode(json);
  const headerSize = Math.ceil(headerText.length / 8) * 8;
  if (headerSize > MAX_HEADER_SIZE) {
    throw new ValidationError(
      `the header would be ${headerSize} bytes, above the format's limit of ${MAX_HEADER_SIZE}; split the tensors over several files`,
    );
  }
  const total = 8 + headerSize + offset;
  let out: Uint8Array;
  try {
    if (!Number.isSafeInteger(total)) throw new RangeError('too large');
    out = new Uint8Array(total);
  } catch (error) {
    throw new ValidationError(
      `cannot allocate ${total} bytes for the file in memory; write fewer tensors per file`,
      [],
      { cause: error },
    );
  }
  const view = new DataView(out.buffer);
  view.setUint32(0, headerSize, true);
  view.setUint32(4, 0, true);
  out.set(headerText, 8);
  out.fill(0x20, 8 + headerText.length, 8 + headerSize);
  const dataStart = 8 + headerSize;
  for (let i = 0; i < planned.length; i++) {
    const p = planned[i];
    const start = dataStart + begins[i];
    writeTensor(p, out.subarray(start, start + p.byteLength));
  }
  return out;
}
