import {
  dtypeBits,
  isSafetensorsDType,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
} from './dtypes.js';
import { SafetensorsFormatError } from './format-error.js';
import {
  JsonNumber,
  type JsonObject,
  JsonSyntaxError,
  type JsonValue,
  parseStrictJson,
} from './strict-json.js';

/** The reference reader's limit on the JSON header (`MAX_HEADER_SIZE`). */
export const MAX_HEADER_SIZE = 100_000_000;

/** Where one tensor's bytes are: `offsets` are relative to the data section, end exclusive. */
export interface SafetensorsEntry {
  dtype: SafetensorsDType;
  shape: number[];
  offsets: [number, number];
}

export interface SafetensorsHeader {
  /** N: byte length of the JSON header, padding included. */
  headerSize: number;
  /** 8 + N: where the data section starts in the file. */
  dataOffset: number;
  /** Byte length of the data section. */
  dataSize: number;
  /** Tensors in data order (sorted by offsets); a null-prototype record. */
  entries: Record<string, SafetensorsEntry>;
  /** `__metadata__` (empty when the file has none); a null-prototype record. */
  metadata: Record<string, string>;
}

const LENGTH_BYTES = 8;
const DEFAULT_WHERE = 'safetensors';

// fatal: reject invalid UTF-8 (overlong forms, surrogates) like Rust's
// from_utf8; ignoreBOM: keep a BOM so the JSON parser rejects it, as serde does.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads the 8-byte little-endian header length N and checks it against the
 * reference limits before anything of size N is allocated: N ≤ 100,000,000
 * and 8 + N ≤ the file length.
 */
export function readHeaderLength(first8: Uint8Array, fileLength: number, where?: string): number {
  const at = where ?? DEFAULT_WHERE;
  if (fileLength < LENGTH_BYTES || first8.length < LENGTH_BYTES) {
    throw new SafetensorsFormatError(
      'HeaderTooSmall',
      `file is ${Math.min(fileLength, first8.length)} bytes; a safetensors file starts with an 8-byte header length`,
      { where: at },
    );
  }
  const lo = first8[0] + first8[1] * 0x100 + first8[2] * 0x10000 + first8[3] * 0x1000000;
  const hi = first8[4] + first8[5] * 0x100 + first8[6] * 0x10000 + first8[7] * 0x1000000;
  if (hi !== 0 || lo > MAX_HEADER_SIZE) {
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    throw new SafetensorsFormatError(
      'HeaderTooLarge',
      `header length ${n} exceeds the limit of ${MAX_HEADER_SIZE} bytes`,
      { where: at },
    );
  }
  if (LENGTH_BYTES + lo > fileLength) {
    throw new SafetensorsFormatError(
      'InvalidHeaderLength',
      `header length ${lo} runs past the end of the file (${fileLength} bytes)`,
      { where: at },
    );
  }
  return lo;
}

/** Line and column (1-based) of a character offset, for JSON error messages. */
function lineColumn(text: string, position: number): string {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < position && k < text.length; k++) {
    if (text.charCodeAt(k) === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  return `line ${line}, column ${position - lineStart + 1}`;
}

function describeJson(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Map) return 'an object';
  return value.text.length > 40 ? `${value.text.slice(0, 40)}…` : value.text;
}

/** A u64 from the header: a number up to 2^53 - 1, a bigint above. */
type U64 = number | bigint;

interface RawEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: U64[];
  begin: U64;
  end: U64;
}

function u64List(value: JsonValue | undefined): U64[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: U64[] = [];
  for (const v of value) {
    const u = v instanceof JsonNumber ? v.toU64() : undefined;
    if (u === undefined) return undefined;
    out.push(u);
  }
  return out;
}

function parseEntry(name: string, value: JsonValue, where: string): RawEntry {
  const bad = (message: string) =>
    new SafetensorsFormatError('InvalidHeaderDeserialization', message, { where, tensor: name });
  if (!(value instanceof Map)) {
    throw bad(`entry is ${describeJson(value)}, expected an object {dtype, shape, data_offsets}`);
  }
  const entry = value as JsonObject;
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!entry.has(field)) throw bad(`missing field ${field}`);
  }
  const dtype = entry.get('dtype')!;
  if (!isSafetensorsDType(dtype)) {
    throw bad(
      typeof dtype === 'string'
        ? `unknown dtype ${JSON.stringify(dtype)}; known: ${SAFETENSORS_DTYPES.join(', ')}`
        : `dtype is ${describeJson(dtype)}, expected a string`,
    );
  }
  const shape = u64List(entry.get('shape'));
  if (!shape) {
    throw bad(
      `shape must be a list of non-negative integers, got ${describeShapeLike(entry.get('shape')!)}`,
    );
  }
  const offsets = u64List(entry.get('data_offsets'));
  if (offsets?.length !== 2) {
    throw bad(
      `data_offsets must be [begin, end] non-negative integers, got ${describeShapeLike(entry.get('data_offsets')!)}`,
    );
  }
  return { name, dtype, shape, begin: offsets[0], end: offsets[1] };
}

