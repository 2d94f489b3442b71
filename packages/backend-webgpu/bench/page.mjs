// The bench page (bundled by bench/run.mjs): matmul GFLOP/s and the parity suite on
// one backend at a time, from the built package (dist/).
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { setupWebGPU } from '../dist/index.js';
import { parityCases, runParity } from '../dist/parity/index.js';
import { matmulGflops } from './matmul-core.mjs';

async function use(backend) {
  if (backend === 'webgpu') {
    const info = await setupWebGPU({ cpuForward: false });
    await initBackend({ backend: 'webgpu' });
    return info;
  }
  return initBackend({ backend, wasmPaths: '/tfjs-wasm/' });
}

globalThis.kdBench = {
  async matmul(backend, sizes) {
    const info = await use(backend);
    return { info, rows: await matmulGflops(sizes), backend: tf.getBackend() };
  },
  async parity(backend) {
    const info = await use(backend);
    const run = await runParity(parityCases());
    // Plain arrays are slow to hand back through page.evaluate; the bench only
    // needs the numbers compared in the page.
    return { info, run };
  },
};
document.title = 'ready';
