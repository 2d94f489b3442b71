/**
 * Conversions between float32 and the reduced-precision floats safetensors
 * stores (F16, BF16, the float8 family). Decoding is exact (every value of
 * these formats is a float32) and goes through lookup tables of float32 bit
 * patterns, so NaN payloads survive. Encoding rounds to nearest, ties to
 * even, like `torch.Tensor.to` and numpy.
 */
import type { SafetensorsDType } from './dtypes.js';

/** Layout and special values of one small float format. */
interface SmallFloatFormat {
  expBits: number;
  manBits: number;
  bias: number;
  /**
   * ieee: all-ones exponent is inf/NaN. fn: no infinities, only all-ones is
   * NaN (float8_e4m3fn). fnuz: no infinities or negative zero, 0x80 is NaN.
   * e8m0: unsigned powers of two, 0xFF is NaN.
   */
  kind: 'ieee' | 'fn' | 'fnuz' | 'e8m0';
  /** The bit pattern written for NaN (and for overflow in formats without inf). */
  nan: number;
}

const FORMATS: Partial<Record<SafetensorsDType, SmallFloatFormat>> = {
  F16: { expBits: 5, manBits: 10, bias: 15, kind: 'ieee', nan: 0x7e00 },
  BF16: { expBits: 8, manBits: 7, bias: 127, kind: 'ieee', nan: 0x7fc0 },
  F8_E5M2: { expBits: 5, manBits: 2, bias: 15, kind: 'ieee', nan: 0x7f },
  F8_E4M3: { expBits: 4, manBits: 3, bias: 7, kind: 'fn', nan: 0x7f },
  F8_E4M3FNUZ: { expBits: 4, manBits: 3, bias: 8, kind: 'fnuz', nan: 0x80 },
  F8_E5M2FNUZ: { expBits: 5, manBits: 2, bias: 16, kind: 'fnuz', nan: 0x80 },
  F8_E8M0: { expBits: 8, manBits: 0, bias: 127, kind: 'e8m0', nan: 0xff },
};

function format(dtype: SafetensorsDType): SmallFloatFormat {
  const f = FORMATS[dtype];
  if (!f) throw new TypeError(`${dtype} is not a small float format`);
  return f;
}

/** The value of one bit pattern, as a double (exact in float32). */
function bitsToValue(bits: number, f: SmallFloatFormat): number {
  if (f.kind === 'e8m0') return bits === 0xff ? Number.NaN : 2 ** (bits - f.bias);
  const total = 1 + f.expBits + f.manBits;
  const sign = (bits >>> (total - 1)) & 1;
  const exp = (bits >>> f.manBits) & ((1 << f.expBits) - 1);
  const man = bits & ((1 << f.manBits) - 1);
  const expMax = (1 << f.expBits) - 1;
  if (f.kind === 'fnuz' && bits === 0x80) return Number.NaN;
  if (f.kind === 'ieee' && exp === expMax) {
    return man === 0 ? (sign ? -Infinity : Infinity) : Number.NaN;
  }
  if (f.kind === 'fn' && exp === expMax && man === (1 << f.manBits) - 1) return Number.NaN;
  const magnitude =
    exp === 0
      ? man * 2 ** (1 - f.bias - f.manBits)
      : (man + 2 ** f.manBits) * 2 ** (exp - f.bias - f.manBits);
  return sign ? -magnitude : magnitude;
}

const tables = new Map<SafetensorsDType, Uint32Array>();

/** float32 bit patterns indexed by small-float bits (65536 or 256 entries). */
export function decodeTable(dtype: SafetensorsDType): Uint32Array {
  let table = tables.get(dtype);
  if (table) return table;
  const f = format(dtype);
  const size = 2 ** (f.kind === 'e8m0' ? 8 : 1 + f.expBits + f.manBits);
  table = new Uint32Array(size);
  const asFloat = new Float32Array(table.buffer);
  for (let b = 0; b < size; b++) asFloat[b] = bitsToValue(b, f);
  if (dtype === 'F16') {
    // Keep NaN payloads and signs: quiet bit and payload move up 13 bits.
    for (let b = 0; b < size; b++) {
      if ((b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0) {
        table[b] = ((b & 0x8000) << 16) | 0x7f800000 | ((b & 0x3ff) << 13);
      }
    }
  }
  tables.set(dtype, table);
  return table;
}

/** Decodes raw F16/BF16 (Uint16Array) or float8 (Uint8Array) bits into float32. */
export function decodeSmallFloats(
  dtype: SafetensorsDType,
  bits: Uint16Array | Uint8Array,
): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  if (dtype === 'BF16') {
    // bf16 is the top half of a float32.
    for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
    return out;
  }
  const table = decodeTable(dtype);
  for (let i = 0; i < bits.length; i++) outBits[i] = table[bits[i]];
  return out;
}

