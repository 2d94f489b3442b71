import { ValidationError } from '@kd/core';
import type { Schedule } from '../types.js';
import { checkStep } from './check.js';

/**
 * Runs `schedules[i]` from `boundaries[i − 1]` on, each restarted at 0
 * (optax `join_schedules`, torch `SequentialLR`): compose warmup-then-anything.
 */
export function joinSchedules(
  schedules: readonly Schedule[],
  boundaries: readonly number[],
): Schedule {
  if (schedules.length !== boundaries.length + 1) {
    throw new ValidationError(
      `joinSchedules needs one boundary fewer than schedules, got ${schedules.length} schedules and ${boundaries.length} boundaries`,
    );
  }
  for (let i = 0; i < boundaries.length; i++) {
    const b = boundaries[i];
    if (!Number.isInteger(b) || b < 0 || (i > 0 && b <= boundaries[i - 1])) {
      throw new ValidationError(
        `boundaries must be increasing integers >= 0, got [${boundaries.join(', ')}]`,
      );
    }
  }
  return (step) => {
    checkStep(step);
    let i = 0;
    while (i < boundaries.length && step >= boundaries[i]) i++;
    return schedules[i](i === 0 ? step : step - boundaries[i - 1]);
  };
}
