import { FormatError } from '@kd/core';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `count` little-endian float32 values at `offset` (copied, so any alignment works). */
export function readFloat32(
  bytes: Uint8Array,
  offset: number,
  count: number,
  where: string,
): Float32Array {
  const end = offset + count * 4;
  if (end > bytes.length) {
    throw new FormatError(
      `needs ${count} float32 values at byte ${offset}, but the data ends at byte ${bytes.length}`,
      { where },
    );
  }
  if (LITTLE_ENDIAN) return new Float32Array(bytes.slice(offset, end).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Appends float32 values little-endian into `out` at `offset`; returns the new offset. */
export function writeFloat32(out: Uint8Array, offset: number, values: Float32Array): number {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
  } else {
    const view = new DataView(out.buffer, out.byteOffset + offset, values.length * 4);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  }
  return offset + values.length * 4;
}
