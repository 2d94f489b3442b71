/** What the current JavaScript environment allows the kernels to do with threads. */
export interface ThreadSupport {
  /** Shared WebAssembly memory can be created (SharedArrayBuffer is exposed). */
  sharedMemory: boolean;
  /** This thread may block in Atomics.wait (Node, or a browser worker). */
  canBlock: boolean;
  /** How workers are made here, or null where there is no way. */
  workers: 'node' | 'web' | null;
  /** Why threads are off, when they are. */
  reason?: string;
}

interface MaybeGlobals {
  process?: { versions?: { node?: string } };
  crossOriginIsolated?: boolean;
  Worker?: unknown;
  WorkerGlobalScope?: unknown;
  window?: unknown;
}

export function isNode(): boolean {
  return Boolean((globalThis as MaybeGlobals).process?.versions?.node);
}

export function threadSupport(): ThreadSupport {
  const g = globalThis as MaybeGlobals;
  let sharedMemory = typeof SharedArrayBuffer !== 'undefined';
  if (sharedMemory) {
    try {
      new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    } catch {
      sharedMemory = false;
    }
  }
  if (isNode()) {
    return sharedMemory
      ? { sharedMemory, canBlock: true, workers: 'node' }
      : { sharedMemory, canBlock: true, workers: 'node', reason: 'no shared WebAssembly memory' };
  }
  // Browsers hand out SharedArrayBuffer only to cross-origin isolated pages (COOP+COEP).
  const inWorker = typeof g.WorkerGlobalScope !== 'undefined' && typeof g.window === 'undefined';
  const workers = typeof g.Worker === 'function' ? 'web' : null;
  let reason: string | undefined;
  if (!sharedMemory) {
    reason =
      g.crossOriginIsolated === false
        ? 'page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)'
        : 'no shared WebAssembly memory';
  } else if (!workers) {
    reason = 'no Worker constructor here';
  }
  return { sharedMemory, canBlock: inWorker, workers, ...(reason ? { reason } : {}) };
}
