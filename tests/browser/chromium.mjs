// Launches Debian's Chromium through playwright-core with the flags this project's
// machines need (see README.md here): never a downloaded browser, a fresh profile per
// launch (removed on close), optional WebGPU on the CPU (SwiftShader) and an optional
// navigator.hardwareConcurrency override for threaded WASM on small machines.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Chromium is looked for: $KD_CHROMIUM, then Debian's package. */
export function chromiumPath() {
  const candidates = [process.env.KD_CHROMIUM, '/usr/bin/chromium'].filter(Boolean);
  return candidates.find((p) => existsSync(p));
}

/**
 * Flags every launch needs here: no sandbox (containers), and no background traffic
 * (without these Chromium floods a closed network with connection attempts).
 */
export const BASE_FLAGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-default-apps',
  '--disable-extensions',
]);

/**
 * WebGPU on machines without a GPU: Chromium blocklists CPU adapters unless unsafe
 * WebGPU is enabled; the adapter is then SwiftShader (`isFallbackAdapter: true`).
 * Do not add `--enable-features=Vulkan --use-angle=swiftshader --disable-vulkan-surface`:
 * with those `requestAdapter()` never settles.
 */
export const WEBGPU_FLAGS = Object.freeze(['--enable-unsafe-webgpu']);

/**
 * Synchronous reads of WebGPU data (tfjs' `dataSync`: a WebGPU canvas drawn into
 * a 2D one) return zeros on headless Chromium's SwiftShader adapter unless ANGLE
 * runs on SwiftShader too; with these flags the adapter is still SwiftShader
 * (`core`) and the reads are right. Training loops that read losses synchronously
 * need them.
 */
export const WEBGPU_SYNC_READ_FLAGS = Object.freeze([
  '--use-angle=swiftshader',
  '--use-webgpu-adapter=opengles',
]);

/**
 * @param chromium playwright-core's `chromium` (passed in so these helpers need no
 *   dependency of their own: `import { chromium } from 'playwright-core'`).
 */
export async function launchChromium(chromium, options = {}) {
  const executablePath = options.executablePath ?? chromiumPath();
  if (!executablePath) {
    throw new Error(
      "Chromium not found: install Debian's package (apt-get install --no-install-recommends chromium) or set KD_CHROMIUM to a Chromium binary; never `npx playwright install`",
    );
  }
  const profileDir = mkdtempSync(join(tmpdir(), 'kd-chromium-'));
  const args = [
    ...BASE_FLAGS,
    ...(options.webgpu ? WEBGPU_FLAGS : []),
    ...(options.webgpu && options.webgpuSyncReads ? WEBGPU_SYNC_READ_FLAGS : []),
    ...(options.args ?? []),
  ];
  let context;
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath,
      headless: options.headless ?? true,
      args,
      viewport: options.viewport ?? { width: 1280, height: 800 },
      timeout: options.timeout ?? 60_000,
    });
  } catch (error) {
    rmSync(profileDir, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  /** Console lines and uncaught page errors, for failure messages. */
  const logs = [];
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  if (options.hardwareConcurrency) {
    // tfjs-wasm caps its threads at hardwareConcurrency / 2; report more cores on
    // small machines. CDP covers the page only: its dedicated workers still see the
    // real count (Chromium 156).
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setHardwareConcurrencyOverride', {
      hardwareConcurrency: options.hardwareConcurrency,
    });
  }
  return {
    context,
    page,
    logs,
    profileDir,
    executablePath,
    args,
    close: async () => {
      try {
        await context.close();
      } finally {
        rmSync(profileDir, { recursive: true, force: true });
      }
    },
  };
}
