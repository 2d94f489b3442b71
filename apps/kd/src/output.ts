import { formatCell, isMeanStd, type ResultTable } from '@kd/core';

/** Writes JSON to stdout (one document, pretty, newline-terminated). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
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
