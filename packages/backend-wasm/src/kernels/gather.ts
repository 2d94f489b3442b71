import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
import { TASK_GATHER, TASK_SEGMENT_SUM, TASK_TRANSPOSE_ROWS } from '../runtime/tasks.js';
import { sizeOf } from './broadcast.js';
import type { BackendWasmLike, KernelContext } from './context.js';
import { heapKernel, runHeapJob, shareData } from './heap-kernel.js';

const MAX_RANK = 8;
type Sharing = BackendWasmLike & { incRef(dataId: TensorInfo['dataId']): void };

/** 4-byte element types the row kernels can move. */
const isWord = (t: TensorInfo) => t.dtype === 'float32' || t.dtype === 'int32';

function inRange(ids: Int32Array, limit: number): boolean {
  for (let i = 0; i < ids.length; i++) if (ids[i]! < 0 || ids[i]! >= limit) return false;
  return true;
}

/**
 * GatherV2 without batch dimensions: row copies. Out-of-range indices go to the
 * stock kernel, so they fail (or not) exactly as tfjs-wasm does.
 */
function gatherConfig(ctx: KernelContext): KernelConfig {
  return heapKernel(ctx, 'GatherV2', (args, heap, backend) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims = 0 } = args.attrs as { axis: number; batchDims?: number };
    if (!isWord(x) || indices.dtype !== 'int32' || batchDims !== 0) return null;
    const ax = util.parseAxisParam(axis, x.shape)[0]!;
    const axisDim = x.shape[ax]!;
    const ids = backend.typedArrayFromHeap(indices) as Int32Array;
    if (!inRange(ids, axisDim)) return null;
    const outShape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
    if (sizeOf(outShape) === 0) return backend.makeOutput(outShape, x.dtype);
    let out: TensorInfo | undefined;
    runHeapJob(heap, TASK_GATHER, () => {
      out = backend.makeOutput(outShape, x.dtype);
      return [
        sizeOf(x.shape.slice(0, ax)),
        axisDim,
        ids.length,
        sizeOf(x.shape.slice(ax + 1)),
        heap.address(x),
        heap.address(indices),
        heap.address(out),
      ];
    });
    return out!;
  });
}

/** UnsortedSegmentSum (gather's gradient): zero, then add rows; bad ids are skipped. */
function segmentSumConfig(ctx: KernelContext): KernelConfig {
  return heapKernel(ctx, 'UnsortedSegmentSum', (args, heap, backend) => {
    const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const { numSegments } = args.attrs as { numSegments: number };
    if (x.dtype !== 'float32' || segmentIds.dtype !== 'int32') return null;
    const lead = segmentIds.shape.length;
    if (!util.arraysEqual(x.shape.slice(0, lead), segmentIds.shape)) return null;
    const innerShape = x.shape.slice(lead);
    const outShape = [numSegments, ...innerShape];
    if (sizeOf(outShape) === 0) return backend.makeOutput(outShape, 'float32');
    let out: TensorInfo | undefined;
    runHeapJob(heap, TASK_SEGMENT_SUM, () => {
      out = backend.makeOutput(outShape, 'float32');
      return [
        sizeOf(segmentIds.shape),
        sizeOf(innerShape),
        numSegments,
        heap.address(x),
        heap.address(segmentIds),
        heap.address(out),
      ];
    });
    return out!;
  });
}

/**
 * Transpose where the last axis stays last (attention's [B,T,H,D] ↔ [B,H,T,D]):
 * contiguous row copies; permutations that only move size-1 axes share the data.
 * Others go to the stock kernel.
 */
function transposeConfig(ctx: KernelContext): KernelConfig {
  return heapKernel(ctx, 'Transpose', (args, heap, backend) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { perm } = args.attrs as { perm: number[] };
    if (!isWord(x)) return null;
    const outShape = perm.map((p) => x.shape[p]!);
    if (sizeOf(outShape) === 0) return backend.makeOutput(outShape, x.dtype);
    // Output axes with their source strides, size-1 axes dropped, then merged.
    const srcStrides = util.computeStrides(x.shape).concat(1);
    const dims: { n: number; s: number }[] = [];
    for (const p of perm) {
      const n = x.shape[p]!;
      if (n === 1) continue;
      const s = srcStrides[p]!;
      const prev = dims[dims.length - 1];
      if (prev && prev.s === s * n) {
        prev.n *= n;
        prev.s = s;
      } else dims.push({ n, s });
    }
    if (dims.length <= 1) return shareData(backend as Sharing, x, outShape);
    const row = dims.pop()!;
    if (row.s !== 1 || dims.length > MAX_RANK) return null;
    let out: TensorInfo | undefined;
    runHeapJob(heap, TASK_TRANSPOSE_ROWS, () => {
      out = backend.makeOutput(outShape, x.dtype);
      const w = new Array<number>(4 + 3 * MAX_RANK).fill(0);
      w[0] = dims.length;
      w[1] = row.n;
      w[2] = heap.address(x);
      w[3] = heap.address(out);
      dims.forEach((d, i) => {
        w[4 + i] = d.n;
        w[4 + MAX_RANK + i] = d.s;
      });
      return w;
    });
    return out!;
  });
}

/** Identity, and Cast to the same dtype: share the data (tfjs-wasm copies it). */
function identityConfigs(ctx: KernelContext): KernelConfig[] {
  return [
    heapKernel(ctx, 'Identity', (args, _heap, backend) => {
      const { x } = args.inputs as { x: TensorInfo };
      return shareData(backend as Sharing, x);
    }),
    heapKernel(ctx, 'Cast', (args, _heap, backend) => {
      const { x } = args.inputs as { x: TensorInfo };
      const { dtype } = args.attrs as { dtype: string };
      return dtype === x.dtype && dtype !== 'complex64' ? shareData(backend as Sharing, x) : null;
    }),
  ];
}

export const gatherConfigs = (ctx: KernelContext): KernelConfig[] => [
  gatherConfig(ctx),
  segmentSumConfig(ctx),
  transposeConfig(ctx),
  ...identityConfigs(ctx),
];
