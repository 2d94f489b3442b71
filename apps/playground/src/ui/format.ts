// Number formatting for result tables: the CLI's rules (digits, mean ± std over
// seeds, bytes, ms), with the percent sign written out.
import { type Cell, isMeanStd, type TableColumn } from '@kd/core';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatCell(
  value: Cell | undefined,
  format?: TableColumn['format'],
  digits?: number,
): string {
  if (value === null || value === undefined) return '—';
  if (isMeanStd(value)) {
    const mean = formatCell(value.mean, format, digits);
    return value.n > 1 ? `${mean} ± ${formatCell(value.std, format, digits)}` : mean;
  }
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
    switch (format) {
      case 'pct':
        return `${(value * 100).toFixed(digits ?? 2)} %`;
      case 'int':
        return Math.round(value).toLocaleString('en-US');
      case 'bytes':
        return formatBytes(value);
      case 'ms':
        return `${value.toFixed(digits ?? 1)} ms`;
      default:
        return Number.isInteger(value) && digits === undefined
          ? String(value)
          : value.toFixed(digits ?? 4);
    }
  }
  return String(value);
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
