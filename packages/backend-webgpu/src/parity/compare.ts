import type { ParityCase } from './cases.js';
import type { ParityCaseResult, ParityOutput } from './run.js';
import { TOLERANCES, type ToleranceClass } from './tolerances.js';

export interface ParityRow {
  case: string;
  group: string;
  output: string;
  tolerance: ToleranceClass;
  limit: number;
  /** max |got − ref| / max(1, max |ref|) over the finite values (0 when identical). */
  error: number;
  /** max |got − ref| over the finite values. */
  maxAbs: number;
  pass: boolean;
  /** Why it failed when the numbers alone do not say (shape, dtype, non-finite, error). */
  problem?: string;
}

function same(a: number, b: number): boolean {
  return Object.is(a, b) || (a === 0 && b === 0) || (Number.isNaN(a) && Number.isNaN(b));
}

export function compareOutput(
  ref: ParityOutput,
  got: ParityOutput,
): Omit<ParityRow, 'case' | 'group' | 'tolerance' | 'limit' | 'pass' | 'output'> {
  if (ref.shape.join() !== got.shape.join()) {
    return {
      error: Infinity,
      maxAbs: Infinity,
      problem: `shape [${got.shape}] instead of [${ref.shape}]`,
    };
  }
  if (ref.dtype !== got.dtype) {
    return {
      error: Infinity,
      maxAbs: Infinity,
      problem: `dtype ${got.dtype} instead of ${ref.dtype}`,
    };
  }
  let maxAbs = 0;
  let scale = 1;
  let problem: string | undefined;
  for (let i = 0; i < ref.values.length; i++) {
    const r = ref.values[i];
    const g = got.values[i];
    if (!Number.isFinite(r) || !Number.isFinite(g)) {
      if (!same(r, g) && problem === undefined) problem = `element ${i} is ${g} instead of ${r}`;
      continue;
    }
    scale = Math.max(scale, Math.abs(r));
    maxAbs = Math.max(maxAbs, Math.abs(g - r));
  }
  return { error: problem ? Infinity : maxAbs / scale, maxAbs, ...(problem ? { problem } : {}) };
}

export interface CompareOptions {
  /** Compare only these cases of the reference (default: all of them). */
  only?: readonly string[];
  /** Compare the gradients too (default true). */
  gradients?: boolean;
}

/**
 * Compares a backend's results with the reference backend's (cpu), output by output,
 * against each case's tolerance class (forward) and gradient class (`d/…` outputs).
 * A reference case or output the candidate lacks is a failure.
 */
export function compareParity(
  cases: ParityCase[],
  reference: ParityCaseResult[],
  candidate: ParityCaseResult[],
  options: CompareOptions = {},
): ParityRow[] {
  const rows: ParityRow[] = [];
  const byName = new Map(candidate.map((r) => [r.case, r]));
  const gradients = options.gradients ?? true;
  for (const ref of reference) {
    if (options.only && !options.only.includes(ref.case)) continue;
    const c = cases.find((x) => x.name === ref.case);
    if (!c) continue;
    const got = byName.get(ref.case);
    const base = { case: c.name, group: c.group };
    if (ref.error) {
      rows.push({
        ...base,
        output: '*',
        tolerance: c.tol,
        limit: TOLERANCES[c.tol],
        error: Infinity,
        maxAbs: Infinity,
        pass: false,
        problem: `the reference failed: ${ref.error}`,
      });
      continue;
    }
    if (!got || got.error) {
      rows.push({
        ...base,
        output: '*',
        tolerance: c.tol,
        limit: TOLERANCES[c.tol],
        error: Infinity,
        maxAbs: Infinity,
        pass: false,
        problem: got ? `threw: ${got.error}` : 'not run',
      });
      continue;
    }
    for (const out of ref.outputs) {
      if (!gradients && out.name.startsWith('d/')) continue;
      const tolerance = out.name.startsWith('d/') ? c.gradTol : c.tol;
      const limit = TOLERANCES[tolerance];
      const other = got.outputs.find((o) => o.name === out.name);
      const cmp = other
        ? compareOutput(out, other)
        : { error: Infinity, maxAbs: Infinity, problem: 'missing' };
      rows.push({ ...base, output: out.name, tolerance, limit, ...cmp, pass: cmp.error <= limit });
    }
  }
  return rows;
}

/** A plain-text table of rows (worst first), for logs and READMEs. */
export function formatParity(rows: ParityRow[], { failuresOnly = false } = {}): string {
  const shown = rows.filter((r) => !failuresOnly || !r.pass);
  const fmt = (x: number) => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(1) : '∞');
  return shown
    .map(
      (r) =>
        `${r.pass ? 'ok  ' : 'FAIL'} ${fmt(r.error).padStart(7)} ≤ ${fmt(r.limit).padEnd(6)} ${r.case} [${r.output}]${r.problem ? ` — ${r.problem}` : ''}`,
    )
    .join('\n');
}

/** Worst error per tolerance class, for the README table. */
export function worstByClass(rows: ParityRow[]): Record<string, { error: number; case: string }> {
  const out: Record<string, { error: number; case: string }> = {};
  for (const r of rows) {
    const prev = out[r.tolerance];
    if (!prev || r.error > prev.error)
      out[r.tolerance] = { error: r.error, case: `${r.case} [${r.output}]` };
  }
  return out;
}
