// The page's side of a run: starts a fresh worker, forwards its messages, and
// cancels — through the shared flag (read between steps) where the page is
// cross-origin isolated, else by message, and as a last resort by ending the
// worker when it does not stop in time.

import type { RecipeSpec } from '../recipes/prepare.js';
import type { BackendChoice, FromWorker, RunRequest } from './protocol.js';

export type RunEnd = 'finished' | 'failed' | 'cancelled';

/** How long a cancelled run may take to reach the end of its step before the worker is ended. */
export const CANCEL_GRACE_MS = 20_000;

export class RecipeRun {
  readonly done: Promise<RunEnd>;
  readonly #worker: Worker;
  readonly #flag: Int32Array | undefined;
  #settle!: (end: RunEnd) => void;
  #cancelled = false;
  #ended = false;

  constructor(
    recipe: RecipeSpec,
    backend: BackendChoice,
    onMessage: (message: FromWorker) => void,
  ) {
    this.done = new Promise((resolve) => (this.#settle = resolve));
    this.#flag =
      typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated
        ? new Int32Array(new SharedArrayBuffer(4))
        : undefined;
    this.#worker = new Worker(new URL('./run-worker.ts', import.meta.url), {
      type: 'module',
      name: 'kd-run',
    });
    this.#worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      onMessage(message);
      if (message.type === 'result') this.#end('finished');
      else if (message.type === 'error') this.#end(message.aborted ? 'cancelled' : 'failed');
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      onMessage({
        type: 'error',
        name: 'WorkerError',
        message: event.message || 'the worker failed to start',
        aborted: false,
      });
      this.#end('failed');
    };
    const request: RunRequest = { type: 'run', recipe, backend, cancelFlag: this.#flag };
    this.#worker.postMessage(request);
  }

  get cancelling(): boolean {
    return this.#cancelled && !this.#ended;
  }

  /** Asks the task to stop after its current step; ends the worker if it does not in time. */
  cancel(graceMs = CANCEL_GRACE_MS): void {
    if (this.#ended || this.#cancelled) return;
    this.#cancelled = true;
    if (this.#flag) Atomics.store(this.#flag, 0, 1);
    this.#worker.postMessage({ type: 'cancel' });
    setTimeout(() => {
      if (!this.#ended) this.#end('cancelled');
    }, graceMs);
  }

  #end(end: RunEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#worker.terminate();
    this.#settle(end);
  }
}
