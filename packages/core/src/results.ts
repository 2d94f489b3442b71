/**
 * The shape every task returns and `kd report` renders. Plain JSON: tables,
 * plots and the published numbers a result is measured against, plus the
 * provenance (recipe, seed, backend, versions, machine) that produced it.
 */

/** Mean ± std over seeds, with the per-seed values kept for re-analysis. */
export interface MeanStd {
  mean: number;
  std: number;
  n: number;
  values?: number[];
}

export type Cell = string | number | boolean | null | MeanStd;

export interface TableColumn {
  key: string;
  label: string;
  /** How to print numbers: `pct` multiplies by 100. */
  format?: 'pct' | 'float' | 'int' | 'text' | 'bytes' | 'ms';
  /** Digits after the decimal point (default 2 for pct, 4 for float). */
  digits?: number;
}

export interface ResultTable {
  id: string;
  title: string;
  columns: TableColumn[];
  rows: Record<string, Cell>[];
  notes?: string[];
}

export interface Line {
  name: string;
  x: number[];
  y: number[];
}

export interface ResultPlot {
  id: string;
  title: string;
  kind: 'line' | 'bar' | 'scatter';
  xLabel: string;
  yLabel: string;
  lines: Line[];
  /** Names for x = 0, 1, 2 … (bar charts of categories: optimisers, arms). */
  categories?: string[];
  logX?: boolean;
  logY?: boolean;
}

/** A number from the literature the result is compared with. */
export interface PublishedNumber {
  /** What was measured, e.g. "Cora test accuracy (GCN)". */
  metric: string;
  /** In the same unit as `summary[kdKey]` (fractions for accuracy/F1, as kd reports them). */
  value: number | string;
  /** Short citation: authors, venue, year (and table). */
  source: string;
  /** The published setting when it differs from kd's (model size, data). */
  setting?: string;
  /** The key of kd's own number in `summary` to put beside it. */
  kdKey?: string;
}

export interface Provenance {
  recipe: unknown;
  recipePath?: string;
  seed: number;
  profile: string;
  backend: string;
  simd: boolean;
  threads: number;
  versions: Record<string, string>;
  machine: { platform: string; arch: string; cpus: number; cpuModel?: string; node?: string };
  startedAt: string;
  wallSeconds: number;
}

export interface TaskResult {
  task: string;
  title: string;
  /** Headline numbers by key (what the summary table and `--json` show first). */
  summary: Record<string, number | string | MeanStd>;
  tables: ResultTable[];
  plots: ResultPlot[];
  published?: PublishedNumber[];
  /** Honest caveats: where kd's setting differs from the paper's, what did not help. */
  notes?: string[];
  provenance?: Provenance;
}

export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, n: 0, values: [] };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  // Sample standard deviation (ddof = 1), as papers report over seeds.
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n, values: [...values] };
}

export function isMeanStd(v: unknown): v is MeanStd {
  return typeof v === 'object' && v !== null && 'mean' in v && 'std' in v && 'n' in v;
}
