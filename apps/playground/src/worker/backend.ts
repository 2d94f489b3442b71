// Starting a tensor backend inside the Web Worker: tfjs-wasm with kd's SIMD
// kernels and worker pool, WebGPU through @kd/backend-webgpu, or plain cpu.
import { setupWebGPU, type WebGPUInfo } from '@kd/backend-webgpu';
import { BackendError, type BackendInfo, initBackend, type Registry } from '@kd/core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import plainWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice, BackendReport } from './protocol.js';

/** tfjs-wasm's binaries, where Vite put them (hashed names, so a file map). */
const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': plainWasm,
  'tfjs-backend-wasm-simd.wasm': simdWasm,
  'tfjs-backend-wasm-threaded-simd.wasm': threadedWasm,
};

function environment() {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: Navigator };
  return {
    crossOriginIsolated: g.crossOriginIsolated === true,
    hardwareConcurrency: g.navigator?.hardwareConcurrency ?? 1,
  };
}

/**
 * Gives tfjs-wasm's own XNNPACK pool (used by the stock kernels kd does not
 * replace) the same thread count as kd's kernels. tfjs-wasm takes at most
 * `navigator.hardwareConcurrency / 2` threads, read when it starts in this
 * worker: one thread on a 2-core machine whatever it is asked. The worker is
 * ours and runs nothing else, so it reports enough cores for the count chosen.
 */
function shareThreadsWithTfjs(threads: number): void {
  setThreadsCount(threads);
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav && (nav.hardwareConcurrency ?? 1) < 2 * threads) {
    Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
  }
}

/**
 * kd's training loops read losses and logits synchronously (`dataSync`), which
 * tfjs-webgpu does through a WebGPU canvas drawn into a 2D one. Where that
 * interop is missing — headless Chromium's SwiftShader adapter unless started
 * with `--use-angle=swiftshader --use-webgpu-adapter=opengles` — the read
 * returns zeros without an error. Compare one synchronous read with an
 * asynchronous one before training, so the page never shows numbers made of zeros.
 */
async function checkSyncReads(adapter: string): Promise<void> {
  // 4,096 elements: tfjs runs ops on inputs under 1,000 elements on the CPU.
  const make = () => tf.tidy(() => tf.add(tf.range(0, 4096, 1, 'float32'), tf.scalar(1)));
  const a = make();
  const b = make();
  try {
    const expected = await a.data();
    const got = b.dataSync();
    if (got[0] !== expected[0] || got[4095] !== expected[4095]) {
      throw new BackendError(
        `synchronous reads of WebGPU data return wrong values on this adapter (${adapter}): got ${got[0]}, ${got[4095]} instead of ${expected[0]}, ${expected[4095]}. kd's training loops read synchronously, so results would be wrong; use WASM here (in headless Chromium, start it with --use-angle=swiftshader --use-webgpu-adapter=opengles).`,
      );
    }
  } finally {
    tf.dispose([a, b]);
  }
}

/**
 * Starts `choice.backend` with `choice.threads` kernel threads. Threads need a
 * cross-origin isolated page; elsewhere @kd/backend-wasm runs on one thread and
 * says why, and the report carries that reason for the page to show.
 */
export async function startBackend(
  choice: BackendChoice,
  registry: Registry,
): Promise<BackendReport> {
  const env = environment();
  let webgpu: WebGPUInfo | undefined;
  let info: BackendInfo;
  if (choice.backend === 'webgpu') {
    // Software adapters are accepted: on a machine without a GPU this is
    // SwiftShader, reported as such on the page.
    webgpu = await setupWebGPU();
    info = await initBackend({ backend: 'webgpu', registry });
    await checkSyncReads(webgpu.adapter.architecture || webgpu.adapter.description);
  } else if (choice.backend === 'wasm') {
    if (env.crossOriginIsolated) shareThreadsWithTfjs(choice.threads);
    info = await initBackend({
      backend: 'wasm',
      threads: choice.threads,
      wasmPaths: WASM_PATHS,
      registry,
    });
  } else {
    info = await initBackend({ backend: 'cpu', registry });
  }
  const provider = info.providers['wasm-simd'] ?? {};
  let tfjsThreads: number | undefined;
  if (info.backend === 'wasm') {
    try {
      tfjsThreads = getThreadsCount();
    } catch {
      tfjsThreads = undefined;
    }
  }
  return {
    requested: choice,
    info,
    webgpu,
    ...env,
    tfjsThreads,
    threadNote:
      typeof provider.reason === 'string'
        ? provider.reason
        : choice.backend === 'wasm' && choice.threads > 1 && !env.crossOriginIsolated
          ? 'the page is not cross-origin isolated, so WASM runs on one thread'
          : undefined,
  };
}
