import { BackendError } from '@kd/core';
import type { ThreadSupport } from './platform.js';
import { NODE_WORKER_SOURCE, WEB_WORKER_SOURCE } from './worker-source.js';

/** What the pool needs from a Node or browser worker. */
interface WorkerHandle {
  post(message: unknown): void;
  onMessage(fn: (message: { type: string; message?: string }) => void): void;
  onExit(fn: () => void): void;
  /** Lets the process exit while the worker sleeps (Node only). */
  unref(): void;
  terminate(): Promise<void>;
}

let live = 0;

/** Workers started by any pool that have not exited yet (for leak checks). */
export function liveWorkers(): number {
  return live;
}

async function nodeWorker(name: string): Promise<WorkerHandle> {
  // A computed specifier keeps bundlers from trying to package worker_threads for browsers.
  const specifier = 'node:worker_threads';
  const { Worker } = (await import(
    /* @vite-ignore */ specifier
  )) as typeof import('node:worker_threads');
  const w = new Worker(NODE_WORKER_SOURCE, { eval: true, name });
  return {
    post: (m) => w.postMessage(m),
    onMessage: (fn) => w.on('message', fn),
    onExit: (fn) => w.once('exit', fn),
    unref: () => w.unref(),
    terminate: async () => {
      await w.terminate();
    },
  };
}

function webWorker(name: string): WorkerHandle {
  const url = URL.createObjectURL(new Blob([WEB_WORKER_SOURCE], { type: 'text/javascript' }));
  const w = new Worker(url, { name });
  URL.revokeObjectURL(url);
  let exited: (() => void) | undefined;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    exited?.();
  };
  w.addEventListener('message', (e: MessageEvent) => {
    if ((e.data as { type?: string })?.type === 'exit') finish();
  });
  return {
    post: (m) => w.postMessage(m),
    onMessage: (fn) => w.addEventListener('message', (e: MessageEvent) => fn(e.data)),
    onExit: (fn) => {
      exited = fn;
    },
    unref: () => {},
    terminate: async () => {
      w.terminate();
      finish();
    },
  };
}

/**
 * Workers that each instantiate the threaded module over one shared memory and sit
 * in its workerLoop. Dispatch goes through the control block in that memory, not
 * through messages; messages only carry start-up, error reports and exit.
 */
export class WorkerPool {
  readonly size: number;
  readonly #handles: WorkerHandle[];
  #exited: Promise<void>[];

  private constructor(handles: WorkerHandle[], exited: Promise<void>[]) {
    this.#handles = handles;
    this.#exited = exited;
    this.size = handles.length;
  }

  /**
   * Starts `count` workers and resolves once every one has instantiated the module
   * (so no kernel ever waits on a worker that is still loading). Rejects, with every
   * started worker stopped, if one fails or none answers within `timeoutMs`.
   */
  static async start(
    support: ThreadSupport,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    count: number,
    generation: number,
    timeoutMs = 10_000,
  ): Promise<WorkerPool> {
    const handles: WorkerHandle[] = [];
    const exited: Promise<void>[] = [];
    const ready: Promise<void>[] = [];
    try {
      for (let tid = 1; tid <= count; tid++) {
        const name = `kd-wasm-kernels-${tid}`;
        const h = support.workers === 'node' ? await nodeWorker(name) : webWorker(name);
        live++;
        handles.push(h);
        exited.push(
          new Promise<void>((resolve) =>
            h.onExit(() => {
              live--;
              resolve();
            }),
          ),
        );
        ready.push(
          new Promise<void>((resolve, reject) => {
            h.onMessage((m) => {
              if (m.type === 'ready') resolve();
              else if (m.type === 'failed') reject(new Error(m.message));
            });
          }),
        );
        h.post({ module, memory, tid, generation });
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`workers did not start within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([Promise.all(ready), timeout]);
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      await Promise.all(handles.map((h) => h.terminate()));
      await Promise.all(exited);
      throw new BackendError(
        `could not start ${count} kernel worker(s): ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
    }
    // Sleeping workers must not keep a finished Node process alive.
    for (const h of handles) h.unref();
    return new WorkerPool(handles, exited);
  }

  /** Stops every worker (the module's loop has been told to quit) and waits for exit. */
  async stop(): Promise<void> {
    await Promise.all(this.#handles.map((h) => h.terminate()));
    await Promise.all(this.#exited);
    this.#exited = [];
  }
}
