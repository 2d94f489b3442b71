// The benchmark page in headless Chromium: every backend configuration it
// offers reports matmul GFLOP/s and a training-step time, and the page shows
// them. Sizes are tiny here (the machine is small and shared); the README has
// the numbers of a full run. Timings are reported, never asserted.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BenchState } from '../src/bench/page.js';
import { openPlayground, type Playground, root } from './harness.js';

let pg: Playground;

beforeAll(async () => {
  pg = await openPlayground();
});

afterAll(async () => {
  await pg?.close();
});

it('measures matmul GFLOP/s and a training step on wasm (1 and 2 threads), WebGPU and cpu', async () => {
  const { page } = pg;
  await page.goto(
    pg.server.url('/bench.html?sizes=64,128&repeats=3&steps=2&threads=2&kinds=cora-gcn'),
  );
  await page.waitForSelector('body[data-ready=true]');
  expect(
    await page
      .locator('#backends input:checked')
      .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)),
  ).toEqual(['wasm-1', 'wasm-threads', 'webgpu', 'cpu']);
  await page.click('#bench-run');
  await page.waitForFunction(
    () => (globalThis as unknown as { kdBench: BenchState }).kdBench.done,
    undefined,
    {
      timeout: 240_000,
    },
  );
  const bench = await page.evaluate(
    () => (globalThis as unknown as { kdBench: BenchState }).kdBench,
  );
  const summary = bench.rows.map((r) => ({
    backend: r.config.label,
    threads: r.report?.info.threads,
    tfjsThreads: r.report?.tfjsThreads,
    adapter: r.report?.webgpu?.adapter.architecture,
    error: r.error,
    gflops: Object.fromEntries(r.matmul.map((m) => [m.n, Number(m.gflops.toFixed(3))])),
    stepMs: Object.fromEntries(r.steps.map((s) => [s.id, Number(s.ms.toFixed(1))])),
  }));
  // Recorded for the README (bench-results/ is not committed).
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  writeFileSync(
    join(root, 'bench-results/browser-bench-test.json'),
    `${JSON.stringify(summary, null, 2)}\n`,
  );
  console.log(JSON.stringify(summary));

  for (const row of bench.rows) {
    expect(row.error, row.config.label).toBeUndefined();
    expect(row.matmul.map((m) => m.n)).toEqual([64, 128]);
    for (const m of row.matmul) {
      expect(m.gflops, `${row.config.label} n=${m.n}`).toBeGreaterThan(0);
      expect(Number.isFinite(m.gflops)).toBe(true);
    }
    expect(row.steps.map((s) => s.id)).toEqual(['cora-gcn']);
    expect(row.steps[0].ms).toBeGreaterThan(0);
    // A real training step happened: the loss is a cross-entropy over 7 classes.
    expect(row.steps[0].loss).toBeGreaterThan(0);
    expect(row.steps[0].loss).toBeLessThan(Math.log(7) + 0.1);
  }
  const byId = Object.fromEntries(bench.rows.map((r) => [r.config.id, r]));
  expect(byId['wasm-1'].report?.info.threads).toBe(1);
  expect(byId['wasm-threads'].report?.info.threads).toBe(2);
  expect(byId.webgpu.report?.webgpu?.software).toBe(true);
  expect(byId.cpu.report?.info.backend).toBe('cpu');

  // The page shows every number in its two tables.
  for (const row of bench.rows) {
    for (const m of row.matmul) {
      expect(
        await page.textContent(
          `[data-table="matmul"] tr[data-config="${row.config.id}"] td[data-n="${m.n}"]`,
        ),
      ).toBe(m.gflops.toFixed(2));
    }
    expect(
      await page.textContent(
        `[data-table="steps"] tr[data-config="${row.config.id}"] td[data-step="cora-gcn"]`,
      ),
    ).toBe(`${row.steps[0].ms.toFixed(1)} ms`);
  }
  expect(await page.textContent('#bench-status')).toMatch(/^Done in/);
});