function describeShapeLike(value: JsonValue): string {
  if (!Array.isArray(value)) return describeJson(value);
  const parts = value.slice(0, 8).map(describeJson);
  return `[${parts.join(', ')}${value.length > 8 ? ', …' : ''}]`;
}

const U64_MAX = 0xffffffffffffffffn;

/**
 * Validates the parsed header against the file length with the reference
 * reader's rules, in its order: tensors sorted by offsets must tile the data
 * section from 0 with no gap or overlap; each byte length must equal
 * numel × dtype size without overflowing u64; the last end must reach the
 * end of the file exactly.
 */
function compareU64(a: U64, b: U64): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Bit size of shape × dtype, exactly, or which product overflowed u64. */
function byteSize(t: RawEntry): { nbits: U64; overflow?: 'elements' | 'bits' } {
  const bits = dtypeBits(t.dtype);
  let numel = 1;
  let exact = true;
  for (const d of t.shape) {
    if (typeof d !== 'number') {
      exact = false;
      break;
    }
    numel *= d;
    if (numel > Number.MAX_SAFE_INTEGER) {
      exact = false;
      break;
    }
  }
  if (exact && numel * bits <= Number.MAX_SAFE_INTEGER) return { nbits: numel * bits };
  // Rare: sizes past 2^53. Redo in BigInt with the reference's checked
  // arithmetic (overflow at any partial product, in shape order).
  let big = 1n;
  for (const d of t.shape) {
    big *= BigInt(d);
    if (big > U64_MAX) return { nbits: 0, overflow: 'elements' };
  }
  big *= BigInt(bits);
  if (big > U64_MAX) return { nbits: 0, overflow: 'bits' };
  return { nbits: big };
}

function validateLayout(
  raw: RawEntry[],
  headerSize: number,
  fileLength: number,
  where: string,
): Record<string, SafetensorsEntry> {
  raw.sort((a, b) => compareU64(a.begin, b.begin) || compareU64(a.end, b.end));
  let start: U64 = 0;
  for (const t of raw) {
    if (compareU64(t.begin, start) !== 0 || compareU64(t.end, t.begin) < 0) {
      const why =
        compareU64(t.end, t.begin) < 0
          ? `data_offsets [${t.begin}, ${t.end}] end before they begin`
          : compareU64(t.begin, start) < 0
            ? `data_offsets [${t.begin}, ${t.end}] overlap the previous tensor, which ends at ${start}`
            : start === 0
              ? `data_offsets [${t.begin}, ${t.end}] leave bytes 0..${t.begin} of the data section unused (the first tensor must start at 0)`
              : `data_offsets [${t.begin}, ${t.end}] leave a gap after the previous tensor, which ends at ${start}`;
      throw new SafetensorsFormatError('InvalidOffset', why, { where, tensor: t.name });
    }
    start = t.end;
    const { nbits, overflow } = byteSize(t);
    if (overflow) {
      throw new SafetensorsFormatError(
        'ValidationOverflow',
        overflow === 'elements'
          ? `shape [${t.shape.join(', ')}] has more elements than fit in 64 bits`
          : `${t.dtype} [${t.shape.join(', ')}] has more bits than fit in 64 bits`,
        { where, tensor: t.name },
      );
    }
    const rem = typeof nbits === 'number' ? nbits % 8 : Number(nbits % 8n);
    if (rem !== 0) {
      throw new SafetensorsFormatError(
        'MisalignedSlice',
        `${t.dtype} [${t.shape.join(', ')}] is ${nbits} bits, not a whole number of bytes`,
        { where, tensor: t.name },
      );
    }
    const nbytes = typeof nbits === 'number' ? nbits / 8 : nbits / 8n;
    const actual =
      typeof t.end === 'number' && typeof t.begin === 'number'
        ? t.end - t.begin
        : BigInt(t.end) - BigInt(t.begin);
    if (compareU64(actual, nbytes) !== 0) {
      throw new SafetensorsFormatError(
        'TensorInvalidInfo',
        `${t.dtype} [${t.shape.join(', ')}] needs ${nbytes} bytes, but data_offsets [${t.begin}, ${t.end}] give ${actual}`,
        { where, tensor: t.name },
      );
    }
  }
  const dataSize = fileLength - LENGTH_BYTES - headerSize;
  if (start !== dataSize) {
    throw new SafetensorsFormatError(
      'MetadataIncompleteBuffer',
      compareU64(start, dataSize) > 0
        ? `tensors need ${start} bytes of data but the file has ${dataSize} after the header: it is truncated`
        : `tensors cover ${start} bytes of data but the file has ${dataSize} after the header: ${dataSize - Number(start)} trailing bytes`,
      { where },
    );
  }
  const entries: Record<string, SafetensorsEntry> = Object.create(null);
  for (const t of raw) {
    // Valid offsets are bounded by the file length; dimensions need not be
    // (a zero dimension makes any other one legal), but JavaScript numbers
    // are only exact up to 2^53.
    if (t.shape.some((d) => typeof d !== 'number')) {
      throw new SafetensorsFormatError(
        'ValidationOverflow',
        `shape [${t.shape.join(', ')}] has a dimension above 2^53 - 1, which JavaScript cannot represent exactly`,
        { where, tensor: t.name },
      );
    }
    entries[t.name] = {
      dtype: t.dtype,
      shape: t.shape.map(Number),
      offsets: [Number(t.begin), Number(t.end)],
    };
  }
  return entries;
}

