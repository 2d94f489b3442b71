// Shared benchmark harness for `pnpm bench` (not published). Every bench
// script times a baseline and kd in the same run and reports ratios, prints a
// table to stderr, and writes JSON to stdout and to bench-results/<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** Times `fn` (sync or async): `warmup` untimed runs, then `iters` timed ones. */
export async function time(fn, { warmup = 2, iters = 10, minSeconds = 0 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  const t0 = performance.now();
  while (samples.length < iters || (performance.now() - t0) / 1000 < minSeconds) {
    const s = performance.now();
    await fn();
    samples.push(performance.now() - s);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    medianMs: sorted[Math.floor(sorted.length / 2)],
    minMs: sorted[0],
    maxMs: sorted[sorted.length - 1],
    runs: samples.length,
  };
}

export function machine() {
  const c = cpus();
  return { cpus: c.length, cpuModel: c[0]?.model, node: process.versions.node, arch: process.arch };
}

/**
 * `rows`: array of flat objects; printed as a table on stderr and written as
 * `{ name, machine, date, rows, ...extra }` JSON on stdout and to
 * bench-results/<name>.json in the current package.
 */
export function report(name, rows, extra = {}) {
  const doc = { name, machine: machine(), date: new Date().toISOString(), ...extra, rows };
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const fmt = (v) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v ?? '');
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => fmt(r[k]).length)));
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  process.stderr.write(
    `\n${name}\n${line(keys)}\n${rows.map((r) => line(keys.map((k) => fmt(r[k])))).join('\n')}\n`,
  );
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(join('bench-results', `${name}.json`), `${JSON.stringify(doc, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(doc)}\n`);
  return doc;
}
