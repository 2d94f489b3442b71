import type { SafetensorsDType } from './dtypes.js';

/** The typed arrays a decoded tensor's values come in. */
export type SafetensorsData =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | BigInt64Array
  | BigUint64Array;

/**
 * One tensor. `dtype` is always the dtype in the file; `data` is how its
 * values are held in JavaScript:
 *
 * | dtype | data (decoded) |
 * |---|---|
 * | F32, F64 | Float32Array, Float64Array |
 * | F16, BF16, F8_* | Float32Array (or, with `keepHalf`, the raw bits: Uint16Array / Uint8Array) |
 * | I8, U8, I16, U16, I32, U32 | the matching typed array |
 * | I64, U64 | Int32Array (range-checked) or, with `int64: 'bigint'`, BigInt64Array / BigUint64Array |
 * | BOOL | Uint8Array of 0/1 |
 * | C64 | Float32Array of interleaved (real, imaginary) pairs: twice the element count |
 * | F4, F6_* | packed bytes (Uint8Array), as stored |
 *
 * Encoding accepts the same forms, so a decoded tensor re-encodes to its
 * original dtype; see `encodeSafetensors` for the conversions it makes.
 */
export interface SafetensorsTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: SafetensorsData;
}

export interface DecodeSafetensorsOptions {
  /** Names the source in error messages (a file path, a URL). */
  where?: string;
  /**
   * I64/U64: `'int32'` (default) returns Int32Array and throws a DTypeError
   * for a value outside the int32 range; `'bigint'` keeps every value exactly.
   */
  int64?: 'int32' | 'bigint';
  /** F16/BF16/F8: return the raw bits instead of decoding to Float32Array (byte-exact round trips). */
  keepHalf?: boolean;
  /** Every tensor as its raw little-endian bytes (Uint8Array), whatever the dtype. */
  raw?: boolean;
  /** Decode only these tensors (the header is still fully validated). */
  names?: readonly string[];
}

export interface DecodedSafetensors {
  /** In data order; a null-prototype record (a tensor may be named `__proto__`). */
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}
