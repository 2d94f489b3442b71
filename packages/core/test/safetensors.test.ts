import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  decodeSafetensors,
  dtypeBits,
  encodeSafetensors,
  FormatError,
  type KdError,
  NotFoundError,
  readSafetensorsHeader,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
  SafetensorsFormatError,
  type SafetensorsTensor,
  ShapeError,
  summarizeSafetensors,
  ValidationError,
} from '../src/index.js';
import { expected, fixture, rawFile, sha256 } from './safetensors-helpers.js';

const valid = expected.cases.filter((c) => c.kind === 'valid');
const corrupt = expected.cases.filter((c) => c.kind === 'corrupt');

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function reasonOf(bytes: Uint8Array): string {
  const error = catchError(() => decodeSafetensors(bytes, { where: 'case.safetensors' }));
  expect(error).toBeInstanceOf(SafetensorsFormatError);
  return (error as SafetensorsFormatError).reason;
}

describe('reference fixtures (../shared/reference/safetensors, copied)', () => {
  it('has every fixture intact', () => {
    expect(valid.length).toBe(10);
    expect(corrupt.length).toBe(30);
    for (const c of expected.cases) {
      const bytes = fixture(c.file);
      expect(bytes.length, c.file).toBe(c.size);
      expect(sha256(bytes), c.file).toBe(c.sha256);
    }
  });

  for (const c of valid) {
    it(`reads ${c.file}`, () => {
      const bytes = fixture(c.file);
      const header = readSafetensorsHeader(bytes, c.file);
      expect(header.headerSize).toBe(c.headerLen);
      expect(header.dataOffset).toBe(8 + c.headerLen!);
      expect({ ...header.metadata }).toEqual(c.metadata ?? {});
      // Entries come in data order, with the header's offsets.
      const fromJson = Object.entries(c.header!).filter(([k]) => k !== '__metadata__') as [
        string,
        { dtype: string; shape: number[]; data_offsets: [number, number] },
      ][];
      fromJson.sort(
        (a, b) =>
          a[1].data_offsets[0] - b[1].data_offsets[0] ||
          a[1].data_offsets[1] - b[1].data_offsets[1],
      );
      expect(Object.keys(header.entries)).toEqual(fromJson.map(([k]) => k));
      for (const [name, e] of fromJson) {
        expect(header.entries[name]).toEqual({
          dtype: e.dtype,
          shape: e.shape,
          offsets: e.data_offsets,
        });
      }

      const exact = decodeSafetensors(bytes, { where: c.file, int64: 'bigint' });
      const half = decodeSafetensors(bytes, { where: c.file, keepHalf: true, int64: 'bigint' });
      expect(Object.keys(exact.tensors).sort()).toEqual(Object.keys(c.tensors!).sort());
      for (const [name, t] of Object.entries(c.tensors!)) {
        const got = exact.tensors[name];
        expect(got.dtype, name).toBe(t.dtype);
        expect(got.shape, name).toEqual(t.shape);
        // F16/BF16 decode to float32 with the reference's decoded values;
        // every other dtype keeps its bytes; I64/U64 exactly as bigint.
        if (t.dtype === 'F16' || t.dtype === 'BF16') {
          expect(got.data).toBeInstanceOf(Float32Array);
          expect(half.tensors[name].data).toBeInstanceOf(Uint16Array);
          expect(sha256(half.tensors[name].data), name).toBe(t.sha256Bits);
        }
        expect(sha256(got.data), `${c.file} ${name}`).toBe(t.sha256Values);
        expect(got.data.length).toBe(t.count);
      }
    });
  }

  it('decodes the special values of valid_dtypes_scalar_empty exactly', () => {
    const { tensors } = decodeSafetensors(fixture('valid_dtypes_scalar_empty.safetensors'), {
      int64: 'bigint',
    });
    const f = tensors.k_f32_special.data as Float32Array;
    expect(Array.from(new Uint32Array(f.buffer), (b) => b.toString(16).padStart(8, '0'))).toEqual([
      '7fc00000',
      '7f800000',
      'ff800000',
      '80000000',
      '00000001',
      '7f7fffff',
    ]);
    expect(tensors.a_scalar_f64.shape).toEqual([]);
    expect(Array.from(tensors.a_scalar_f64.data as Float64Array)).toEqual([Math.PI]);
    expect(tensors.b_empty_f32.data.length).toBe(0);
    expect(tensors.c_empty_2x0_i32.shape).toEqual([2, 0]);
    expect(Array.from(tensors.d_bool.data as Uint8Array)).toEqual([1, 0, 1, 1, 0]);
    expect(Array.from(tensors.f_i8.data as Int8Array)).toEqual([-128, -1, 0, 127]);
    expect(Array.from(tensors.i_u32.data as Uint32Array)).toEqual([0, 4294967295]);
    expect(Array.from(tensors.j_u64.data as BigUint64Array)).toEqual([0n, 18446744073709551615n]);
  });

  it('checks I64 into the int32 range by default and names the value', () => {
    const bytes = fixture('base_model.mixed_i64.safetensors');
    const error = catchError(() => decodeSafetensors(bytes, { where: 'm.safetensors' }));
    expect(error).toBeInstanceOf(DTypeError);
    expect((error as Error).message).toContain('"test.int64_extremes"');
    expect((error as Error).message).toContain('2147483648');
    expect((error as Error).message).toContain("int64: 'bigint'");
    // Tensors whose values fit come back as Int32Array.
    const { tensors } = decodeSafetensors(bytes, { names: ['embeddings.position_ids'] });
    const ids = tensors['embeddings.position_ids'];
    expect(ids.dtype).toBe('I64');
    expect(ids.data).toBeInstanceOf(Int32Array);
    expect(Array.from(ids.data as Int32Array)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    const big = decodeSafetensors(bytes, { int64: 'bigint' }).tensors['test.int64_extremes'];
    expect(Array.from(big.data as BigInt64Array).map(String)).toEqual([
      '0',
      '1',
      '-1',
      '2147483648',
      '-2147483649',
      '9007199254740992',
      '9007199254740993',
      '-9007199254740993',
      '9223372036854775807',
      '-9223372036854775808',
    ]);
  });

  it('re-encodes files of the official writer byte for byte', () => {
    const official = [
      'base_model.f32.safetensors',
      'base_model.f16.safetensors',
      'base_model.bf16.safetensors',
      'base_model.mixed_i64.safetensors',
      'adapter_model.safetensors',
      'valid_dtypes_scalar_empty.safetensors',
      'valid_metadata_only_no_tensors.safetensors',
    ];
    for (const file of official) {
      const bytes = fixture(file);
      const { tensors, metadata } = decodeSafetensors(bytes, { keepHalf: true, int64: 'bigint' });
      const again = encodeSafetensors(tensors, metadata);
      expect(sha256(again), file).toBe(sha256(bytes));
    }
  });

  for (const c of corrupt) {
    it(`rejects ${c.file}: ${c.rust_error} (${c.description})`, () => {
      const error = catchError(() => decodeSafetensors(fixture(c.file), { where: c.file }));
      expect(error).toBeInstanceOf(SafetensorsFormatError);
      expect(error).toBeInstanceOf(FormatError);
      const e = error as SafetensorsFormatError;
      expect(e.reason).toBe(c.rust_error);
      expect(e.code).toBe('KD_FORMAT');
      expect(e.where).toBe(c.file);
      expect(e.message.startsWith(`${c.file}: `)).toBe(true);
      expect(e.message).toContain(c.rust_error!);
    });
  }

  it('names the tensor in offset and size errors', () => {
    const tensorOf = (file: string) =>
      (catchError(() => decodeSafetensors(fixture(`corrupt/${file}`))) as SafetensorsFormatError)
        .tensor;
    expect(tensorOf('c17_overlapping_offsets.safetensors')).toBe('b');
    expect(tensorOf('c18_gap_between_tensors.safetensors')).toBe('b');
    expect(tensorOf('c19_first_offset_not_zero.safetensors')).toBe('a');
    expect(tensorOf('c22_dtype_size_mismatch.safetensors')).toBe('a');
    expect(tensorOf('c24_unknown_dtype.safetensors')).toBe('a');
    const e = catchError(() =>
      decodeSafetensors(fixture('corrupt/c22_dtype_size_mismatch.safetensors'), { where: 'x.st' }),
    ) as Error;
    expect(e.message).toBe(
      'x.st: tensor "a": F32 [2, 3] needs 24 bytes, but data_offsets [0, 20] give 20 (TensorInvalidInfo)',
    );
  });
});

describe('more corrupt and edge cases of our own', () => {
  const f32 = (n: number) => new Uint8Array(4 * n);
  const entry = (dtype: string, shape: string, offsets: string) =>
    `{"dtype":"${dtype}","shape":${shape},"data_offsets":${offsets}}`;

  const cases: [string, Uint8Array, string][] = [
    [
      'duplicate tensor key',
      rawFile(`{"a":${entry('F32', '[1]', '[0,4]')},"a":${entry('F32', '[1]', '[0,4]')}}`, f32(1)),
      'InvalidHeaderDeserialization',
    ],
    [
      'duplicate __metadata__',
      rawFile('{"__metadata__":{},"__metadata__":{}}'),
      'InvalidHeaderDeserialization',
    ],
    [
      'duplicate field in an entry',
      rawFile(`{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32(1)),
      'InvalidHeaderDeserialization',
    ],
    [
      'three data_offsets',
      rawFile(`{"a":${entry('F32', '[1]', '[0,4,4]')}}`, f32(1)),
      'InvalidHeaderDeserialization',
    ],
    [
      'one data_offset',
      rawFile(`{"a":${entry('F32', '[1]', '[4]')}}`, f32(1)),
      'InvalidHeaderDeserialization',
    ],
    [
      'float offset 4.0',
      rawFile(`{"a":${entry('F32', '[1]', '[0,4.0]')}}`, f32(1)),
      'InvalidHeaderDeserialization',
    ],
    [
      'exponent in shape',
      rawFile(`{"a":${entry('F32', '[1e0]', '[0,4]')}}`, f32(1)),
      'InvalidHeaderDeserialization',
    ],
    [
      'negative zero in shape',
      rawFile(`{"a":${entry('F32', '[-0]', '[0,0]')}}`),
      'InvalidHeaderDeserialization',
    ],
    [
      'shape not a list',
      rawFile(`{"a":${entry('F32', '4', '[0,16]')}}`, f32(4)),
      'InvalidHeaderDeserialization',
    ],
    [
      'string in shape',
      rawFile(`{"a":${entry('F32', '["1"]', '[0,4]')}}`, f32(1)),
      'InvalidHeaderDeserialization',
    ],
    [
      'dimension 2^64 (not a u64)',
      rawFile(`{"a":${entry('F32', '[18446744073709551616,0]', '[0,0]')}}`),
      'InvalidHeaderDeserialization',
    ],
    [
      'element count overflows u64',
      rawFile(`{"a":${entry('F32', '[4294967296,4294967296]', '[0,4]')}}`, f32(1)),
      'ValidationOverflow',
    ],
    [
      'byte count overflows u64',
      rawFile(`{"a":${entry('F32', '[4611686018427387904]', '[0,4]')}}`, f32(1)),
      'ValidationOverflow',
    ],
    [
      'offset 2^64-1',
      rawFile(`{"a":${entry('F32', '[1]', '[0,18446744073709551615]')}}`, f32(1)),
      'TensorInvalidInfo',
    ],
    [
      'dtype not a string',
      rawFile(`{"a":${entry('F32', '[1]', '[0,4]').replace('"F32"', '32')}}`, f32(1)),
      'InvalidHeaderDeserialization',
    ],
    [
      'lower-case dtype',
      rawFile(`{"a":${entry('f32', '[1]', '[0,4]')}}`, f32(1)),
      'InvalidHeaderDeserialization',
    ],
    ['metadata not an object', rawFile('{"__metadata__":"pt"}'), 'InvalidHeaderDeserialization'],
    [
      'lone surrogate escape in a name',
      rawFile(`{"\\ud800":${entry('F32', '[1]', '[0,4]')}}`, f32(1)),
      'InvalidHeaderDeserialization',
    ],
    [
      'raw control character in a string',
      rawFile(`{"a\tb":${entry('F32', '[1]', '[0,4]')}}`, f32(1)),
      'InvalidHeaderDeserialization',
    ],
    [
      'single quotes',
      rawFile(`{'a':${entry('F32', '[1]', '[0,4]')}}`, f32(1)),
      'InvalidHeaderDeserialization',
    ],
    ['header of spaces only', rawFile('        '), 'InvalidHeaderDeserialization'],
    ['two JSON objects', rawFile('{}{}'), 'InvalidHeaderDeserialization'],
    ['JSON null', rawFile('null'), 'InvalidHeaderDeserialization'],
    [
      'nesting 100,000 deep',
      rawFile(`{"__metadata__":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
      'InvalidHeaderDeserialization',
    ],
    [
      'nesting 129 deep inside an ignored field',
      rawFile(
        `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":${'['.repeat(127)}${']'.repeat(127)}}}`,
        f32(1),
      ),
      'InvalidHeaderDeserialization',
    ],
    [
      'end before begin in the first tensor',
      rawFile(`{"a":${entry('F32', '[0]', '[0,0]')},"b":${entry('F32', '[1]', '[4,0]')}}`, f32(1)),
      'InvalidOffset',
    ],
    [
      'two tensors at the same offsets',
      rawFile(`{"a":${entry('F32', '[1]', '[0,4]')},"b":${entry('F32', '[1]', '[0,4]')}}`, f32(2)),
      'InvalidOffset',
    ],
    [
      'F4 with an odd element count',
      rawFile(`{"a":${entry('F4', '[3]', '[0,2]')}}`, [0, 0]),
      'MisalignedSlice',
    ],
    [
      'F6 whose bits are not whole bytes',
      rawFile(`{"a":${entry('F6_E2M3', '[3]', '[0,3]')}}`, [0, 0, 0]),
      'MisalignedSlice',
    ],
    [
      'header length 2^63',
      (() => {
        const b = rawFile('{}');
        b[7] = 0x80;
        return b;
      })(),
      'HeaderTooLarge',
    ],
    [
      'header length exactly 100,000,001 in a small file',
      (() => {
        const b = rawFile('{}');
        new DataView(b.buffer).setUint32(0, 100_000_001, true);
        return b;
      })(),
      'HeaderTooLarge',
    ],
    [
      'header length one past the file',
      (() => {
        const b = rawFile('{}');
        b[0] = 3;
        return b;
      })(),
      'InvalidHeaderLength',
    ],
    ['7 bytes', new Uint8Array(7), 'HeaderTooSmall'],
    [
      'a truncated UTF-8 sequence',
      rawFile('{"\u00e9":0}')
        .subarray(0, 8 + 3)
        .map((v, i) => (i === 0 ? 3 : v)),
      'InvalidHeader',
    ],
    [
      'an encoded surrogate (ED A0 80)',
      (() => {
        const b = rawFile('{"xxx":{}}');
        b.set([0xed, 0xa0, 0x80], 10);
        return b;
      })(),
      'InvalidHeader',
    ],
    [
      'missing shape',
      rawFile('{"a":{"dtype":"F32","data_offsets":[0,4]}}', f32(1)),
      'InvalidHeaderDeserialization',
    ],
    [
      'data shorter than the last tensor',
      rawFile(`{"a":${entry('F32', '[2]', '[0,8]')}}`, f32(1)),
      'MetadataIncompleteBuffer',
    ],
    ['data with no tensors', rawFile('{}', [1, 2, 3]), 'MetadataIncompleteBuffer'],
  ];
  for (const [name, bytes, reason] of cases) {
    it(`rejects ${name} (${reason})`, () => {
      expect(reasonOf(bytes)).toBe(reason);
    });
  }

  it('accepts what the reference accepts', () => {
    // The crate's own doc example: N = 60, not a multiple of 8.
    const doc = rawFile(
      '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}',
      new Uint8Array(16),
    );
    expect(Array.from(decodeSafetensors(doc).tensors.test.data as ArrayLike<number>)).toEqual([
      0, 0, 0, 0,
    ]);
    // JSON whitespace around the object (tabs, newlines), escapes in names,
    // __metadata__: null, unknown fields inside an entry (serde ignores them).
    const loose = rawFile(
      `\t\r\n {"__metadata__" : null, "a\\u00e9\\n\\/": {"shape":[1],"dtype":"F32","extra":{"x":[1,2,{"y":null}]},"data_offsets":[0,4]}} \n\t`,
      f32(1),
    );
    const d = decodeSafetensors(loose);
    expect(Object.keys(d.tensors)).toEqual(['aé\n/']);
    expect({ ...d.metadata }).toEqual({});
    // Zero-size tensors may sit anywhere, including between others.
    const zeros = rawFile(
      `{"z":${entry('F32', '[0,5]', '[4,4]')},"a":${entry('F32', '[1]', '[0,4]')},"b":${entry('I8', '[2]', '[4,6]')}}`,
      [0, 0, 128, 63, 1, 255],
    );
    const z = decodeSafetensors(zeros).tensors;
    expect(Array.from(z.a.data as ArrayLike<number>)).toEqual([1]);
    expect(z.z.data.length).toBe(0);
    expect(Array.from(z.b.data as ArrayLike<number>)).toEqual([1, -1]);
    // Sub-byte dtypes parse and come back as their packed bytes.
    const f4 = decodeSafetensors(rawFile(`{"a":${entry('F4', '[2, 2]', '[0,2]')}}`, [0x21, 0x43]));
    expect(f4.tensors.a.dtype).toBe('F4');
    expect(Array.from(f4.tensors.a.data as ArrayLike<number>)).toEqual([0x21, 0x43]);
  });

  it('keeps hostile names off prototypes', () => {
    const bytes = rawFile(
      `{"__proto__":${entry('F32', '[1]', '[0,4]')},"constructor":${entry('F32', '[1]', '[4,8]')}}`,
      f32(2),
    );
    const { tensors } = decodeSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(tensors)).toBe(null);
    expect(Object.getOwnPropertyDescriptor(tensors, '__proto__')?.value.shape).toEqual([1]);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
    // And they survive a round trip.
    const again = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(again.tensors)).toEqual(['__proto__', 'constructor']);
  });

  it('reports JSON syntax errors with a position', () => {
    const e = catchError(() =>
      decodeSafetensors(rawFile('{"a":\n  [1,]}'), { where: 'h.st' }),
    ) as Error;
    expect(e.message).toMatch(
      /^h\.st: header is not valid JSON: unexpected '\]': expected a value at line 2, column 6 \(InvalidHeaderDeserialization\)$/,
    );
  });

  it('summarises a header for `kd inspect`: counts, bytes, totals per dtype', () => {
    const s = summarizeSafetensors(
      readSafetensorsHeader(fixture('base_model.mixed_i64.safetensors')),
    );
    expect(s.fileSize).toBe(28384);
    expect(s.headerSize).toBe(1664);
    expect(s.metadata).toEqual({ format: 'pt' });
    expect(s.tensors[0]).toEqual({
      name: 'embeddings.position_ids',
      dtype: 'I64',
      shape: [1, 64],
      parameters: 64,
      bytes: 512,
      offsets: [0, 512],
    });
    // 8 + header + data = file; parameters and bytes add up per dtype.
    expect(8 + s.headerSize + s.totals.bytes).toBe(s.fileSize);
    expect(s.totals.tensors).toBe(17);
    expect(s.byDtype.I64).toEqual({ tensors: 3, parameters: 138, bytes: 1104 });
    expect(s.byDtype.F32!.parameters + s.byDtype.I64!.parameters).toBe(s.totals.parameters);
    const scalar = summarizeSafetensors(
      readSafetensorsHeader(fixture('valid_dtypes_scalar_empty.safetensors')),
    );
    expect(scalar.tensors.find((t) => t.name === 'a_scalar_f64')!.parameters).toBe(1);
    expect(scalar.tensors.find((t) => t.name === 'c_empty_2x0_i32')!.parameters).toBe(0);
  });

  it('selects tensors by name and suggests close names', () => {
    const bytes = fixture('base_model.f32.safetensors');
    const { tensors } = decodeSafetensors(bytes, { names: ['classifier.bias'] });
    expect(Object.keys(tensors)).toEqual(['classifier.bias']);
    const e = catchError(() => decodeSafetensors(bytes, { names: ['classifier.bais'] }));
    expect(e).toBeInstanceOf(NotFoundError);
    expect((e as Error).message).toContain('Did you mean "classifier.bias"');
  });
});

// ── numbers: independent reference formulas, recomputed here ──────────────

/** IEEE half / bfloat16 / float8 value of a bit pattern, straight from the definition. */
function smallFloatValue(
  bits: number,
  e: number,
  m: number,
  bias: number,
  kind: 'ieee' | 'fn',
): number {
  const sign = (bits >> (e + m)) & 1 ? -1 : 1;
  const exp = (bits >> m) & ((1 << e) - 1);
  const man = bits & ((1 << m) - 1);
  if (kind === 'ieee' && exp === (1 << e) - 1) return man ? Number.NaN : sign * Infinity;
  if (kind === 'fn' && exp === (1 << e) - 1 && man === (1 << m) - 1) return Number.NaN;
  if (exp === 0) return sign * man * 2 ** (1 - bias - m);
  return sign * (1 + man / 2 ** m) * 2 ** (exp - bias);
}

interface Fmt {
  dtype: SafetensorsDType;
  e: number;
  m: number;
  bias: number;
  kind: 'ieee' | 'fn';
}
const F16: Fmt = { dtype: 'F16', e: 5, m: 10, bias: 15, kind: 'ieee' };
const BF16: Fmt = { dtype: 'BF16', e: 8, m: 7, bias: 127, kind: 'ieee' };
const E4M3: Fmt = { dtype: 'F8_E4M3', e: 4, m: 3, bias: 7, kind: 'fn' };
const E5M2: Fmt = { dtype: 'F8_E5M2', e: 5, m: 2, bias: 15, kind: 'ieee' };

/** Non-negative finite values in bit order, plus the "next" value past the max (where overflow rounds). */
function ladder(f: Fmt): { values: number[]; overflow: number } {
  const values: number[] = [];
  const half = 1 << (f.e + f.m);
  for (let b = 0; b < half; b++) {
    const v = smallFloatValue(b, f.e, f.m, f.bias, f.kind);
    if (!Number.isFinite(v)) break;
    values.push(v);
  }
  const top = values[values.length - 1];
  const ulp = top - values[values.length - 2];
  return { values, overflow: top + ulp };
}

/** Nearest value, ties to the even bit pattern, by brute search; -1 means overflow. */
function nearestBits(x: number, lad: { values: number[]; overflow: number }): number {
  const { values, overflow } = lad;
  const a = Math.abs(x);
  let lo = 0;
  let hi = values.length - 1;
  if (a >= values[hi]) {
    const mid = (values[hi] + overflow) / 2;
    if (a === mid) return hi % 2 === 0 ? hi : -1;
    return a > mid ? -1 : hi;
  }
  while (hi - lo > 1) {
    const k = (lo + hi) >> 1;
    if (values[k] <= a) lo = k;
    else hi = k;
  }
  const dl = a - values[lo];
  const dh = values[hi] - a;
  if (dl < dh) return lo;
  if (dh < dl) return hi;
  return lo % 2 === 0 ? lo : hi;
}

function encodeBits(f: Fmt, data: Float32Array | Float64Array): number[] {
  const bytes = encodeSafetensors({ x: { dtype: f.dtype, shape: [data.length], data } });
  const t = decodeSafetensors(bytes, { keepHalf: true }).tensors.x;
  return Array.from(t.data as Uint16Array | Uint8Array);
}

function decodeAll(f: Fmt): Float32Array {
  const n = 1 << (1 + f.e + f.m);
  const raw = f.e + f.m + 1 === 16 ? new Uint16Array(n) : new Uint8Array(n);
  for (let b = 0; b < n; b++) raw[b] = b;
  const bytes = encodeSafetensors({ x: { dtype: f.dtype, shape: [n], data: raw } });
  return decodeSafetensors(bytes).tensors.x.data as Float32Array;
}

describe('reduced-precision floats', () => {
  for (const f of [F16, BF16, E4M3, E5M2]) {
    it(`${f.dtype}: decodes every bit pattern to its exact value`, () => {
      const got = decodeAll(f);
      for (let b = 0; b < got.length; b++) {
        const want = smallFloatValue(b, f.e, f.m, f.bias, f.kind);
        if (Number.isNaN(want)) expect(Number.isNaN(got[b]), `bits ${b}`).toBe(true);
        else
          expect(Object.is(got[b], want), `bits ${b.toString(16)}: ${got[b]} vs ${want}`).toBe(
            true,
          );
      }
    });

    it(`${f.dtype}: rounds to nearest, ties to even (midpoints, neighbours, random)`, () => {
      const lad = ladder(f);
      const signBit = 1 << (f.e + f.m);
      const infBits = f.kind === 'ieee' ? ((1 << f.e) - 1) << f.m : (1 << (f.e + f.m)) - 1;
      const xs: number[] = [];
      const { values } = lad;
      for (let k = 0; k + 1 < values.length; k++) {
        const mid = (values[k] + values[k + 1]) / 2;
        const gap = values[k + 1] - values[k];
        xs.push(mid, -mid, mid - gap / 64, mid + gap / 64, values[k], -values[k]);
      }
      xs.push(
        lad.overflow,
        (values[values.length - 1] + lad.overflow) / 2,
        1e30,
        -1e30,
        2 ** -140,
        -0,
      );
      // Random float32 bit patterns (finite).
      let s = 12345;
      const bits = new Uint32Array(1);
      const asF = new Float32Array(bits.buffer);
      for (let i = 0; i < 20_000; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        bits[0] = s ^ (s << 7);
        if (Number.isFinite(asF[0])) xs.push(asF[0]);
      }
      const want = xs.map((x) => {
        const k = nearestBits(x, lad);
        const sign = x < 0 || Object.is(x, -0) ? signBit : 0;
        // Overflow: infinity (ieee) or, for fn formats, the NaN pattern.
        if (k === -1) return sign | infBits;
        return sign | k;
      });
      // Float64 input is rounded once from the double; float32 input of the
      // same (float32-exact) values must agree, through the fast paths too.
      const f32 = xs.filter((x) => Math.fround(x) === x);
      const wantF32 = xs
        .map((x, i) => [x, want[i]] as const)
        .filter(([x]) => Math.fround(x) === x)
        .map(([, w]) => w);
      expect(encodeBits(f, Float64Array.from(xs))).toEqual(want);
      expect(encodeBits(f, Float32Array.from(f32))).toEqual(wantF32);
    });
  }

  it('F16 and BF16 special values', () => {
    const v = [
      0,
      -0,
      2 ** -24,
      2 ** -25,
      2 ** -25 * 1.0001,
      65504,
      65519.99,
      65520,
      Infinity,
      -Infinity,
      Number.NaN,
      6.1e-5,
      6.101e-5,
    ];
    expect(encodeBits(F16, Float32Array.from(v))).toEqual([
      0x0000, 0x8000, 0x0001, 0x0000, 0x0001, 0x7bff, 0x7bff, 0x7c00, 0x7c00, 0xfc00, 0x7e00,
      0x03ff, 0x0400,
    ]);
    const b = [
      2 ** -133,
      3.3895313892515355e38,
      (3.3895313892515355e38 + 2 ** 128) / 2,
      1,
      1.00390625,
      1.01171875,
      Number.NaN,
    ];
    expect(encodeBits(BF16, Float64Array.from(b))).toEqual([
      0x0001, 0x7f7f, 0x7f80, 0x3f80, 0x3f80, 0x3f82, 0x7fc0,
    ]);
    // E4M3 (fn) has no infinity: 448 is the max, overflow is NaN as in torch.
    // 464 is the tie between 448 (0x7e, even) and 480 (the NaN pattern): it stays 448.
    expect(encodeBits(E4M3, Float32Array.from([448, 463.9, 464, 465, 1e6, -Infinity]))).toEqual([
      0x7e, 0x7e, 0x7e, 0x7f, 0x7f, 0xff,
    ]);
    expect(encodeBits(E5M2, Float32Array.from([57344, 61439, 61440, Infinity]))).toEqual([
      0x7b, 0x7b, 0x7c, 0x7c,
    ]);
  });

  it('F16 NaN payloads survive decode (bits → float32 bits)', () => {
    const bytes = encodeSafetensors({
      x: { dtype: 'F16', shape: [3], data: new Uint16Array([0x7e01, 0xfd55, 0x7c01]) },
    });
    const f = decodeSafetensors(bytes).tensors.x.data as Float32Array;
    expect(Array.from(new Uint32Array(f.buffer), (b) => b.toString(16))).toEqual([
      '7fc02000',
      'ffaaa000',
      '7f802000',
    ]);
  });

  it('F8_E8M0 and the FNUZ variants decode', () => {
    const enc = (dtype: SafetensorsDType, raw: number[]) =>
      Array.from(
        decodeSafetensors(
          encodeSafetensors({ x: { dtype, shape: [raw.length], data: new Uint8Array(raw) } }),
        ).tensors.x.data as Float32Array,
      );
    expect(enc('F8_E8M0', [0, 127, 128, 254, 255])).toEqual([
      2 ** -127,
      1,
      2,
      2 ** 127,
      Number.NaN,
    ]);
    expect(enc('F8_E4M3FNUZ', [0x00, 0x80, 0x40, 0x7f, 0xff, 0x01])).toEqual([
      0,
      Number.NaN,
      1,
      240,
      -240,
      2 ** -10,
    ]);
    expect(enc('F8_E5M2FNUZ', [0x00, 0x80, 0x40, 0x7f, 0x01])).toEqual([
      0,
      Number.NaN,
      1,
      57344,
      2 ** -17,
    ]);
    // Encoding E8M0 follows torch (round the float32 mantissa: ties up).
    const e8 = (xs: number[]) =>
      Array.from(
        decodeSafetensors(
          encodeSafetensors({ x: { dtype: 'F8_E8M0', shape: [xs.length], data: xs } }),
          { keepHalf: true },
        ).tensors.x.data as ArrayLike<number>,
      );
    expect(e8([1, 1.49, 1.5, 3, 0, Number.NaN, -4])).toEqual([127, 127, 128, 129, 0, 255, 129]);
  });
});

describe('round trips', () => {
  it('every dtype, through encode and decode', () => {
    const tensors: Record<string, SafetensorsTensor> = {
      bool: { dtype: 'BOOL', shape: [4], data: new Uint8Array([1, 0, 0, 1]) },
      u8: { dtype: 'U8', shape: [3], data: new Uint8Array([0, 128, 255]) },
      i8: { dtype: 'I8', shape: [3], data: new Int8Array([-128, 0, 127]) },
      i16: { dtype: 'I16', shape: [3], data: new Int16Array([-32768, 1, 32767]) },
      u16: { dtype: 'U16', shape: [2], data: new Uint16Array([0, 65535]) },
      f16: {
        dtype: 'F16',
        shape: [2, 2],
        data: new Float32Array([1.5, -(2 ** -24), 65504, Infinity]),
      },
      bf16: {
        dtype: 'BF16',
        shape: [3],
        data: new Float32Array([2 ** -133, -3.3895313892515355e38, 0.5]),
      },
      i32: { dtype: 'I32', shape: [2], data: new Int32Array([-2147483648, 2147483647]) },
      u32: { dtype: 'U32', shape: [2], data: new Uint32Array([0, 4294967295]) },
      f32: { dtype: 'F32', shape: [2, 1], data: new Float32Array([Math.PI, -0]) },
      f64: { dtype: 'F64', shape: [], data: new Float64Array([Math.E]) },
      i64: {
        dtype: 'I64',
        shape: [3],
        data: new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n, 2n ** 63n - 1n]),
      },
      u64: { dtype: 'U64', shape: [2], data: new BigUint64Array([0n, 2n ** 64n - 1n]) },
      e4m3: { dtype: 'F8_E4M3', shape: [3], data: new Float32Array([448, -0.015625, 2 ** -9]) },
      e5m2: { dtype: 'F8_E5M2', shape: [3], data: new Float32Array([57344, -Infinity, 2 ** -16]) },
      e8m0: { dtype: 'F8_E8M0', shape: [2], data: new Float32Array([2 ** -127, 2 ** 127]) },
      e4m3fnuz: { dtype: 'F8_E4M3FNUZ', shape: [2], data: new Float32Array([240, -(2 ** -10)]) },
      e5m2fnuz: { dtype: 'F8_E5M2FNUZ', shape: [2], data: new Float32Array([57344, -(2 ** -17)]) },
      c64: { dtype: 'C64', shape: [2], data: new Float32Array([1, -1, 0.5, 2]) },
      f4: { dtype: 'F4', shape: [4], data: new Uint8Array([0x12, 0x34]) },
      f6a: { dtype: 'F6_E2M3', shape: [4], data: new Uint8Array([1, 2, 3]) },
      f6b: { dtype: 'F6_E3M2', shape: [4], data: new Uint8Array([4, 5, 6]) },
      empty: { dtype: 'F32', shape: [3, 0], data: new Float32Array(0) },
    };
    const covered = new Set(Object.values(tensors).map((t) => t.dtype));
    expect([...covered].sort()).toEqual([...SAFETENSORS_DTYPES].sort());
    const bytes = encodeSafetensors(tensors, { format: 'pt', zé: 'ü' });
    const header = readSafetensorsHeader(bytes);
    expect(header.headerSize % 8).toBe(0);
    // Widest dtypes first, then by name (the reference writer's order).
    expect(Object.keys(header.entries).slice(0, 5)).toEqual(['u64', 'i64', 'f64', 'c64', 'empty']);
    // Every tensor starts aligned to its element size.
    for (const e of Object.values(header.entries)) {
      const element = e.dtype === 'C64' ? 8 : Math.max(1, dtypeBits(e.dtype) / 8);
      expect((header.dataOffset + e.offsets[0]) % element).toBe(0);
    }
    const back = decodeSafetensors(bytes, { int64: 'bigint' });
    const raw = decodeSafetensors(bytes, { raw: true });
    expect({ ...back.metadata }).toEqual({ format: 'pt', zé: 'ü' });
    for (const [name, t] of Object.entries(tensors)) {
      const got = back.tensors[name];
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual(t.shape);
      expect(Array.from(got.data as ArrayLike<unknown>), name).toEqual(
        Array.from(t.data as ArrayLike<unknown>),
      );
    }
    // Raw bytes re-encode to the same file.
    expect(sha256(encodeSafetensors(raw.tensors, raw.metadata))).toBe(sha256(bytes));
  });

  it("matches the reference crate's own serialisation tests byte for byte", () => {
    // huggingface/safetensors tensor.rs: test_serialization, test_empty,
    // test_serialization_forced_alignement.
    const f = new Float32Array([0, 1, 2, 3, 4, 5]);
    const one = encodeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: f } });
    expect(Array.from(one.subarray(0, 8))).toEqual([64, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(one.subarray(8, 72))).toBe(
      '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}',
    );
    expect(Array.from(one.subarray(72))).toEqual([
      0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    expect(Array.from(encodeSafetensors({}))).toEqual([
      8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32,
    ]);
    expect(Array.from(encodeSafetensors({}, { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58,
      123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32,
      32, 32, 32, 32,
    ]);
    const aligned = encodeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: f } });
    expect(Array.from(aligned.subarray(0, 8))).toEqual([72, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(aligned.subarray(8, 80))).toBe(
      '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ',
    );
  });

  it('stores StoredTensors as F32 / I32 / BOOL and converts plain arrays', () => {
    const bytes = encodeSafetensors({
      w: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) },
      ids: { dtype: 'int32', shape: [2], data: new Int32Array([3, -4]) },
      mask: { dtype: 'bool', shape: [3], data: new Uint8Array([0, 7, 1]) },
      h: { dtype: 'F16', shape: [2], data: [0.1, -3] },
      l: { dtype: 'I64', shape: [2], data: [2 ** 40, -1] },
      n: { dtype: 'I16', shape: [1], data: [-5] },
    });
    const { tensors } = decodeSafetensors(bytes, { int64: 'bigint' });
    expect(tensors.w.dtype).toBe('F32');
    expect(tensors.ids.dtype).toBe('I32');
    expect(tensors.mask.dtype).toBe('BOOL');
    expect(Array.from(tensors.mask.data as ArrayLike<number>)).toEqual([0, 1, 1]);
    expect(Array.from(tensors.h.data as ArrayLike<number>)).toEqual([0.0999755859375, -3]);
    expect(Array.from(tensors.l.data as BigInt64Array)).toEqual([2n ** 40n, -1n]);
    expect(Array.from(tensors.n.data as ArrayLike<number>)).toEqual([-5]);
  });

  it('refuses bad input to the writer with typed errors', () => {
    const bad: [unknown, new (...a: never[]) => KdError][] = [
      [{ x: { dtype: 'I8', shape: [1], data: [200] } }, ValidationError],
      [{ x: { dtype: 'U32', shape: [1], data: [1.5] } }, ValidationError],
      [{ x: { dtype: 'I64', shape: [1], data: [2n ** 63n] } }, ValidationError],
      [{ x: { dtype: 'U64', shape: [1], data: [-1] } }, ValidationError],
      [{ x: { dtype: 'F32', shape: [2], data: new Float32Array(3) } }, ShapeError],
      [{ x: { dtype: 'F32', shape: [-1], data: [] } }, ShapeError],
      [{ x: { dtype: 'F4', shape: [3], data: new Uint8Array(2) } }, ShapeError],
      [{ x: { dtype: 'F128', shape: [1], data: [1] } }, DTypeError],
      [{ x: { dtype: 'F32', shape: [1], data: [1n] } }, DTypeError],
      [{ __metadata__: { dtype: 'F32', shape: [0], data: [] } }, ValidationError],
      [{ '\ud800': { dtype: 'F32', shape: [0], data: [] } }, ValidationError],
      [{ x: { dtype: 'F32', shape: [1], data: 'abc' } }, ValidationError],
    ];
    for (const [tensors, type] of bad) {
      expect(
        () => encodeSafetensors(tensors as never),
        JSON.stringify(tensors, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
      ).toThrow(type);
    }
    expect(() => encodeSafetensors({}, { a: 1 } as never)).toThrow(ValidationError);
  });

  it('is deterministic: key order of the input does not matter', () => {
    const a = { dtype: 'F32' as const, shape: [1], data: new Float32Array([1]) };
    const b = { dtype: 'I32' as const, shape: [1], data: new Int32Array([2]) };
    const one = encodeSafetensors({ a, b, '\u{1F600}': a, '\uFFFD': a }, { y: '1', x: '2' });
    const two = encodeSafetensors({ '\uFFFD': a, b, '\u{1F600}': a, a }, { x: '2', y: '1' });
    expect(sha256(one)).toBe(sha256(two));
    // Code-point order (Rust's, UTF-8 bytes): U+FFFD sorts before U+1F600.
    expect(Object.keys(readSafetensorsHeader(one).entries)).toEqual([
      'a',
      '\uFFFD',
      '\u{1F600}',
      'b',
    ]);
  });
});
