import { type Cell, isMeanStd, type TableColumn } from './results.js';

/** Bytes in binary units with one decimal (`3.0 MiB`), as tables show them. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export interface FormatCellOptions {
  /** Write `%` after percentages (`81.3 %`); without it the column label says so. */
  percentSign?: boolean;
}

/**
 * A result-table cell as text, by its column's `format` and `digits`: mean ±
 * std over seeds (a single seed has no spread to show), `pct` times 100,
 * `int` with thousands separators, `bytes` in binary units, `ms`; missing
 * values as `—`. The one formatter of the CLI, its report and the
 * playground, so a number reads the same everywhere.
 */
export function formatCell(
  value: Cell | undefined,
  format?: TableColumn['format'],
  digits?: number,
  options: FormatCellOptions = {},
): string {
  if (value === null || value === undefined) return '—';
  if (isMeanStd(value)) {
    const mean = formatCell(value.mean, format, digits, options);
    return value.n > 1 ? `${mean} ± ${formatCell(value.std, format, digits, options)}` : mean;
  }
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
    switch (format) {
      case 'pct': {
        const pct = (value * 100).toFixed(digits ?? 2);
        return options.percentSign ? `${pct} %` : pct;
      }
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
