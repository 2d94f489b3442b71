import { readdirSync, readFileSync } from 'node:fs';
import { BackendError, disposeBackend } from '@kd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeWebGPU, setupWebGPU } from '../src/index.js';

/**
 * Every example in examples/ runs here (WebGPU through Dawn where this machine has
 * an adapter, otherwise the fallback they document), and the README shows each one
 * verbatim, so its code cannot drift from code that runs.
 */
const dir = new URL('../examples/', import.meta.url);
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const files = readdirSync(dir).filter((f) => f.endsWith('.mjs'));
// biome-ignore lint/suspicious/noExplicitAny: example modules are untyped JavaScript.
const run = (name: string): Promise<Record<string, any>> => import(`../examples/${name}.mjs`);

let dawn = false;

beforeAll(async () => {
  dawn = await setupWebGPU()
    .then(() => true)
    .catch((error: unknown) => {
      if (error instanceof BackendError) return false;
      throw error;
    });
}, 60_000);

afterAll(async () => {
  await disposeWebGPU();
  await disposeBackend();
});

describe('examples', () => {
  it.each(files)('README shows %s verbatim', (file) => {
    const source = readFileSync(new URL(file, dir), 'utf8').trim();
    expect(readme.includes(source), `${file} is not in README.md as written`).toBe(true);
  });

  it('quick-start.mjs fits x·w = y on WebGPU, or on wasm without an adapter', async () => {
    const { started, predictions } = await run('quick-start');
    expect(started.backend).toBe(dawn ? 'webgpu' : 'wasm');
    expect(predictions[0]).toBeCloseTo(14, 1);
    expect(predictions[1]).toBeCloseTo(32, 1);
  });

  it('parity.mjs finds every output within tolerance, or says there is no adapter', async () => {
    if (!dawn) {
      await expect(run('parity')).rejects.toThrow(BackendError);
      return;
    }
    const { rows } = await run('parity');
    expect(rows.length).toBeGreaterThan(200);
    expect(rows.filter((r: { pass: boolean }) => !r.pass)).toEqual([]);
  });
});
