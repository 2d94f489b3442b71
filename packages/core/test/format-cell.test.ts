import { describe, expect, it } from 'vitest';
import { formatBytes, formatCell } from '../src/index.js';

describe('formatCell', () => {
  it('formats each column format, with and without the percent sign', () => {
    expect(formatCell(0.8134, 'pct', 1)).toBe('81.3');
    expect(formatCell(0.8134, 'pct', 1, { percentSign: true })).toBe('81.3 %');
    expect(formatCell(0.8134, 'pct')).toBe('81.34');
    expect(formatCell(12345.6, 'int')).toBe('12,346');
    expect(formatCell(1.23456, 'float', 2)).toBe('1.23');
    expect(formatCell(1.23456)).toBe('1.2346');
    expect(formatCell(7)).toBe('7');
    expect(formatCell(12.34, 'ms')).toBe('12.3 ms');
    expect(formatCell(3 * 1024 * 1024, 'bytes')).toBe('3.0 MiB');
    expect(formatCell('adamw', 'text')).toBe('adamw');
    expect(formatCell(true)).toBe('true');
  });

  it('shows a spread only over several seeds', () => {
    expect(formatCell({ mean: 0.8, std: 0.01, n: 3 }, 'pct', 1)).toBe('80.0 ± 1.0');
    expect(formatCell({ mean: 0.8, std: 0.01, n: 3 }, 'pct', 1, { percentSign: true })).toBe(
      '80.0 % ± 1.0 %',
    );
    expect(formatCell({ mean: 0.8, std: 0, n: 1 }, 'pct', 1)).toBe('80.0');
  });

  it('writes missing and non-finite values as symbols', () => {
    expect(formatCell(null)).toBe('—');
    expect(formatCell(undefined)).toBe('—');
    expect(formatCell(Number.NaN)).toBe('NaN');
    expect(formatCell(Number.POSITIVE_INFINITY, 'float', 2)).toBe('∞');
    expect(formatCell(Number.NEGATIVE_INFINITY)).toBe('−∞');
  });

  it('formatBytes steps through binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });
});
