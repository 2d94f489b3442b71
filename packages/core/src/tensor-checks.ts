import type { Tensor } from '@tensorflow/tfjs-core';
import { NumericError, ShapeError } from './errors.js';

/**
 * Expected shape with `null` for "any size" (`[null, null, 768]`).
 * Throws a ShapeError naming `where`, e.g. `student.hidden[3]: expected
 * shape [*, *, 768], got [8, 64, 256]`.
 */
export function assertShape(
  t: { shape: readonly number[] },
  expected: readonly (number | null)[],
  where: string,
): void {
  const ok =
    t.shape.length === expected.length && expected.every((d, i) => d === null || d === t.shape[i]);
  if (!ok) {
    const exp = `[${expected.map((d) => (d === null ? '*' : d)).join(', ')}]`;
    throw new ShapeError(`expected shape ${exp}, got [${t.shape.join(', ')}]`, { where });
  }
}

/** Both tensors have the same shape. */
export function assertSameShape(
  a: { shape: readonly number[] },
  b: { shape: readonly number[] },
  where: string,
): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`shapes differ: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`, {
      where,
    });
  }
}

/** Throws a NumericError if any value is NaN or infinite (reads the data: not for hot paths). */
export function assertFinite(values: ArrayLike<number> | Tensor, where: string): void {
  const data = 'dataSync' in values ? values.dataSync() : values;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new NumericError(`value ${data[i]} at flat index ${i}; expected finite numbers`, {
        where,
      });
    }
  }
}
