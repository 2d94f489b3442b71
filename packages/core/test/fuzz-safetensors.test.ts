import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  KdError,
  Rng,
  readSafetensorsHeader,
  SAFETENSORS_DTYPES,
  SafetensorsFormatError,
} from '../src/index.js';
import { SafetensorsFileReader } from '../src/node/index.js';
import { fixture } from './safetensors-helpers.js';

/**
 * Seeded mutation fuzzing: every mutated file must end in a typed KdError or
 * a correct read — never another exception, a hang or an allocation the
 * file's length does not justify.
 */

const MUTATIONS = 10_000;
const FILE_CHECKS = 300;

const generated = encodeSafetensors(
  {
    'a.weight': { dtype: 'F32', shape: [3, 2], data: [1, -2, 3.5, 0, Number.NaN, -0] },
    'a.bias': { dtype: 'BF16', shape: [2], data: [0.5, -1] },
    'b.ids': { dtype: 'I64', shape: [3], data: new BigInt64Array([1n, -1n, 2n ** 40n]) },
    'b.mask': { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
    'c.h': { dtype: 'F16', shape: [1, 2], data: [65504, 2 ** -24] },
    'c.q': { dtype: 'F8_E4M3', shape: [2], data: [448, -1] },
    'c.u': { dtype: 'U16', shape: [], data: [7] },
    'c.empty': { dtype: 'I32', shape: [0, 4], data: [] },
  },
  { format: 'pt' },
);

const corpus: Uint8Array[] = [
  generated,
  fixture('valid_dtypes_scalar_empty.safetensors'),
  fixture('valid_unicode_names.safetensors'),
  fixture('valid_unsorted_json_no_metadata_no_pad.safetensors'),
  fixture('valid_leading_whitespace_header.safetensors'),
  fixture('adapter_model.safetensors'),
  fixture('base_model.f16.safetensors'),
];

const enc = new TextEncoder();
const dec = new TextDecoder();

function headerLen(b: Uint8Array): number {
  return b.length >= 8 ? Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)) : 0;
}

