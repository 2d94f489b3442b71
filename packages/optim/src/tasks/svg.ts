import type { ResultPlot } from '@kd/core';

/**
 * A self-contained SVG line chart of a result plot, so a run leaves a plot
 * on disk without a browser (`kd report` renders the same data as HTML).
 */
const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#393b79',
  '#637939',
];

function esc(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c,
  );
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1);
  return Number(v.toPrecision(3)).toString();
}

export function lineChartSvg(plot: ResultPlot, width = 720, height = 420): string {
  const left = 60;
  const right = 170;
  const top = 36;
  const bottom = 48;
  const pts = plot.lines
    .flatMap((l) => l.x.map((x, i) => [x, l.y[i]] as const))
    .filter(([, y]) => Number.isFinite(y));
  const xs = pts.map(([x]) => x);
  const ys = pts.map(([, y]) => y);
  const [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (y0 === y1) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const w = width - left - right;
  const h = height - top - bottom;
  const sx = (x: number) => left + (x1 === x0 ? w / 2 : ((x - x0) / (x1 - x0)) * w);
  const sy = (y: number) => top + h - ((y - y0) / (y1 - y0)) * h;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(plot.title)}</text>`,
    `<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const yv = y0 + ((y1 - y0) * k) / 4;
    const xv = x0 + ((x1 - x0) * k) / 4;
    out.push(
      `<line x1="${left}" x2="${left + w}" y1="${sy(yv)}" y2="${sy(yv)}" stroke="#eee"/>`,
      `<text x="${left - 6}" y="${sy(yv) + 4}" text-anchor="end">${fmt(yv)}</text>`,
      `<text x="${sx(xv)}" y="${top + h + 16}" text-anchor="middle">${fmt(xv)}</text>`,
    );
  }
  out.push(
    `<text x="${left + w / 2}" y="${height - 10}" text-anchor="middle">${esc(plot.xLabel)}</text>`,
    `<text x="14" y="${top + h / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + h / 2})">${esc(plot.yLabel)}</text>`,
  );
  plot.lines.forEach((line, i) => {
    const color = COLORS[i % COLORS.length];
    const d = line.x
      .map((x, j) => [x, line.y[j]] as const)
      .filter(([, y]) => Number.isFinite(y))
      .map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join(' ');
    if (d) out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"/>`);
    const ly = top + 10 + i * 16;
    out.push(
      `<line x1="${left + w + 12}" x2="${left + w + 30}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${left + w + 36}" y="${ly + 4}">${esc(line.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
