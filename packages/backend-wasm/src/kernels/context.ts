import type { KernelFunc } from '@tensorflow/tfjs-core';
import type { BackendWasmLike, HeapSpace } from '../runtime/heap-space.js';
import type { PrivateSpace } from '../runtime/private-space.js';

export type { BackendWasmLike } from '../runtime/heap-space.js';

/** Per-kernel counters, reported by the provider's `stats()`. */
export interface KernelCounters {
  calls: number;
  /** Calls handed to the stock kernel (unsupported dtype or shape, or no memory). */
  fallbacks: number;
  /** Calls that ran on more than one thread. */
  threaded: number;
}

/** What every kd kernel gets: where to run, the stock kernels and the tuning knobs. */
export interface KernelContext {
  /** The module over tfjs' own heap for this backend (no copies), if reachable. */
  heap(backend: BackendWasmLike): HeapSpace | undefined;
  /** The module in its own memory, with workers when threads > 1. */
  pool: PrivateSpace | undefined;
  /** The kernel this one replaced, for inputs it does not handle. */
  stock(kernelName: string): KernelFunc | undefined;
  /** Below this many floating-point operations a task runs on one thread. */
  minParallelFlops: number;
  counters(kernelName: string): KernelCounters;
}

/** Runs the stock kernel, or throws what tfjs would if there is none. */
export function delegate(
  ctx: KernelContext,
  kernelName: string,
  args: Parameters<KernelFunc>[0],
): ReturnType<KernelFunc> {
  ctx.counters(kernelName).fallbacks++;
  const stock = ctx.stock(kernelName);
  if (!stock) throw new Error(`Kernel '${kernelName}' not registered for backend 'wasm'`);
  return stock(args);
}
