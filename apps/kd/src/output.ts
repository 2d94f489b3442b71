import { type Cell, isMeanStd, type ResultTable } from '@kd/core';

/** Writes JSON to stdout (one document, pretty, newline-terminated). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function formatCell(value: Cell, format?: string, digits?: number): string {
  if (value === null || value === undefined) return '—';
  if (isMeanStd(value)) {
    // One seed has no spread to report.
    if (value.n <= 1) return formatCell(value.mean, format, digits);
    return `${formatCell(value.mean, format, digits)} ± ${formatCell(value.std, format, digits)}`;
  }
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    switch (format) {
      case 'pct':
        return (value * 100).toFixed(digits ?? 2);
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

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Plain-text table with aligned columns (numbers right-aligned). */
export function renderTable(
  headers: string[],
  rows: string[][],
  rightAlign: boolean[] = [],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAlign[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderResultTable(table: ResultTable): string {
  const headers = table.columns.map((c) => c.label);
  const rows = table.rows.map((r) =>
    table.columns.map((c) => formatCell(r[c.key] ?? null, c.format, c.digits)),
  );
  const right = table.columns.map(
    (c) =>
      c.format !== 'text' &&
      table.rows.some((r) => typeof r[c.key] === 'number' || isMeanStd(r[c.key])),
  );
  const notes = (table.notes ?? []).map((n) => `  · ${n}`).join('\n');
  return `${table.title}\n${renderTable(headers, rows, right)}${notes ? `\n${notes}` : ''}`;
}
