// Check this machine's WebGPU adapter against the cpu backend: every op kd uses,
// forward and backward, within the tolerances of @kd/backend-webgpu/parity.

import { setupWebGPU } from '@kd/backend-webgpu';
import {
  compareParity,
  formatParity,
  parityCases,
  runParity,
  worstByClass,
} from '@kd/backend-webgpu/parity';
import { initBackend } from '@kd/core';

const cases = parityCases();
await initBackend({ backend: 'cpu' });
const reference = (await runParity(cases)).results;

// cpuForward: false runs every op on the GPU (tfjs hands small ones to the CPU).
const info = await setupWebGPU({ cpuForward: false });
await initBackend({ backend: 'webgpu' });
const run = await runParity(cases);
export const rows = compareParity(cases, reference, run.results);

console.log(`${info.adapter.description || info.adapter.architecture}, ${run.ms.toFixed(0)} ms`);
console.log(formatParity(rows, { failuresOnly: true }) || `all ${rows.length} outputs agree`);
console.log(worstByClass(rows)); // { reduce: { error: 4.5e-7, case: … }, … }
