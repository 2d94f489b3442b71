import { expect } from 'vitest';

/** Elementwise |a − b| ≤ atol + rtol·|b|, reporting the worst entry. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol = 1e-5, rtol = 1e-4, label = 'value' } = {},
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let k = 0; k < expected.length; k++) {
    const excess = Math.abs(actual[k] - expected[k]) - (atol + rtol * Math.abs(expected[k]));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = k;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${label}[${worst}]: got ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`,
    );
  }
}