/** A file with a new header text (length rewritten) and the old data section. */
function withHeader(b: Uint8Array, text: string, pad: boolean): Uint8Array {
  const n = headerLen(b);
  const data = b.subarray(8 + n);
  let json = enc.encode(text);
  if (pad && json.length % 8) {
    const p = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const NUMBERS = [
  '0',
  '1',
  '-1',
  '4',
  '8',
  '-0',
  '4.0',
  '1e0',
  '1E2',
  '0.5',
  '18446744073709551615',
  '18446744073709551616',
  '9007199254740993',
  '4294967296',
  '4611686018427387904',
  '99999999999999999999999',
  '00',
  '01',
  '-',
  '1.',
  '.5',
];
const ALPHABET = '{}[]":, \t\n0123456789-+.eE\\/ubfnrtFIUBOL_';

type Mutation = (b: Uint8Array, rng: Rng) => Uint8Array;

const mutations: Record<string, Mutation> = {
  flipBits(b, rng) {
    const out = b.slice();
    for (let k = 1 + rng.int(4); k > 0 && out.length; k--)
      out[rng.int(out.length)] ^= 1 << rng.int(8);
    return out;
  },
  headerBytes(b, rng) {
    const out = b.slice();
    const n = Math.min(headerLen(b), out.length - 8);
    for (let k = 1 + rng.int(3); k > 0 && n > 0; k--) {
      const at = 8 + rng.int(n);
      out[at] = rng.uniform() < 0.6 ? ALPHABET.charCodeAt(rng.int(ALPHABET.length)) : rng.int(256);
    }
    return out;
  },
  dataBytes(b, rng) {
    const out = b.slice();
    const start = 8 + headerLen(b);
    for (let k = 1 + rng.int(8); k > 0 && out.length > start; k--)
      out[start + rng.int(out.length - start)] = rng.int(256);
    return out;
  },
  truncate(b, rng) {
    return b.slice(0, rng.int(b.length + 1));
  },
  extend(b, rng) {
    const extra = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
    const out = new Uint8Array(b.length + extra.length);
    out.set(b);
    out.set(extra, b.length);
    return out;
  },
  headerLength(b, rng) {
    const out = b.slice();
    const n = headerLen(b);
    const choices = [
      () => BigInt(rng.nextUint32()),
      () => (BigInt(rng.nextUint32()) << 32n) | BigInt(rng.nextUint32()),
      () => BigInt(Math.max(0, n + rng.int(17) - 8)),
      () => BigInt(b.length - 8),
      () => BigInt(b.length),
      () => 2n ** 64n - 1n,
      () => 100_000_000n,
      () => 100_000_001n,
      () => 0n,
      () => 2n ** 53n + 1n,
    ];
    if (out.length >= 8)
      new DataView(out.buffer).setBigUint64(0, choices[rng.int(choices.length)](), true);
    return out;
  },
  numberEdit(b, rng) {
    const n = headerLen(b);
    const text = dec.decode(b.subarray(8, 8 + n));
    const runs = [...text.matchAll(/-?\d+/g)];
    if (runs.length === 0) return b;
    const m = runs[rng.int(runs.length)];
    const v = Number(m[0]);
    const pick = [
      NUMBERS[rng.int(NUMBERS.length)],
      String(v + 1),
      String(Math.max(0, v - 1)),
      String(v + 8),
      String(v * 2),
      String(rng.int(1 << 20)),
    ];
    const next =
      text.slice(0, m.index) + pick[rng.int(pick.length)] + text.slice(m.index! + m[0].length);
    return withHeader(b, next, rng.uniform() < 0.5);
  },
  structural(b, rng) {
    const n = headerLen(b);
    const header = JSON.parse(dec.decode(b.subarray(8, 8 + n))) as Record<
      string,
      Record<string, unknown>
    >;
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    if (names.length === 0) return b;
    const t = header[names[rng.int(names.length)]];
    const u = header[names[rng.int(names.length)]];
    const offsets = t.data_offsets as number[];
    switch (rng.int(9)) {
      case 0:
        [t.data_offsets, u.data_offsets] = [u.data_offsets, t.data_offsets];
        break;
      case 1:
        offsets[rng.int(2)] += rng.int(17) - 8;
        break;
      case 2:
        t.dtype =
          rng.uniform() < 0.8 ? SAFETENSORS_DTYPES[rng.int(SAFETENSORS_DTYPES.length)] : 'F128';
        break;
      case 3:
        t.shape = Array.from({ length: rng.int(4) }, () => rng.int(6));
        break;
      case 4:
        delete t[['dtype', 'shape', 'data_offsets'][rng.int(3)]];
        break;
      case 5:
        (t.shape as number[]).push(rng.uniform() < 0.5 ? 0 : 2 ** 40);
        break;
      case 6:
        header.__metadata__ =
          rng.uniform() < 0.5 ? { format: 1 as unknown as string } : (null as never);
        break;
      case 7:
        t.data_offsets = [offsets[0], offsets[1], offsets[1]];
        break;
      default: {
        // A duplicate key, written by hand (JSON.stringify cannot).
        const text = JSON.stringify(header);
        const dup = `,${JSON.stringify(names[0])}:${JSON.stringify(header[names[0]])}}`;
        return withHeader(b, text.slice(0, -1) + dup, true);
      }
    }
    return withHeader(b, JSON.stringify(header), rng.uniform() < 0.7);
  },
  splice(b, rng) {
    const other = corpus[rng.int(corpus.length)];
    const len = 1 + rng.int(Math.min(64, other.length));
    const from = rng.int(other.length - len + 1);
    const out = b.slice();
    if (out.length === 0) return out;
    out.set(
      other.subarray(from, from + Math.min(len, out.length)),
      rng.int(out.length - Math.min(len, out.length) + 1),
    );
    return out;
  },
};

/**
 * An independent validity check (JSON.parse-based) for the accept
 * direction: whatever the strict reader accepts must satisfy these rules.
 */
function plainRulesHold(b: Uint8Array): boolean {
  const n = headerLen(b);
  if (b.length < 8 || n > 100_000_000 || 8 + n > b.length) return false;
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b.subarray(8, 8 + n)),
    );
  } catch {
    return false;
  }
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return false;
  const bytes: Record<string, number> = {
    BOOL: 8,
    U8: 8,
    I8: 8,
    I16: 16,
    U16: 16,
    F16: 16,
    BF16: 16,
    I32: 32,
    U32: 32,
    F32: 32,
    F64: 64,
    I64: 64,
    U64: 64,
    C64: 64,
    F4: 4,
    F6_E2M3: 6,
    F6_E3M2: 6,
    F8_E5M2: 8,
    F8_E4M3: 8,
    F8_E8M0: 8,
    F8_E4M3FNUZ: 8,
    F8_E5M2FNUZ: 8,
  };
  const spans: [number, number, number][] = [];
  for (const [k, v] of Object.entries(h)) {
    if (k === '__metadata__') {
      if (v === null) continue;
      if (
        typeof v !== 'object' ||
        Array.isArray(v) ||
        !Object.values(v as object).every((x) => typeof x === 'string')
      )
        return false;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
    if (typeof e.dtype !== 'string' || !Object.hasOwn(bytes, e.dtype)) return false;
    const ok = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
    if (!Array.isArray(e.shape) || !e.shape.every(ok)) return false;
    if (!Array.isArray(e.data_offsets) || e.data_offsets.length !== 2 || !e.data_offsets.every(ok))
      return false;
    const bits = (e.shape as number[]).reduce((a, d) => a * d, 1) * bytes[e.dtype];
    spans.push([e.data_offsets[0], e.data_offsets[1], bits]);
  }
  spans.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let at = 0;
  for (const [s, e, bits] of spans) {
    if (s !== at || e < s || bits % 8 !== 0 || e - s !== bits / 8) return false;
    at = e;
  }
  return 8 + n + at === b.length;
}

