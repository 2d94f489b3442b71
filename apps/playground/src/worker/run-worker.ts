// The Web Worker that trains: one per run, so every run starts from a clean
// tfjs engine and the page stays responsive however long a step takes.
import { AbortedError, disposeBackend, type Progress } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { createRegistry } from '../registry.js';
import { runRecipe } from '../run.js';
import { startBackend } from './backend.js';
import type { FromWorker, RunRequest, ToWorker } from './protocol.js';

const scope = globalThis as unknown as {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};
const post = (message: FromWorker) => scope.postMessage(message);

const controller = new AbortController();
let cancelFlag: Int32Array | undefined;

/** Turns the page's shared cancel flag into an abort, between steps. */
function pollCancel(): void {
  if (cancelFlag && !controller.signal.aborted && Atomics.load(cancelFlag, 0) !== 0) {
    controller.abort(new AbortedError('cancelled from the page'));
  }
}

function progressToPage(): Progress {
  let stages = 0;
  return {
    log(message) {
      pollCancel();
      post({ type: 'log', message });
    },
    stage(name, total, unit) {
      pollCancel();
      const stage = stages++;
      let done = 0;
      post({ type: 'stage', stage, name, total, unit });
      return {
        tick(n = 1, info) {
          done += n;
          post({ type: 'tick', stage, done, info });
          pollCancel();
        },
        done(info) {
          post({ type: 'stage-done', stage, info });
          pollCancel();
        },
      };
    },
  };
}

async function run(request: RunRequest): Promise<void> {
  cancelFlag = request.cancelFlag;
  const registry = createRegistry();
  try {
    const report = await startBackend(request.backend, registry);
    post({ type: 'backend', report });
    const out = await runRecipe(request.recipe, registry, {
      progress: progressToPage(),
      signal: controller.signal,
    });
    post({
      type: 'result',
      result: out.result,
      adapters: out.adapters,
      numTensors: tf.memory().numTensors,
    });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    post({
      type: 'error',
      name: e.name,
      message: e.message,
      aborted: e instanceof AbortedError || controller.signal.aborted,
    });
  } finally {
    await disposeBackend().catch(() => {});
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'cancel') {
    // Reaches a task that awaits between steps; the shared flag reaches the others.
    controller.abort(new AbortedError('cancelled from the page'));
  } else if (message.type === 'run') {
    void run(message);
  }
};
