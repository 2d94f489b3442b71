// The recipes page in headless Chromium, clicked through as a person would:
// a Cora GCN on threaded WASM and on WebGPU (SwiftShader), the LoRA recipe with
// its adapter download, cancel, and the single-threaded fallback of a page that
// is not cross-origin isolated. Every number is checked against the same recipe
// and seed run here in Node.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, disposeBackend, initBackend } from '@kd/core';
import { loadStories260K } from '@kd/data';
import { loadAdapter } from '@kd/lora';
import { loadLlama2c } from '@kd/nn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PALETTE } from '../src/ui/chart.js';
import { formatCell } from '../src/ui/format.js';
import {
  curve,
  maxRelDiff,
  openPlayground,
  type PageRun,
  type Playground,
  runInNode,
  runInPage,
} from './harness.js';
import { countColour, decodePng } from './png.js';
import { unzip } from './unzip.js';

/** A GCN in Kipf & Welling's setting, one seed, few epochs (the recipe's quick profile has 40 and a GAT). */
const gcn = (epochs: number) =>
  `models: [{model: gcn, hiddenChannels: 16, dropout: 0.5, lr: 0.01, weightDecay: 5.0e-4, decay: [conv1.], epochs: ${epochs}}]\nseeds: 1\n`;

let pg: Playground;

beforeAll(async () => {
  pg = await openPlayground();
});

afterAll(async () => {
  await pg?.close();
});

describe('Cora GCN', () => {
  it('trains on threaded WASM and matches the Node run; the page renders the curve and the table', async () => {
    const run: PageRun = { recipe: 'cora-gcn', backend: 'wasm', threads: 2, overrides: gcn(8) };
    const state = await runInPage(pg, run);
    const node = await runInNode(run);

    // Threads: kd's kernels and tfjs-wasm's own pool, on a cross-origin isolated page.
    const backend = state.backend!;
    expect(backend.crossOriginIsolated).toBe(true);
    expect(backend.info.backend).toBe('wasm');
    expect(backend.info.simd).toBe(true);
    expect(backend.info.threads).toBe(2);
    expect(backend.info.providers['wasm-simd'].active).toBe(true);
    expect(backend.tfjsThreads).toBe(2);

    // The numbers: kd's threaded GEMM splits output tiles, never a sum, so the
    // browser (2 threads) and Node (1 thread) compute the same floats (measured:
    // identical). Stated tolerance: losses within 1e-6 relative, accuracy to the node.
    const result = state.result!;
    for (const line of ['gcn train', 'gcn validation']) {
      const page = curve(result, 'loss-cora', line);
      expect(page).toHaveLength(8);
      expect(maxRelDiff(page, curve(node.result, 'loss-cora', line))).toBeLessThanOrEqual(1e-6);
    }
    const key = 'cora.gcn.test_acc';
    const acc = (r: typeof result) => (r.summary[key] as { mean: number }).mean;
    expect(Math.abs(acc(result) - acc(node.result))).toBeLessThanOrEqual(0.001);
    expect(acc(result)).toBeGreaterThan(0.3); // far above chance (1/7) after 8 epochs

    // The table shows exactly those numbers, formatted.
    const row = result.tables[0].rows[0];
    const testCol = result.tables[0].columns.find((c) => c.key === 'test')!;
    expect(await pg.page.textContent('[data-table="accuracy"] td[data-col="test"]')).toBe(
      formatCell(row.test, testCol.format, testCol.digits),
    );
    expect(await pg.page.textContent('[data-table="accuracy"] td[data-col="dataset"]')).toBe(
      'cora',
    );

    // The live chart got one point per epoch; the result chart one per epoch and line.
    expect(
      await pg.page.getAttribute('#live-chart path[data-series="cora gcn seed 0"]', 'data-points'),
    ).toBe('8');
    expect(await pg.page.locator('[data-plot="loss-cora"] path[data-series]').count()).toBe(2);

    // The screenshot shows them: the live curve's blue and the validation curve's red
    // are drawn in the chart areas, and the table has text.
    const shot = await pg.page.screenshot({
      fullPage: true,
      path: join(tmpdir(), 'kd-playground-gcn.png'),
    });
    const chart = decodePng(await pg.page.locator('#live-chart svg').screenshot());
    expect(countColour(chart, PALETTE[0])).toBeGreaterThan(200);
    const plot = decodePng(await pg.page.locator('[data-plot="loss-cora"] svg').screenshot());
    expect(countColour(plot, PALETTE[0])).toBeGreaterThan(200);
    expect(countColour(plot, PALETTE[1])).toBeGreaterThan(200);
    const table = decodePng(await pg.page.locator('[data-table="accuracy"] table').screenshot());
    expect(countColour(table, '#111827', 90)).toBeGreaterThan(100); // dark text pixels
    expect(decodePng(shot).height).toBeGreaterThan(800);
  });

  it('trains on WebGPU (SwiftShader) and agrees with the Node run', async () => {
    const run: PageRun = { recipe: 'cora-gcn', backend: 'webgpu', overrides: gcn(4) };
    const state = await runInPage(pg, run);
    const node = await runInNode(run);
    const backend = state.backend!;
    expect(backend.info.backend).toBe('webgpu');
    expect(backend.webgpu?.software).toBe(true);
    expect(backend.webgpu?.adapter.architecture).toMatch(/swiftshader/i);
    expect(await pg.page.textContent('#backend-info [data-key="note"]')).toMatch(
      /software adapter/,
    );
    // Different kernels (WGSL, other summation orders, WGSL's exp/log accuracy):
    // losses within 1e-5 relative (measured: 6e-8), test accuracy within 2 of 1,000 nodes
    // (measured: equal).
    const result = state.result!;
    for (const line of ['gcn train', 'gcn validation']) {
      expect(
        maxRelDiff(curve(result, 'loss-cora', line), curve(node.result, 'loss-cora', line)),
      ).toBeLessThan(1e-5);
    }
    const key = 'cora.gcn.test_acc';
    const acc = (r: typeof result) => (r.summary[key] as { mean: number }).mean;
    expect(Math.abs(acc(result) - acc(node.result))).toBeLessThanOrEqual(0.002);
  });

  it('cancels between epochs: the task stops after its current step', async () => {
    const { page } = pg;
    await page.goto(pg.server.url('/index.html'));
    await page.waitForSelector('body[data-ready=true]');
    await page.check('[data-recipe="cora-gcn"] input');
    await page.selectOption('#backend', 'wasm');
    await page.fill('#overrides', gcn(5000));
    await page.click('#run');
    // Wait for a few epochs, then press Cancel: the page's main thread is free while the
    // worker trains, so the click lands at once.
    await page.waitForFunction(
      () =>
        ((document.querySelector('.stage progress') as HTMLProgressElement | null)?.value ?? 0) >=
        3,
    );
    await page.click('#cancel');
    await page.waitForFunction(
      () => document.getElementById('status')?.dataset.state === 'cancelled',
      undefined,
      {
        timeout: 15_000,
      },
    );
    const state = await page.evaluate(
      () =>
        (globalThis as unknown as { kdPlayground: { end: string; error: string } }).kdPlayground,
    );
    expect(state.end).toBe('cancelled');
    // Stopped by the task itself (AbortedError after the epoch), not by ending the worker.
    expect(state.error).toMatch(/^AbortedError: stopped at epoch \d+/);
    const done = await page.evaluate(
      () => (document.querySelector('.stage progress') as HTMLProgressElement).value,
    );
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(5000);
    expect(await page.textContent('#status')).toMatch(/^Cancelled after/);
    expect(await page.isEnabled('#run')).toBe(true);
  });
});

