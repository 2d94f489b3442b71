#!/usr/bin/env node
// Optional (not part of CI): runs the kernels in headless Chromium, once on a
// cross-origin isolated page (threads through Web Workers, main thread polling) and
// once on a plain page (single-threaded fallback), and checks results against
// tfjs-cpu. Needs /usr/bin/chromium (Debian: apt-get install chromium) and a built
// package (pnpm build).   node scripts/browser-check.mjs
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const bundled = await build({
  entryPoints: [join(here, 'browser/page.js')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  write: false,
  // Backends @kd/core can load but this page does not use.
  external: ['@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-backend-webgpu'],
  logLevel: 'warning',
});
const bundle = bundled.outputFiles[0].text;
const requireFromCore = createRequire(createRequire(import.meta.url).resolve('@kd/core'));
const wasmDir = dirname(requireFromCore.resolve('@tensorflow/tfjs-backend-wasm/package.json'));

const server = createServer((req, res) => {
  const isolated = req.url.startsWith('/isolated');
  const headers = isolated
    ? {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      }
    : {};
  const path = req.url.replace(/^\/(isolated|plain)/, '');
  if (req.url === '/favicon.ico') {
    res.writeHead(204);
    res.end();
  } else if (path === '/' || path === '') {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
    res.end('<!doctype html><script type="module" src="bundle.js"></script>');
  } else if (path === '/bundle.js') {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' });
    res.end(bundle);
  } else if (path.startsWith('/wasm/') || req.url.startsWith('/wasm/')) {
    const file = join(wasmDir, 'dist', path.replace('/wasm/', '').replace(/^\/wasm\//, ''));
    try {
      res.writeHead(200, {
        ...headers,
        'Content-Type': 'application/wasm',
        'Cross-Origin-Resource-Policy': 'same-origin',
      });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404);
      res.end();
    }
  } else {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;

const profile = mkdtempSync(join(tmpdir(), 'kd-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
});
let failed = false;
try {
  for (const kind of ['isolated', 'plain']) {
    const page = await context.newPage();
    page.on('console', (m) => process.stderr.write(`[${kind}] ${m.text()}\n`));
    page.on('pageerror', (e) => process.stderr.write(`[${kind}] page error: ${e.message}\n`));
    await page.goto(`http://127.0.0.1:${port}/${kind}/`);
    await page.waitForFunction(() => typeof window.kdCheck === 'function', null, {
      timeout: 60_000,
    });
    const result = await page.evaluate(() => window.kdCheck());
    const ok =
      result.maxRelDiff <= 1e-5 &&
      result.provider.active === true &&
      result.provider.threads === (kind === 'isolated' ? 2 : 1);
    failed ||= !ok;
    console.log(JSON.stringify({ page: kind, ok, ...result }));
    await page.close();
  }
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
