// The page the browser parity test loads (bundled by esbuild in the test): it runs
// the parity cases on a backend of the test's choosing and hands the numbers back
// through page.evaluate.
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { setupWebGPU, type WebGPUOptionsInput } from '../../src/index.js';
import {
  type ParityRun,
  parityCases,
  type RunParityOptions,
  runParity,
} from '../../src/parity/index.js';

const cases = parityCases();

/**
 * Values cross page.evaluate as base64 Float64 bytes: Playwright serialises a plain
 * array number by number, which costs seconds for the suite's ~100k values.
 */
function pack(run: ParityRun): ParityRun {
  const results = run.results.map((r) => ({
    ...r,
    outputs: r.outputs.map((o) => {
      const bytes = new Uint8Array(Float64Array.from(o.values).buffer);
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) {
        text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      }
      return { ...o, values: [], packed: btoa(text) };
    }),
  }));
  return { ...run, results };
}

async function use(backend: 'cpu' | 'wasm' | 'webgpu', webgpu: WebGPUOptionsInput = {}) {
  if (backend === 'webgpu') {
    const info = await setupWebGPU({ cpuForward: false, ...webgpu });
    await initBackend({ backend: 'webgpu' });
    return info;
  }
  return initBackend({ backend, wasmPaths: '/tfjs-wasm/' });
}

export interface PageRunOptions extends RunParityOptions {
  /** Options for setupWebGPU (webgpu only). */
  webgpu?: WebGPUOptionsInput;
}

const api = {
  caseNames: cases.map((c) => c.name),
  async run(backend: 'cpu' | 'wasm' | 'webgpu', options: PageRunOptions = {}) {
    const { webgpu, ...parity } = options;
    const info = await use(backend, webgpu);
    const run = pack(await runParity(cases, parity));
    return { info, run, numTensors: tf.memory().numTensors };
  },
};

(globalThis as { kd?: typeof api }).kd = api;
document.title = 'ready';
