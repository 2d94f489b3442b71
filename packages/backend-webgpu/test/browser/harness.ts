import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { chromium, type Page } from 'playwright-core';
import { launchChromium, startStaticServer } from '../../../../tests/browser/index.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '../..');
const packages = join(pkg, '..');
const require = createRequire(join(pkg, 'package.json'));

/**
 * `@kd/<pkg>` and `@kd/<pkg>/<sub>` resolve to the sources, as in vitest; tfjs'
 * WebGPU backend resolves from this package for every importer (@kd/core imports
 * it too but does not depend on it); WebGL is never loaded here.
 */
const sources: Plugin = {
  name: 'kd-sources',
  setup(b) {
    b.onResolve({ filter: /^@kd\/[a-z0-9-]+(\/[a-z0-9-]+)?$/ }, (args) => {
      const [, name, sub] = args.path.match(/^@kd\/([a-z0-9-]+)(?:\/([a-z0-9-]+))?$/) ?? [];
      return { path: join(packages, name, 'src', sub ? `${sub}/index.ts` : 'index.ts') };
    });
    b.onResolve({ filter: /^@tensorflow\/tfjs-backend-webgpu$/ }, () => ({
      path: require.resolve('@tensorflow/tfjs-backend-webgpu/dist/index.js'),
    }));
    b.onResolve({ filter: /^@tensorflow\/tfjs-backend-webgl$/ }, (args) => ({
      path: args.path,
      external: true,
    }));
  },
};

/** Bundles a page entry (TypeScript) for the browser, in memory. */
export async function bundle(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'error',
    plugins: [sources],
  });
  return out.outputFiles[0].text;
}

export interface ParityPage {
  page: Page;
  logs: string[];
  close(): Promise<void>;
}

/**
 * Serves the parity page (cross-origin isolated, with tfjs' wasm binaries under
 * /tfjs-wasm/) and opens it in headless Chromium with WebGPU on SwiftShader.
 */
export async function openParityPage(): Promise<ParityPage> {
  const script = await bundle(join(here, 'parity-page.ts'));
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/index.js'));
  const server = await startStaticServer({
    files: {
      '/index.html':
        '<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/parity.js"></script>',
      '/parity.js': script,
      '/favicon.ico': '',
    },
    dirs: { '/tfjs-wasm/': wasmDir },
  });
  const browser = await launchChromium(chromium, { webgpu: true }).catch(async (error) => {
    await server.close();
    throw error;
  });
  try {
    await browser.page.goto(server.url('/'));
    await browser.page.waitForFunction(() => document.title === 'ready', undefined, {
      timeout: 30_000,
    });
  } catch (error) {
    const logs = browser.logs.join('\n');
    await browser.close();
    await server.close();
    throw new Error(`the parity page did not start: ${String(error)}\n${logs}`);
  }
  return {
    page: browser.page,
    logs: browser.logs,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/** Undoes the page's packing of output values (base64 Float64 bytes). */
export function unpack<R extends { results: { outputs: { values: number[] }[] }[] }>(run: R): R {
  for (const r of run.results) {
    for (const o of r.outputs as { values: number[]; packed?: string }[]) {
      if (o.packed === undefined) continue;
      const bytes = Buffer.from(o.packed, 'base64');
      o.values = Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8));
      delete o.packed;
    }
  }
  return run;
}