function roundHalfEven(m: number): number {
  const fl = Math.floor(m);
  const diff = m - fl;
  if (diff > 0.5) return fl + 1;
  if (diff < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

/**
 * One double rounded to the nearest value of the format (ties to even),
 * returned as bits. Overflow gives inf where the format has one, otherwise
 * NaN (as torch does for float8_e4m3fn; it does not saturate).
 */
export function encodeSmallFloat(x: number, dtype: SafetensorsDType): number {
  const f = format(dtype);
  if (Number.isNaN(x)) return f.nan;
  if (f.kind === 'e8m0') return f32ToE8m0(x);
  const total = 1 + f.expBits + f.manBits;
  const negative = x < 0 || Object.is(x, -0);
  const signBit = negative ? 1 << (total - 1) : 0;
  const a = Math.abs(x);
  const expMax = (1 << f.expBits) - 1;
  const overflow = () =>
    f.kind === 'ieee' ? signBit | (expMax << f.manBits) : f.kind === 'fn' ? f.nan | signBit : f.nan;
  if (a === Infinity) return overflow();
  // fnuz formats have no negative zero (0x80 is their NaN).
  if (a === 0) return f.kind === 'fnuz' ? 0 : signBit;
  const emin = 1 - f.bias;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  e = Math.max(e, emin);
  // a / 2^(e - manBits) is exact: only the exponent changes.
  let r = roundHalfEven(a / 2 ** (e - f.manBits));
  if (r === 0) return f.kind === 'fnuz' ? 0 : signBit;
  const implicit = 2 ** f.manBits;
  if (r >= 2 * implicit) {
    r /= 2;
    e++;
  }
  let expField: number;
  let man: number;
  if (r < implicit) {
    expField = 0;
    man = r;
  } else {
    expField = e + f.bias;
    man = r - implicit;
  }
  const expLimit = f.kind === 'ieee' ? expMax - 1 : expMax;
  if (expField > expLimit) return overflow();
  if (f.kind === 'fn' && expField === expMax && man === implicit - 1) return overflow();
  return signBit | (expField << f.manBits) | man;
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/**
 * E8M0 (an MX block scale) as torch's `fp8e8m0fnu_from_fp32_value` does it:
 * on the float32 value, sign ignored, exponent rounded up when the mantissa
 * is past one half (ties up for normals), NaN and infinities to NaN.
 */
function f32ToE8m0(x: number): number {
  scratch[0] = x;
  const bits = scratchBits[0];
  let exponent = (bits >>> 23) & 0xff;
  if (exponent === 0xff) return 0xff;
  const g = (bits & 0x400000) !== 0;
  const rs = (bits & 0x3fffff) !== 0;
  if (g && (rs || exponent > 0)) exponent++;
  return exponent;
}

/** float32 bits → F16 bits, round to nearest even (the fast path for Float32Array input). */
export function f32BitsToF16(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const a = f & 0x7fffffff;
  if (a >= 0x7f800000) {
    // Inf stays inf; NaN keeps the top of its payload and is made quiet.
    return a === 0x7f800000 ? sign | 0x7c00 : sign | 0x7e00 | ((a >>> 13) & 0x3ff);
  }
  // 65520 = 65504 + half an ulp: it and above round to infinity.
  if (a >= 0x477ff000) return sign | 0x7c00;
  if (a < 0x38800000) {
    // Below 2^-14: subnormal half. value × 2^24 then round; exact in doubles.
    const exp = a >>> 23;
    const man = a & 0x7fffff;
    const value = exp === 0 ? man * 2 ** -149 : (man + 0x800000) * 2 ** (exp - 150);
    return sign | roundHalfEven(value * 2 ** 24);
  }
  let h = (((a >>> 23) - 112) << 10) | ((a >>> 13) & 0x3ff);
  const rest = a & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

/** float32 bits → BF16 bits, round to nearest even (torch's formula). */
export function f32BitsToBf16(f: number): number {
  if ((f & 0x7fffffff) > 0x7f800000) return ((f >>> 16) | 0x40) & 0xffff;
  return ((f + 0x7fff + ((f >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Values → small-float bits. Float32Array input to F16/BF16 goes through
 * the bit-level fast paths; anything else is rounded from the double value
 * directly (so Float64Array input is rounded once, not twice).
 */
export function encodeSmallFloats(
  dtype: SafetensorsDType,
  values: ArrayLike<number>,
  out: Uint16Array | Uint8Array,
): void {
  if (values instanceof Float32Array && (dtype === 'F16' || dtype === 'BF16')) {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const convert = dtype === 'F16' ? f32BitsToF16 : f32BitsToBf16;
    for (let i = 0; i < bits.length; i++) out[i] = convert(bits[i]);
    return;
  }
  for (let i = 0; i < values.length; i++) out[i] = encodeSmallFloat(values[i], dtype);
}
