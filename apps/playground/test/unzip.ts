// Reads a zip archive of stored (uncompressed) entries through its central
// directory, as unzip does, checking each entry's CRC-32 against zlib's (the
// gzip trailer carries it), so the writer is checked against an independent CRC.
import { gzipSync } from 'node:zlib';

export interface UnzippedEntry {
  name: string;
  data: Uint8Array;
  crc: number;
  method: number;
}

export function zlibCrc32(data: Uint8Array): number {
  const gz = gzipSync(data);
  return new DataView(gz.buffer, gz.byteOffset + gz.length - 8, 4).getUint32(0, true);
}

export function unzip(bytes: Uint8Array): UnzippedEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - 22;
  if (view.getUint32(end, true) !== 0x06054b50)
    throw new Error('no end-of-central-directory record');
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const out: UnzippedEntry[] = [];
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error(`bad central header ${i}`);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const size = view.getUint32(at + 20, true);
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLen));
    if (view.getUint32(local, true) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const data = bytes.subarray(start, start + size);
    if (zlibCrc32(data) !== crc) throw new Error(`CRC mismatch for ${name}`);
    out.push({ name, data, crc, method });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
