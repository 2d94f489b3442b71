// Number formatting for result tables: the CLI's rules (@kd/core's formatCell),
// with the percent sign written out.
import { type Cell, formatCell as coreFormatCell, type TableColumn } from '@kd/core';

export { formatBytes } from '@kd/core';

/** @kd/core's cell formatter with the percent sign written out. */
export function formatCell(
  value: Cell | undefined,
  format?: TableColumn['format'],
  digits?: number,
): string {
  return coreFormatCell(value, format, digits, { percentSign: true });
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