describe('LoRA-tune stories260K', () => {
  it('trains a LoRA adapter that downloads in PEFT layout, equal to the Node run', async () => {
    const run: PageRun = {
      recipe: 'lora-stories',
      backend: 'wasm',
      threads: 2,
      overrides: [
        'steps: 4',
        'batchSize: 4',
        'blockSize: 64',
        'trainChars: 20000',
        'evalChars: 2000',
        'arms: [{name: "LoRA r=4", adapter: {id: lora, options: {r: 4, loraAlpha: 8, targetModules: all-linear, taskType: CAUSAL_LM}}, lr: 0.005}]',
      ].join('\n'),
    };
    const state = await runInPage(pg, run);
    const node = await runInNode(run);
    const ppl = (r: NonNullable<typeof state.result>) =>
      (r.summary.lora_r_4_perplexity as { mean: number }).mean;
    // Same kernels, tile-split threads: measured identical; stated 1e-6 relative.
    expect(Math.abs(ppl(state.result!) / ppl(node.result) - 1)).toBeLessThan(1e-6);
    expect(state.adapters.map((a) => a.label)).toEqual(['LoRA r=4, seed 0']);
    expect(node.adapters).toHaveLength(1);

    // Download the zip as a person would and read it back.
    const [download] = await Promise.all([
      pg.page.waitForEvent('download'),
      pg.page.click('[data-adapter="LoRA r=4, seed 0"] a[download$=".zip"]'),
    ]);
    expect(download.suggestedFilename()).toBe('lora-r-4-seed-0-adapter.zip');
    const entries = unzip(readFileSync((await download.path())!));
    expect(entries.map((e) => e.name)).toEqual([
      'lora-r-4-seed-0-adapter/adapter_config.json',
      'lora-r-4-seed-0-adapter/adapter_model.safetensors',
    ]);
    const config = JSON.parse(new TextDecoder().decode(entries[0].data));
    expect(config).toEqual(JSON.parse(node.adapters[0].files['adapter_config.json']));
    expect(config).toMatchObject({
      peft_type: 'LORA',
      r: 4,
      lora_alpha: 8,
      task_type: 'CAUSAL_LM',
    });

    // The weights: PEFT's names, trained (B is no longer zero), equal to Node's within 1e-6.
    const got = decodeSafetensors(entries[1].data).tensors;
    const want = decodeSafetensors(node.adapters[0].files['adapter_model.safetensors']).tensors;
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    expect(Object.keys(got).every((k) => k.startsWith('base_model.model.'))).toBe(true);
    let worst = 0;
    let bNorm = 0;
    for (const [k, t] of Object.entries(got)) {
      const a = t.data as Float32Array;
      const b = want[k].data as Float32Array;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      if (k.includes('lora_B')) for (const v of a) bNorm += v * v;
    }
    expect(worst).toBeLessThan(1e-6);
    expect(bNorm).toBeGreaterThan(0);

    // And the files load onto a fresh stories260K with @kd/lora, strictly.
    await initBackend({ backend: 'cpu' });
    const model = loadLlama2c((await loadStories260K()).legacy);
    try {
      const loaded = loadAdapter(model, {
        config: entries[0].data,
        weights: entries[1].data,
      });
      // Every adapted module got its factors, nothing missing or left over.
      expect(loaded.report.modules.length).toBeGreaterThan(0);
      expect(loaded.report.missing).toEqual([]);
      expect(loaded.report.unexpected).toEqual([]);
    } finally {
      model.dispose();
      await disposeBackend();
    }
  });
});