/**
 * Parses and validates the JSON header bytes (exactly N of them, as read
 * after the 8-byte length) of a file of `fileLength` bytes. Used directly by
 * lazy readers that never hold the whole file.
 */
export function parseHeaderBytes(
  json: Uint8Array,
  fileLength: number,
  where?: string,
): SafetensorsHeader {
  const at = where ?? DEFAULT_WHERE;
  const headerSize = json.length;
  let text: string;
  try {
    text = utf8.decode(json);
  } catch (error) {
    throw new SafetensorsFormatError('InvalidHeader', 'header is not valid UTF-8', {
      where: at,
      cause: error,
    });
  }
  let root: JsonValue;
  try {
    root = parseStrictJson(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    throw new SafetensorsFormatError(
      'InvalidHeaderDeserialization',
      `header is not valid JSON: ${error.message} at ${lineColumn(text, error.position)}`,
      { where: at },
    );
  }
  if (!(root instanceof Map)) {
    throw new SafetensorsFormatError(
      'InvalidHeaderDeserialization',
      `header is ${describeJson(root)}, expected a JSON object`,
      { where: at },
    );
  }
  const metadata: Record<string, string> = Object.create(null);
  const raw: RawEntry[] = [];
  for (const [key, value] of root) {
    if (key === '__metadata__') {
      if (value === null) continue;
      if (!(value instanceof Map)) {
        throw new SafetensorsFormatError(
          'InvalidHeaderDeserialization',
          `__metadata__ is ${describeJson(value)}, expected an object mapping strings to strings`,
          { where: at },
        );
      }
      for (const [k, v] of value) {
        if (typeof v !== 'string') {
          throw new SafetensorsFormatError(
            'InvalidHeaderDeserialization',
            `__metadata__ must map strings to strings; ${JSON.stringify(k)} is ${describeJson(v)}`,
            { where: at },
          );
        }
        metadata[k] = v;
      }
      continue;
    }
    raw.push(parseEntry(key, value, at));
  }
  const entries = validateLayout(raw, headerSize, fileLength, at);
  return {
    headerSize,
    dataOffset: LENGTH_BYTES + headerSize,
    dataSize: fileLength - LENGTH_BYTES - headerSize,
    entries,
    metadata,
  };
}

/**
 * Reads and validates the header of a whole safetensors file held in memory,
 * with every rule of the reference reader. Throws `SafetensorsFormatError`
 * (a `FormatError`) whose `reason` names the rule and whose message names
 * `where` and the tensor.
 */
export function readSafetensorsHeader(bytes: Uint8Array, where?: string): SafetensorsHeader {
  const n = readHeaderLength(bytes, bytes.length, where);
  return parseHeaderBytes(bytes.subarray(LENGTH_BYTES, LENGTH_BYTES + n), bytes.length, where);
}
