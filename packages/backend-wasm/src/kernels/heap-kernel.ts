import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { HeapSpace } from '../runtime/heap-space.js';
import { type BackendWasmLike, delegate, type KernelContext } from './context.js';

/** Largest job descriptor any heap kernel writes, in i32 words. */
const JOB_WORDS = 64;

/**
 * Reserves the job block, then makes the output (which may grow tfjs' memory, so
 * addresses are taken after it), writes the job and runs the task in tfjs' heap.
 */
export function runHeapJob(
  heap: HeapSpace,
  kind: number,
  words: (job: number) => ArrayLike<number>,
): void {
  const job = heap.scratch(JOB_WORDS * 4);
  const w = words(job);
  if (w.length > JOB_WORDS) throw new Error(`job of ${w.length} words exceeds ${JOB_WORDS}`);
  heap.i32.set(w, job >> 2);
  heap.run(kind, job);
}

/** What a heap kernel body gets; it returns null to hand the call to the stock kernel. */
export type HeapKernelBody = (
  args: Parameters<KernelFunc>[0],
  heap: HeapSpace,
  backend: BackendWasmLike,
) => TensorInfo | null;

/**
 * A kernel that runs in tfjs' heap (no copies): the stock kernel takes over where
 * tfjs' memory is not reachable or the body declines (dtype, shape, bad indices),
 * so unsupported input gets exactly tfjs' own result or error.
 */
export function heapKernel(
  ctx: KernelContext,
  kernelName: string,
  body: HeapKernelBody,
): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    ctx.counters(kernelName).calls++;
    const backend = args.backend as unknown as BackendWasmLike;
    const heap = ctx.heap(backend);
    const out = heap ? body(args, heap, backend) : null;
    return out ?? delegate(ctx, kernelName, args);
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}

/** Shares x's data under a new shape (as tfjs' Reshape does): no copy. */
export function shareData(
  backend: BackendWasmLike & { incRef(dataId: TensorInfo['dataId']): void },
  x: TensorInfo,
  shape: number[] = x.shape,
): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
}
