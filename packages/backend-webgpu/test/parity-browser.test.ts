import { initBackend } from '@kd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGPUInfo } from '../src/index.js';
import {
  compareParity,
  formatParity,
  type ParityCaseResult,
  type ParityRun,
  parityCases,
  runParity,
} from '../src/parity/index.js';
import { openParityPage, type ParityPage, unpack } from './browser/harness.js';
import type { PageRunOptions } from './browser/parity-page.js';

/**
 * The parity suite in headless Chromium (Debian's, through playwright-core) with
 * WebGPU on SwiftShader, a CPU emulation of a GPU: every case in src/parity/cases.ts,
 * forward and backward, on the page's webgpu and wasm backends, against the cpu
 * backend run here in Node, within src/parity/tolerances.ts.
 */
const cases = parityCases();
let reference: ParityCaseResult[];
let browser: ParityPage;

interface PageResult {
  info: WebGPUInfo & { simd?: boolean };
  run: ParityRun;
  numTensors: number;
}

async function runInPage(backend: string, options: PageRunOptions = {}): Promise<PageResult> {
  const result = await browser.page.evaluate(
    ([b, o]) =>
      (
        globalThis as unknown as {
          kd: { run(b: string, o: PageRunOptions): Promise<PageResult> };
        }
      ).kd.run(b, o),
    [backend, options] as const,
  );
  unpack(result.run);
  return result;
}

beforeAll(async () => {
  const [page] = await Promise.all([
    openParityPage(),
    (async () => {
      await initBackend({ backend: 'cpu' });
      reference = (await runParity(cases)).results;
    })(),
  ]);
  browser = page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('parity in headless Chromium', () => {
  it('serves the page cross-origin isolated from 127.0.0.1', async () => {
    expect(await browser.page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    expect(await browser.page.evaluate(() => globalThis.isSecureContext)).toBe(true);
  });

  it('webgpu (SwiftShader) matches cpu on every op and gradient', async () => {
    const { info, run, numTensors } = await runInPage('webgpu');
    expect(info.backend).toBe('webgpu');
    expect(info.source).toBe('navigator.gpu');
    // Chromium's only adapter without a GPU: a CPU emulation, reported as such.
    expect(info.fallbackAdapter).toBe(true);
    expect(info.software).toBe(true);
    expect(info.adapter.architecture).toMatch(/swiftshader/i);
    expect(info.featureLevel).toBe('core');
    // The feature tfjs requests as a nested array, requested here as a string.
    expect(info.features).toEqual(
      expect.arrayContaining(['bgra8unorm-storage', 'timestamp-query']),
    );
    expect(info.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    expect(info.fixes.sort()).toEqual(['BatchMatMul', 'Log', 'UnsortedSegmentSum', '_FusedMatMul']);
    expect(info.syncReads).toBe(true);
    expect(run.backend).toBe('webgpu');
    expect(run.results.map((r) => r.case)).toEqual(cases.map((c) => c.name));
    const rows = compareParity(cases, reference, run.results);
    const failures = rows.filter((r) => !r.pass);
    expect(failures, formatParity(failures)).toEqual([]);
    expect(rows.length).toBeGreaterThan(200);
    expect(numTensors).toBe(0);
  });

  it("tfjs' stock kernels get these cases wrong on SwiftShader (what kd's fixes are for)", async () => {
    const broken = cases
      .filter((c) => /^matMul (a|aᵀ)·bᵀ split-K|outside \[0, numSegments\)|^isFinite/.test(c.name))
      .map((c) => c.name);
    expect(broken).toHaveLength(4);
    const { run, info } = await runInPage('webgpu', {
      only: broken,
      gradients: false,
      webgpu: { fixes: false },
    });
    expect(info.fixes).toEqual([]);
    const rows = compareParity(cases, reference, run.results, { only: broken, gradients: false });
    expect(rows.every((r) => r.problem !== 'missing')).toBe(true);
    for (const name of broken) {
      expect(
        rows.some((r) => r.case === name && !r.pass),
        `${name} should fail without the fixes`,
      ).toBe(true);
    }
  });

  it('wasm in the browser matches cpu too', async () => {
    const { info, run } = await runInPage('wasm');
    expect(info.simd).toBe(true);
    const rows = compareParity(cases, reference, run.results);
    const failures = rows.filter((r) => !r.pass);
    expect(failures, formatParity(failures)).toEqual([]);
  });
});
