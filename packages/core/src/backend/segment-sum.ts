import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

type Values = Float32Array | Int32Array | Uint8Array;

/** out[ids[i]] += x[i] over rows of `inner` values; ids outside [0, n) add nothing. */
function segmentSumInto(src: Values, ids: Values, dst: Values, inner: number, numSegments: number) {
  dst.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const from = i * inner;
    const to = s * inner;
    for (let j = 0; j < inner; j++) dst[to + j] += src[from + j];
  }
}

function outputShape(x: TensorInfo, segmentIds: TensorInfo, numSegments: number) {
  const innerShape = x.shape.slice(segmentIds.shape.length);
  return { shape: [numSegments, ...innerShape], inner: innerShape.reduce((a, d) => a * d, 1) };
}

/**
 * The slice of tfjs-backend-wasm's BackendWasm that JS kernels use: tensors
 * live in the wasm heap and are viewed as typed arrays without copying.
 */
export interface WasmBackendLike {
  typedArrayFromHeap(t: TensorInfo): Values;
  makeOutput(shape: number[], dtype: TensorInfo['dtype']): TensorInfo;
}

/** The slice of tfjs-backend-cpu's MathBackendCPU that JS kernels use. */
export interface CpuBackendLike {
  data: { get(dataId: object): { values: Values } };
  makeTensorInfo(shape: number[], dtype: TensorInfo['dtype'], values: Values): TensorInfo;
}

/**
 * UnsortedSegmentSum, the kernel `tf.gather`'s gradient calls (embeddings,
 * message passing). Stock tfjs-wasm has none; stock tfjs-cpu runs one
 * equal/multiply/sum pass per segment, O(segments · rows · dim), which is 90%
 * of a cpu training step with a 2k vocabulary. This is one O(rows · dim)
 * pass on both, with the cpu kernel's semantics.
 */
const wasmSegmentSum: KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const b = backend as unknown as WasmBackendLike;
  const { shape, inner } = outputShape(x, segmentIds, numSegments);
  const out = b.makeOutput(shape, x.dtype);
  segmentSumInto(
    b.typedArrayFromHeap(x),
    b.typedArrayFromHeap(segmentIds),
    b.typedArrayFromHeap(out),
    inner,
    numSegments,
  );
  return out;
};

const cpuSegmentSum: KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const b = backend as unknown as CpuBackendLike;
  const { shape, inner } = outputShape(x, segmentIds, numSegments);
  const dst =
    x.dtype === 'int32'
      ? new Int32Array(numSegments * inner)
      : new Float32Array(numSegments * inner);
  segmentSumInto(
    b.data.get(x.dataId).values,
    b.data.get(segmentIds.dataId).values,
    dst,
    inner,
    numSegments,
  );
  return b.makeTensorInfo(shape, x.dtype, dst);
};

export const segmentSumKernels: Record<string, KernelConfig> = {
  wasm: { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: wasmSegmentSum },
  cpu: { kernelName: 'UnsortedSegmentSum', backendName: 'cpu', kernelFunc: cpuSegmentSum },
};
