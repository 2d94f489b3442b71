import type { ResultPlot } from '@kd/core';

/** Inline SVG charts for the report: no scripts, no network, print-friendly. */

const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#4b5563',
  '#db2777',
  '#65a30d',
  '#7c3aed',
];
const W = 560;
const H = 300;
const M = { top: 16, right: 16, bottom: 44, left: 62 };

export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** "Nice" tick values covering [lo, hi] (Heckbert's algorithm). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) {
    const d = Math.abs(lo) || 1;
    lo -= d / 2;
    hi += d / 2;
  }
  const nice = (x: number, round: boolean) => {
    const e = Math.floor(Math.log10(x));
    const f = x / 10 ** e;
    const nf = round
      ? f < 1.5
        ? 1
        : f < 3
          ? 2
          : f < 7
            ? 5
            : 10
      : f <= 1
        ? 1
        : f <= 2
          ? 2
          : f <= 5
            ? 5
            : 10;
    return nf * 10 ** e;
  };
  const step = nice(nice(hi - lo, false) / (count - 1), true);
  const out: number[] = [];
  for (
    let v = Math.floor(lo / step) * step;
    v <= Math.ceil(hi / step) * step + step / 2;
    v += step
  ) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

interface Scale {
  (v: number): number;
  ticks: number[];
}

function scale(values: number[], from: number, to: number, log = false): Scale {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  const t = (v: number) => (log ? Math.log10(v) : v);
  let lo = Math.min(...finite.map(t));
  let hi = Math.max(...finite.map(t));
  if (!finite.length) [lo, hi] = [0, 1];
  const ticks = log
    ? Array.from({ length: Math.floor(hi) - Math.ceil(lo) + 1 }, (_, i) => Math.ceil(lo) + i)
    : niceTicks(lo, hi);
  if (!log && ticks.length) {
    lo = Math.min(lo, ticks[0]);
    hi = Math.max(hi, ticks[ticks.length - 1]);
  }
  if (hi === lo) hi = lo + 1;
  const f = ((v: number) => from + ((t(v) - lo) / (hi - lo)) * (to - from)) as Scale;
  f.ticks = log ? ticks.map((e) => 10 ** e) : ticks;
  return f;
}

function frame(
  title: string,
  xLabel: string,
  yLabel: string,
  x: Scale,
  y: Scale,
  body: string,
  legend: string[],
  categories?: string[],
): string {
  const grid = y.ticks
    .map(
      (v) =>
        `<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`,
    )
    .join('');
  const xt = x.ticks
    .map(
      (v) =>
        `<text x="${x(v)}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeXml(categories?.[v] ?? fmt(v))}</text>`,
    )
    .join('');
  const leg = legend
    .map(
      (name, i) =>
        `<span class="key"><i style="background:${PALETTE[i % PALETTE.length]}"></i>${escapeXml(name)}</span>`,
    )
    .join('');
  return `<figure><figcaption>${escapeXml(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(title)}">${grid}${xt}${body}
<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle" class="label">${escapeXml(xLabel)}</text>
<text transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle" class="label">${escapeXml(yLabel)}</text></svg>
<div class="legend">${leg}</div></figure>`;
}

export function lineChart(plot: ResultPlot): string {
  const xs = plot.lines.flatMap((l) => l.x);
  const ys = plot.lines.flatMap((l) => l.y);
  const x = scale(xs, M.left, W - M.right, plot.logX);
  const y = scale(ys, H - M.bottom, M.top, plot.logY);
  const paths = plot.lines
    .map((l, i) => {
      const pts = l.x
        .map((xv, j) => [xv, l.y[j]] as const)
        .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && (!plot.logY || b > 0));
      const d = pts
        .map(([a, b], j) => `${j ? 'L' : 'M'}${x(a).toFixed(1)} ${y(b).toFixed(1)}`)
        .join('');
      const color = PALETTE[i % PALETTE.length];
      return plot.kind === 'scatter'
        ? pts
            .map(
              ([a, b]) =>
                `<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="4" fill="${color}"><title>${escapeXml(l.name)}: (${fmt(a)}, ${fmt(b)})</title></circle>`,
            )
            .join('')
        : `<path d="${d}" stroke="${color}" fill="none" stroke-width="1.6"><title>${escapeXml(l.name)}</title></path>`;
    })
    .join('');
  return frame(
    plot.title,
    plot.xLabel,
    plot.yLabel,
    x,
    y,
    paths,
    plot.lines.map((l) => l.name),
  );
}

/** Grouped bars: each line is a series, x values index the groups. */
export function barChart(plot: ResultPlot): string {
  const groups = [...new Set(plot.lines.flatMap((l) => l.x))].sort((a, b) => a - b);
  const ys = plot.lines.flatMap((l) => l.y).concat(0);
  const y = scale(ys, H - M.bottom, M.top, false);
  const x = scale([groups[0] - 0.5, groups[groups.length - 1] + 0.5], M.left, W - M.right);
  x.ticks = groups;
  const band = (W - M.left - M.right) / Math.max(1, groups.length);
  const bw = (band * 0.8) / Math.max(1, plot.lines.length);
  const bars = plot.lines
    .map((l, i) =>
      l.x
        .map((g, j) => {
          const v = l.y[j];
          if (!Number.isFinite(v)) return '';
          const cx = x(g) - (band * 0.8) / 2 + i * bw;
          const top = Math.min(y(v), y(0));
          return `<rect x="${cx.toFixed(1)}" y="${top.toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${Math.abs(y(v) - y(0)).toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}"><title>${escapeXml(l.name)}: ${fmt(v)}</title></rect>`;
        })
        .join(''),
    )
    .join('');
  return frame(
    plot.title,
    plot.xLabel,
    plot.yLabel,
    x,
    y,
    bars,
    plot.lines.map((l) => l.name),
    plot.categories,
  );
}

export function chart(plot: ResultPlot): string {
  return plot.kind === 'bar' ? barChart(plot) : lineChart(plot);
}
