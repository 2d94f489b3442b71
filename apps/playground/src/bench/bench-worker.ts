// Runs the benchmarks for one backend configuration and reports each number as
// soon as it is measured.
import { disposeBackend } from '@kd/core';
import { createRegistry } from '../registry.js';
import { startBackend } from '../worker/backend.js';
import { timeGcnEpoch, timeMatmul, timeStoriesStep } from './measure.js';
import type { BenchRequest, FromBenchWorker } from './protocol.js';

const scope = globalThis as unknown as {
  postMessage(message: FromBenchWorker): void;
  onmessage: ((event: MessageEvent<BenchRequest>) => void) | null;
};
const post = (message: FromBenchWorker) => scope.postMessage(message);

scope.onmessage = async (event) => {
  const request = event.data;
  try {
    const report = await startBackend(request.backend, createRegistry());
    post({ type: 'backend', report });
    for (const n of request.sizes)
      post({ type: 'matmul', timing: await timeMatmul(n, request.repeats) });
    for (const step of request.steps) {
      const timing =
        step.id === 'cora-gcn' ? await timeGcnEpoch(step.count) : await timeStoriesStep(step.count);
      post({ type: 'step', timing });
    }
    post({ type: 'done' });
  } catch (error) {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  } finally {
    await disposeBackend().catch(() => {});
  }
};
