import { describeValue, NumericError, ShapeError, ValidationError, zodIssues } from '@kd/core';
import type { z } from 'zod';

/**
 * Validates (and defaults) `options` with a metric's schema. Every pure
 * function and every registry entry goes through here, so an unknown or
 * mistyped option is the same `ValidationError` wherever it is passed.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  where: string,
): z.output<S> {
  const result = schema.safeParse(options ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const issues = zodIssues(result.error, where);
  throw new ValidationError(
    `invalid options for ${where}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    issues,
  );
}

/** Throws unless `value` is an array (or typed array); returns its length. */
export function arrayLength(value: unknown, name: string, where: string): number {
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return (value as ArrayLike<unknown>).length;
  }
  throw new ValidationError(`expected ${name} to be an array, got ${describeValue(value)}`, [], {
    where,
  });
}

/** `predictions` and `references` (or any two parallel inputs) have one entry each per example. */
export function assertSameLength(
  a: unknown,
  aName: string,
  b: unknown,
  bName: string,
  where: string,
): number {
  const na = arrayLength(a, aName, where);
  const nb = arrayLength(b, bName, where);
  if (na !== nb) {
    throw new ShapeError(
      `${aName} and ${bName} must have the same length, got ${na} ${aName} and ${nb} ${bName}`,
      { where },
    );
  }
  return na;
}

/** Throws when a corpus is empty and the metric is undefined on it. */
export function assertNonEmpty(n: number, what: string, where: string): void {
  if (n === 0) {
    throw new ValidationError(`${what} is empty; the metric is undefined on no examples`, [], {
      where,
    });
  }
}

export function assertString(value: unknown, name: string, where: string): string {
  if (typeof value !== 'string') {
    throw new ValidationError(`expected ${name} to be a string, got ${describeValue(value)}`, [], {
      where,
    });
  }
  return value;
}

/** A list of strings (one example's references). */
export function assertStringList(value: unknown, name: string, where: string): readonly string[] {
  if (!Array.isArray(value)) {
    throw new ValidationError(
      `expected ${name} to be a list of strings, got ${describeValue(value)}`,
      [],
      { where },
    );
  }
  for (let i = 0; i < value.length; i++) assertString(value[i], `${name}[${i}]`, where);
  return value as readonly string[];
}

/** Reads a finite number; NaN and ±Infinity are a `NumericError`. */
export function finiteNumber(value: unknown, name: string, where: string): number {
  if (typeof value !== 'number') {
    throw new ValidationError(`expected ${name} to be a number, got ${describeValue(value)}`, [], {
      where,
    });
  }
  if (!Number.isFinite(value)) {
    throw new NumericError(`${name} is ${value}; expected a finite number`, { where });
  }
  return value;
}

/** Copies a numeric array into a Float64Array, rejecting NaN and infinities. */
export function finiteArray(values: unknown, name: string, where: string): Float64Array {
  const n = arrayLength(values, name, where);
  const src = values as ArrayLike<unknown>;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (typeof v !== 'number') {
      throw new ValidationError(
        `expected ${name}[${i}] to be a number, got ${describeValue(v)}`,
        [],
        { where },
      );
    }
    if (!Number.isFinite(v)) {
      throw new NumericError(`${name}[${i}] is ${v}; expected finite numbers`, { where });
    }
    out[i] = v;
  }
  return out;
}

/** Sample weights: finite and non-negative, one per example. */
export function sampleWeights(
  weights: unknown,
  n: number,
  where: string,
): Float64Array | undefined {
  if (weights === undefined || weights === null) return undefined;
  const w = finiteArray(weights, 'sample_weight', where);
  if (w.length !== n) {
    throw new ShapeError(`sample_weight has ${w.length} entries for ${n} examples`, { where });
  }
  for (let i = 0; i < n; i++) {
    if (w[i] < 0) {
      throw new ValidationError(`sample_weight[${i}] is ${w[i]}; weights must be >= 0`, [], {
        where,
      });
    }
  }
  return w;
}