describe('Distil stories260K', () => {
  it('distils the TinyStories teacher on threaded WASM, equal to the Node run', async () => {
    const run: PageRun = {
      recipe: 'distil-stories',
      backend: 'wasm',
      threads: 2,
      overrides: [
        'steps: 3',
        'seeds: 1',
        'transfer: {stories: 8, length: 16}',
        'heldOut: {stories: 4, promptTokens: 4, continuationTokens: 8}',
      ].join('\n'),
    };
    const state = await runInPage(pg, run);
    const node = await runInNode(run);
    const result = state.result!;
    // Every arm's held-out numbers (perplexities, KL, BLEU, ROUGE, CER), within 1e-6
    // relative of Node's (measured: identical); timings and speed-ups are not compared.
    const numbers = (r: typeof result) =>
      Object.entries(r.summary)
        .filter(([k]) => !/seconds|speedup/.test(k))
        .map(([k, v]) => [k, typeof v === 'number' ? v : (v as { mean: number }).mean] as const);
    const got = numbers(result);
    const want = numbers(node.result);
    expect(got.map(([k]) => k)).toEqual(want.map(([k]) => k));
    expect(got.map(([k]) => k)).toEqual(
      expect.arrayContaining([
        'hard_labels_ppl_teacher_dist',
        'features_attention_ppl_teacher_dist',
      ]),
    );
    expect(
      maxRelDiff(
        got.map(([, v]) => v),
        want.map(([, v]) => v),
      ),
    ).toBeLessThanOrEqual(1e-6);
    // Three arms and the teacher in the first table, on the page.
    expect(await pg.page.locator(`[data-table="${result.tables[0].id}"] tbody tr`).count()).toBe(
      result.tables[0].rows.length,
    );
    expect(result.tables[0].rows.length).toBeGreaterThanOrEqual(4);
  });
});

describe('a page that is not cross-origin isolated', () => {
  it('says so and runs single-threaded', async () => {
    const { startStaticServer } = await import('../../../tests/browser/index.mjs');
    const { dist } = await import('./harness.js');
    const server = await startStaticServer({ dirs: { '/': dist }, isolated: false });
    const page = await pg.browser.context.newPage();
    try {
      const plain: Playground = { ...pg, server, page };
      await page.goto(server.url('/index.html'));
      await page.waitForSelector('body[data-ready=true]');
      expect(await page.getAttribute('#isolation', 'data-isolated')).toBe('false');
      expect(await page.textContent('#isolation')).toMatch(
        /not cross-origin isolated.*single-threaded/,
      );
      expect(await page.locator('#threads option').allTextContents()).toEqual([
        '1 (single-threaded)',
      ]);
      const state = await runInPage(plain, {
        recipe: 'cora-gcn',
        backend: 'wasm',
        overrides: gcn(2),
      });
      expect(state.backend?.crossOriginIsolated).toBe(false);
      expect(state.backend?.info.threads).toBe(1);
      // The single-threaded run finished and scored its one seed.
      const acc = state.result?.summary['cora.gcn.test_acc'] as { mean: number; n: number };
      expect(acc.n).toBe(1);
      expect(acc.mean).toBeGreaterThanOrEqual(0);
      expect(acc.mean).toBeLessThanOrEqual(1);
    } finally {
      await page.close();
      await server.close();
    }
  });
});