function checkCorrectRead(b: Uint8Array, int64: 'int32' | 'bigint', keepHalf: boolean): void {
  decodeSafetensors(b, { where: 'fuzz', int64, keepHalf });
  expect(plainRulesHold(b)).toBe(true);
  const header = readSafetensorsHeader(b);
  const raw = decodeSafetensors(b, { raw: true });
  let covered = 0;
  for (const [name, e] of Object.entries(header.entries)) {
    const want = b.subarray(header.dataOffset + e.offsets[0], header.dataOffset + e.offsets[1]);
    expect(Buffer.from(raw.tensors[name].data as Uint8Array).equals(Buffer.from(want))).toBe(true);
    covered += want.length;
  }
  expect(header.dataOffset + covered).toBe(b.length);
  // What was read writes back and reads again to the same bytes per tensor.
  const again = decodeSafetensors(encodeSafetensors(raw.tensors, raw.metadata), { raw: true });
  expect(Object.keys(again.tensors).sort()).toEqual(Object.keys(raw.tensors).sort());
  for (const [name, t] of Object.entries(raw.tensors)) {
    // The writer stores BOOL as 0/1 whatever nonzero byte it was given.
    const want =
      t.dtype === 'BOOL' ? (t.data as Uint8Array).map((v) => (v ? 1 : 0)) : (t.data as Uint8Array);
    expect(Buffer.from(again.tensors[name].data as Uint8Array).equals(Buffer.from(want))).toBe(
      true,
    );
  }
}

const dir = mkdtempSync(join(tmpdir(), 'kd-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('safetensors fuzzing', () => {
  it(`${MUTATIONS} seeded mutations end in a KdError or a correct read`, async () => {
    const rng = new Rng('safetensors-fuzz');
    const names = Object.keys(mutations);
    const outcomes: Record<string, number> = {};
    const tally = (k: string) => {
      outcomes[k] = (outcomes[k] ?? 0) + 1;
    };
    const forFiles: { bytes: Uint8Array; outcome: string }[] = [];
    for (let i = 0; i < MUTATIONS; i++) {
      let bytes = corpus[rng.int(corpus.length)];
      const applied: string[] = [];
      // One to three stacked mutations.
      for (let k = 1 + rng.int(3); k > 0; k--) {
        const name = names[rng.int(names.length)];
        applied.push(name);
        try {
          bytes = mutations[name](bytes, rng);
        } catch {
          // A structural edit needs a parseable header; skip when there is none.
        }
      }
      const int64 = rng.uniform() < 0.5 ? 'int32' : 'bigint';
      const keepHalf = rng.uniform() < 0.3;
      let outcome: string;
      try {
        checkCorrectRead(bytes, int64, keepHalf);
        outcome = 'read';
      } catch (error) {
        if (!(error instanceof KdError)) {
          throw new Error(`mutation ${i} (${applied.join(' + ')}) threw ${String(error)}`, {
            cause: error,
          });
        }
        outcome = error instanceof SafetensorsFormatError ? error.reason : error.name;
      }
      tally(outcome);
      if (forFiles.length < FILE_CHECKS && rng.uniform() < 0.05) forFiles.push({ bytes, outcome });
    }
    // Every kind of outcome shows up, so the mutations reach every rule.
    for (const r of [
      'read',
      'HeaderTooSmall',
      'HeaderTooLarge',
      'InvalidHeaderLength',
      'InvalidHeader',
      'InvalidHeaderDeserialization',
      'InvalidOffset',
      'TensorInvalidInfo',
      'MetadataIncompleteBuffer',
      'ValidationOverflow',
      'DTypeError',
    ]) {
      expect(outcomes[r] ?? 0, `${r} in ${JSON.stringify(outcomes)}`).toBeGreaterThan(0);
    }
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(MUTATIONS);

    // The lazy file reader reaches the same verdicts from disk.
    for (const [k, { bytes, outcome }] of forFiles.entries()) {
      const path = join(dir, `m${k}.safetensors`);
      writeFileSync(path, bytes);
      let got: string;
      try {
        const reader = await SafetensorsFileReader.open(path);
        try {
          await reader.readAll({ raw: true });
        } finally {
          await reader.close();
        }
        got = 'read';
      } catch (error) {
        if (!(error instanceof KdError)) throw error;
        got = error instanceof SafetensorsFormatError ? error.reason : error.name;
      }
      // A raw read cannot fail on values (int64 range), only on structure.
      expect(got, `file ${k}`).toBe(outcome === 'DTypeError' ? 'read' : outcome);
    }
  });
});
