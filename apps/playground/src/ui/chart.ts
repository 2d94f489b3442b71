// A small SVG line/scatter/bar chart that can be redrawn as points arrive (live
// loss curves) and renders a task's ResultPlot. No dependencies.
import type { ResultPlot } from '@kd/core';

export const PALETTE = [
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
const H = 280;
const M = { top: 12, right: 16, bottom: 42, left: 60 };
const SVG = 'http://www.w3.org/2000/svg';

/** "Nice" tick values covering [lo, hi] (Heckbert). */
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
    const steps = round ? [1.5, 3, 7] : [1, 2, 5];
    const nf = round
      ? f < steps[0]
        ? 1
        : f < steps[1]
          ? 2
          : f < steps[2]
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
  for (let v = Math.floor(lo / step) * step; v <= Math.ceil(hi / step) * step + step / 2; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

function label(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

interface Scale {
  (v: number): number;
  ticks: number[];
}

function scale(values: number[], from: number, to: number, log = false): Scale {
  const t = (v: number) => (log ? Math.log10(v) : v);
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0)).map(t);
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
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

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Renders `plot` into `host` (replacing what was there): a figure with a
 * caption, an SVG and a legend. Each series is a `path` (or circles/rects)
 * with `data-series` set to its name, so tests can find them.
 */
export function renderPlot(host: HTMLElement, plot: ResultPlot): void {
  const figure = document.createElement('figure');
  figure.className = 'chart';
  figure.dataset.plot = plot.id;
  const caption = document.createElement('figcaption');
  caption.textContent = plot.title;
  figure.append(caption);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': plot.title });
  const bar = plot.kind === 'bar';
  const xsAll = plot.lines.flatMap((l) => l.x);
  const groups = bar ? [...new Set(xsAll)].sort((a, b) => a - b) : [];
  const x = bar
    ? scale([(groups[0] ?? 0) - 0.5, (groups[groups.length - 1] ?? 0) + 0.5], M.left, W - M.right)
    : scale(xsAll, M.left, W - M.right, plot.logX);
  if (bar) x.ticks = groups;
  const y = scale(
    plot.lines.flatMap((l) => l.y).concat(bar ? [0] : []),
    H - M.bottom,
    M.top,
    !bar && plot.logY,
  );
  for (const v of y.ticks) {
    svg.append(
      el('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: 'grid' }),
      el('text', { x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, label(v)),
    );
  }
  for (const v of x.ticks) {
    svg.append(
      el(
        'text',
        { x: x(v), y: H - M.bottom + 16, 'text-anchor': 'middle' },
        plot.categories?.[v] ?? label(v),
      ),
    );
  }
  const band = (W - M.left - M.right) / Math.max(1, groups.length);
  const bw = (band * 0.8) / Math.max(1, plot.lines.length);
  plot.lines.forEach((line, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = line.x
      .map((xv, j) => [xv, line.y[j]] as const)
      .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && (!plot.logY || b > 0));
    if (bar) {
      const g = el('g', { 'data-series': line.name, fill: color });
      for (const [gx, v] of pts) {
        const left = x(gx) - (band * 0.8) / 2 + i * bw;
        g.append(
          el('rect', {
            x: left.toFixed(1),
            y: Math.min(y(v), y(0)).toFixed(1),
            width: Math.max(1, bw - 1).toFixed(1),
            height: Math.abs(y(v) - y(0)).toFixed(1),
          }),
        );
      }
      svg.append(g);
    } else if (plot.kind === 'scatter') {
      const g = el('g', { 'data-series': line.name, fill: color });
      for (const [a, b] of pts) {
        const dot = el('circle', { cx: x(a).toFixed(1), cy: y(b).toFixed(1), r: 4 });
        dot.append(el('title', {}, `${line.name}: (${label(a)}, ${label(b)})`));
        g.append(dot);
      }
      svg.append(g);
    } else {
      const d = pts
        .map(([a, b], j) => `${j ? 'L' : 'M'}${x(a).toFixed(1)} ${y(b).toFixed(1)}`)
        .join('');
      const path = el('path', {
        d,
        stroke: color,
        fill: 'none',
        'stroke-width': 2,
        'data-series': line.name,
        'data-points': pts.length,
      });
      path.append(el('title', {}, line.name));
      svg.append(path);
    }
  });
  svg.append(
    el(
      'text',
      { x: (M.left + W - M.right) / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis-label' },
      plot.xLabel,
    ),
    el(
      'text',
      {
        transform: `translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)`,
        'text-anchor': 'middle',
        class: 'axis-label',
      },
      plot.yLabel,
    ),
  );
  figure.append(svg);
  const legend = document.createElement('div');
  legend.className = 'legend';
  plot.lines.forEach((line, i) => {
    const key = document.createElement('span');
    key.className = 'key';
    const swatch = document.createElement('i');
    swatch.style.background = PALETTE[i % PALETTE.length];
    key.append(swatch, line.name);
    legend.append(key);
  });
  figure.append(legend);
  host.replaceChildren(figure);
}

/**
 * A chart fed point by point (one series per progress stage). Redraws at most
 * once per animation frame however fast points arrive.
 */
export class LiveChart {
  readonly #host: HTMLElement;
  readonly #plot: ResultPlot;
  #scheduled = false;

  constructor(host: HTMLElement, plot: Omit<ResultPlot, 'lines'>) {
    this.#host = host;
    this.#plot = { ...plot, lines: [] };
    this.#draw();
  }

  add(series: string, x: number, y: number): void {
    let line = this.#plot.lines.find((l) => l.name === series);
    if (!line) {
      line = { name: series, x: [], y: [] };
      this.#plot.lines.push(line);
    }
    line.x.push(x);
    line.y.push(y);
    if (!this.#scheduled) {
      this.#scheduled = true;
      requestAnimationFrame(() => {
        this.#scheduled = false;
        this.#draw();
      });
    }
  }

  get points(): number {
    return this.#plot.lines.reduce((s, l) => s + l.x.length, 0);
  }

  #draw(): void {
    renderPlot(this.#host, this.#plot);
  }
}
