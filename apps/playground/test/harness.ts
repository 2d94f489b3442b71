// Drives the built playground in Debian's Chromium (playwright-core, through
// the shared helpers in tests/browser) and runs the same recipes in Node.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { disposeBackend, initBackend, type TaskResult } from '@kd/core';
import { chromium, type Page } from 'playwright-core';
import {
  type LaunchedChromium,
  launchChromium,
  type StaticServer,
  startStaticServer,
} from '../../../tests/browser/index.mjs';
import type { PlaygroundState } from '../src/main.js';
import { findRecipe } from '../src/recipes/catalogue.js';
import { parseOverrides, type RecipeSpec } from '../src/recipes/prepare.js';
import { createRegistry } from '../src/registry.js';
import { type RunOutput, runRecipe } from '../src/run.js';
import type { BackendName } from '../src/worker/protocol.js';
import { recipesDir } from '../vite.config.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const dist = join(root, 'dist');

export interface Playground {
  server: StaticServer;
  browser: LaunchedChromium<Awaited<ReturnType<typeof chromium.launchPersistentContext>>, Page>;
  page: Page;
  close(): Promise<void>;
}

/**
 * Serves dist/ (cross-origin isolated unless `isolated: false`) and opens it in
 * headless Chromium with WebGPU on SwiftShader (synchronous reads working) and
 * 4 cores reported to the page.
 */
export async function openPlayground(options: { isolated?: boolean } = {}): Promise<Playground> {
  const server = await startStaticServer({
    dirs: { '/': dist },
    isolated: options.isolated ?? true,
  });
  const browser = await launchChromium(chromium, {
    webgpu: true,
    webgpuSyncReads: true,
    hardwareConcurrency: 4,
  }).catch(async (error) => {
    await server.close();
    throw error;
  });
  return {
    server,
    browser,
    page: browser.page,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

export interface PageRun {
  recipe: string;
  backend: BackendName;
  threads?: number;
  seed?: number;
  /** YAML typed into the overrides box. */
  overrides: string;
}

/** Loads the recipes page, fills the form like a person would and waits for the run to end. */
export async function runInPage(
  pg: Playground,
  run: PageRun,
  options: { path?: string; timeout?: number } = {},
): Promise<PlaygroundState> {
  const { page } = pg;
  await page.goto(pg.server.url(options.path ?? '/index.html'));
  await page.waitForSelector('body[data-ready=true]');
  await page.check(`[data-recipe="${run.recipe}"] input`);
  await page.selectOption('#backend', run.backend);
  if (run.threads !== undefined) await page.selectOption('#threads', String(run.threads));
  await page.fill('#seed', String(run.seed ?? 0));
  await page.fill('#overrides', run.overrides);
  await page.click('#run');
  await page.waitForFunction(
    () =>
      ['finished', 'failed', 'cancelled'].includes(
        document.getElementById('status')?.dataset.state ?? '',
      ),
    undefined,
    { timeout: options.timeout ?? 240_000 },
  );
  const state = await page.evaluate(
    () => (globalThis as unknown as { kdPlayground: PlaygroundState }).kdPlayground,
  );
  if (state.end !== 'finished') {
    throw new Error(
      `the run ended "${state.end}": ${state.error}\n${pg.browser.logs.slice(-30).join('\n')}`,
    );
  }
  return state;
}

/** The recipe and overrides of a page run as the Node side runs them. */
export function specFor(run: PageRun): RecipeSpec {
  const recipe = findRecipe(run.recipe);
  if (!recipe) throw new Error(`no recipe ${run.recipe}`);
  const [pkg, file] = recipe.file.split('/') as ['graph', string];
  return {
    text: readFileSync(join(recipesDir(pkg), file), 'utf8'),
    where: recipe.file,
    // The page parses its overrides box with this same function.
    overrides: parseOverrides(run.overrides),
    seed: run.seed ?? 0,
  };
}

/** Runs `run` in this Node process on wasm (kd's kernels, one thread): the CLI's default. */
export async function runInNode(run: PageRun): Promise<RunOutput> {
  const registry = createRegistry();
  await initBackend({ backend: 'wasm', threads: 1, registry });
  try {
    return await runRecipe(specFor(run), registry, {
      progress: { stage: () => ({ tick() {}, done() {} }), log() {} },
      signal: new AbortController().signal,
    });
  } finally {
    await disposeBackend();
  }
}

/** Largest |a − b| / max(1, |b|) over two equally long lists. */
export function maxRelDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  }
  return worst;
}

/** The y values of a result plot's line, by plot id and line name. */
export function curve(result: TaskResult, plot: string, line: string): number[] {
  const p = result.plots.find((x) => x.id === plot);
  const l = p?.lines.find((x) => x.name === line);
  if (!l) throw new Error(`no line "${line}" in plot "${plot}"`);
  return l.y;
}
