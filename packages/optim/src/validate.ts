import { NumericError, ValidationError } from '@kd/core';
import type { ScalarOrSchedule } from './types.js';

export function checkFinite(value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(`${what} must be a finite number, got ${value}`);
  }
}

export function checkNonNegative(value: number, what: string): void {
  checkFinite(value, what);
  if (value < 0) throw new ValidationError(`${what} must be >= 0, got ${value}`);
}

export function checkPositive(value: number, what: string): void {
  checkFinite(value, what);
  if (value <= 0) throw new ValidationError(`${what} must be > 0, got ${value}`);
}

/** A decay rate in [0, 1). */
export function checkRate(value: number, what: string): void {
  checkFinite(value, what);
  if (value < 0 || value >= 1) throw new ValidationError(`${what} must be in [0, 1), got ${value}`);
}

/** The value of a number or schedule at `step`, which must be finite and non-negative. */
export function scheduleValue(value: ScalarOrSchedule, step: number, what: string): number {
  if (typeof value === 'number') return value;
  const v = value(step);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new NumericError(
      `the ${what} schedule returned ${v} at step ${step}; expected a finite number >= 0`,
      { where: what },
    );
  }
  return v;
}
