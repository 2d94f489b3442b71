import { ValidationError } from '@kd/core';
import { checkNonNegative } from '../validate.js';

export function checkBase(base: number): void {
  checkNonNegative(base, 'schedule base value');
}

export function checkStep(step: number): void {
  if (typeof step !== 'number' || !Number.isFinite(step) || step < 0) {
    throw new ValidationError(`a schedule step must be a finite number >= 0, got ${step}`);
  }
}
