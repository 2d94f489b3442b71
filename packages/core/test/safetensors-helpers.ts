import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('./fixtures/safetensors/', import.meta.url));

export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  count: number;
  sha256Values: string;
  sha256Bits?: string;
  values?: (number | string | boolean)[];
  values_str?: string[];
  bits_hex?: string[];
  bits?: number[];
}

export interface ExpectedCase {
  file: string;
  kind: 'valid' | 'corrupt';
  size: number;
  sha256: string;
  category?: string;
  rust_error?: string;
  description?: string;
  note?: string;
  headerLen?: number;
  metadata?: Record<string, string> | null;
  header?: Record<string, unknown>;
  tensors?: Record<string, ExpectedTensor>;
}

export const expected = JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8')) as {
  cases: ExpectedCase[];
};

export function fixture(file: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURES + file));
}

export function sha256(bytes: ArrayBufferView): string {
  return createHash('sha256')
    .update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    .digest('hex');
}

/**
 * A safetensors file from a raw header text (not padded unless asked) and
 * data bytes: the way to write corrupt cases by hand.
 */
export function rawFile(header: string, data: ArrayLike<number> = [], pad = false): Uint8Array {
  let json = new TextEncoder().encode(header);
  if (pad && json.length % 8 !== 0) {
    const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
