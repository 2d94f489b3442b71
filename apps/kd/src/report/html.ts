import { formatCell, isMeanStd, type MeanStd, type Provenance, type TaskResult } from '@kd/core';
import { chart, escapeXml as esc } from './svg.js';

/** What `kd demo` writes to results.json: one section per research system. */
export interface ReportDocument {
  title: string;
  generatedAt: string;
  sections: { system: string; title: string; results: TaskResult[] }[];
}

/** `kd run` writes a single TaskResult; `kd demo` a ReportDocument. */
export function asReportDocument(json: unknown): ReportDocument {
  const doc = json as Partial<ReportDocument> & Partial<TaskResult>;
  if (Array.isArray(doc.sections)) return doc as ReportDocument;
  if (typeof doc.task === 'string' && Array.isArray(doc.tables)) {
    const r = doc as TaskResult;
    return {
      title: r.title,
      generatedAt: r.provenance?.startedAt ?? new Date().toISOString(),
      sections: [{ system: r.task, title: r.title, results: [r] }],
    };
  }
  throw new Error(
    'not a kd results.json: expected { sections: [...] } or a task result { task, tables, ... }',
  );
}

function provenanceLine(p?: Provenance): string {
  if (!p) return '';
  const versions = Object.entries(p.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const recipe = p.recipePath ? p.recipePath.split('/').slice(-2).join('/') : '(inline)';
  return `<p class="prov">recipe <code>${esc(recipe)}</code> · seed ${p.seed} · profile ${esc(p.profile)} · backend ${esc(p.backend)} (SIMD ${p.simd ? 'on' : 'off'}, ${p.threads} thread${p.threads === 1 ? '' : 's'}) · ${p.machine.cpus} × ${esc(p.machine.cpuModel ?? p.machine.arch)} · Node ${esc(p.machine.node ?? '')} · ${p.wallSeconds.toFixed(1)} s · ${esc(versions)}</p>`;
}

function summaryValue(v: number | string | MeanStd): string {
  return typeof v === 'number' || isMeanStd(v) ? formatCell(v, undefined, 4) : esc(v);
}

function renderResult(r: TaskResult): string {
  const tables = r.tables
    .map((t) => {
      const head = t.columns.map((c) => `<th>${esc(c.label)}</th>`).join('');
      const rows = t.rows
        .map(
          (row) =>
            `<tr>${t.columns
              .map((c) => {
                const v = row[c.key] ?? null;
                const numeric = typeof v === 'number' || isMeanStd(v);
                return `<td${numeric ? ' class="num"' : ''}>${esc(formatCell(v, c.format, c.digits))}</td>`;
              })
              .join('')}</tr>`,
        )
        .join('');
      const notes = (t.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join('');
      return `<table><caption>${esc(t.title)}</caption><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>${notes ? `<ul class="notes">${notes}</ul>` : ''}`;
    })
    .join('');
  const published = (r.published ?? []).length
    ? `<table class="published"><caption>Published numbers for comparison</caption><thead><tr><th>metric</th><th>published</th><th>kd</th><th>source</th><th>setting</th></tr></thead><tbody>${r
        .published!.map(
          (p) =>
            `<tr><td>${esc(p.metric)}</td><td class="num">${esc(String(p.value))}</td><td class="num">${p.kdKey && r.summary[p.kdKey] !== undefined ? summaryValue(r.summary[p.kdKey]) : '—'}</td><td>${esc(p.source)}</td><td>${esc(p.setting ?? '')}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  const plots = r.plots.map(chart).join('');
  const notes = (r.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join('');
  return `<article><h3>${esc(r.title)}</h3>${provenanceLine(r.provenance)}${tables}${published}<div class="plots">${plots}</div>${notes ? `<ul class="notes">${notes}</ul>` : ''}</article>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:24px;color:#111}
h1{font-size:24px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:40px}h3{margin-bottom:4px}
nav a{margin-right:14px}table{border-collapse:collapse;margin:12px 0;min-width:50%}caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 10px;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
.prov{color:#555;font-size:12px;margin:0 0 8px}.plots{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;width:560px}
figcaption{font-weight:600;margin-bottom:4px}svg{width:560px;height:300px;font-size:11px;fill:#333}svg .grid{stroke:#eee}
svg .label{font-size:12px}.legend{font-size:12px}.key{margin-right:12px;white-space:nowrap}.key i{display:inline-block;width:10px;height:10px;margin-right:4px}
.notes{color:#444;font-size:13px}table.published{background:#f9fafb}code{font-size:12px}`;

/** A self-contained HTML page: inline CSS and SVG, no scripts, no network. */
export function renderReport(doc: ReportDocument): string {
  const nav = doc.sections.map((s) => `<a href="#${esc(s.system)}">${esc(s.title)}</a>`).join('');
  const sections = doc.sections
    .map(
      (s) =>
        `<section id="${esc(s.system)}"><h2>${esc(s.title)}</h2>${s.results.map(renderResult).join('')}</section>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,"><title>${esc(doc.title)}</title><style>${CSS}</style></head><body><h1>${esc(doc.title)}</h1><p class="prov">generated ${esc(doc.generatedAt)}</p><nav>${nav}</nav>${sections}</body></html>\n`;
}
