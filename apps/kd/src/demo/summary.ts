import { formatCell, isMeanStd } from '@kd/core';
import { renderTable } from '../output.js';
import type { ReportDocument } from '../report/html.js';

function show(v: unknown): string {
  if (typeof v === 'number' || isMeanStd(v)) return formatCell(v, 'float', 4);
  return v === undefined ? '—' : String(v);
}

/**
 * One table per system: each headline number kd measured, beside the
 * published number it is measured against (with the citation and the
 * published setting, which is usually a larger model or dataset).
 */
export function renderSummary(doc: ReportDocument): string {
  const parts: string[] = [];
  for (const section of doc.sections) {
    const rows: string[][] = [];
    for (const r of section.results) {
      const cited = new Set<string>();
      for (const p of r.published ?? []) {
        if (p.kdKey) cited.add(p.kdKey);
        rows.push([
          r.task,
          p.metric,
          show(p.kdKey ? r.summary[p.kdKey] : undefined),
          show(p.value),
          `${p.source}${p.setting ? `; ${p.setting}` : ''}`,
        ]);
      }
      for (const [key, value] of Object.entries(r.summary)) {
        if (!cited.has(key)) rows.push([r.task, key, show(value), '', '']);
      }
    }
    if (rows.length) {
      parts.push(
        `${section.title}\n${renderTable(['task', 'metric', 'kd', 'published', 'source'], rows, [false, false, true, true, false])}`,
      );
    }
  }
  return parts.join('\n\n');
}
