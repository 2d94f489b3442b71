import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The slice of tfjs-backend-wasm's BackendWasm that JS kernels use: tensors
 * live in the wasm heap and are viewed as typed arrays without copying.
 */
export interface WasmBackendLike {
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: TensorInfo['dtype']): TensorInfo;
}

/**
 * UnsortedSegmentSum: stock tfjs-wasm has none, and `tf.gather`'s gradient
 * calls it, so embeddings cannot train on wasm without it. Same semantics as
 * the cpu kernel: ids outside [0, numSegments) contribute nothing.
 */
const unsortedSegmentSum: KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const b = backend as unknown as WasmBackendLike;
  const inner = x.shape.slice(segmentIds.shape.length).reduce((a, d) => a * d, 1);
  const out = b.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  const src = b.typedArrayFromHeap(x);
  const ids = b.typedArrayFromHeap(segmentIds);
  const dst = b.typedArrayFromHeap(out);
  dst.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const from = i * inner;
    const to = s * inner;
    for (let j = 0; j < inner; j++) dst[to + j] += src[from + j];
  }
  return out;
};

/** Kernels stock tfjs-wasm lacks that training in kd needs. */
export const wasmTrainingKernels: KernelConfig[] = [
  { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum },
];
