import { backend_util, type KernelConfig, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { TASK_REDUCE } from '../runtime/tasks.js';
import { sizeOf } from './broadcast.js';
import type { KernelContext } from './context.js';
import { heapKernel, runHeapJob } from './heap-kernel.js';

/**
 * The reduction as [outer, r, inner] when the reduced axes form one contiguous
 * block once size-1 axes are ignored (rows: [K,R]; columns: [R,K]; both: [K,R,K]),
 * else null (the stock kernel transposes first).
 */
export function reductionView(
  shape: readonly number[],
  axes: readonly number[],
): { outer: number; r: number; inner: number } | null {
  let outer = 1;
  let r = 1;
  let inner = 1;
  let phase = 0; // 0: before the reduced block, 1: in it, 2: after it
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const reduced = axes.includes(d);
    if (reduced) {
      if (phase === 2) return null;
      phase = 1;
      r *= n;
    } else if (phase === 0) outer *= n;
    else {
      phase = 2;
      inner *= n;
    }
  }
  return { outer, r, inner };
}

function reduceConfig(ctx: KernelContext, name: 'Sum' | 'Mean', op: number): KernelConfig {
  return heapKernel(ctx, name, (args, heap, backend) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32') return null;
    const axes = util.parseAxisParam(axis, x.shape);
    const view = reductionView(x.shape, axes);
    if (!view) return null;
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const shape = keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    if (sizeOf(shape) === 0) return backend.makeOutput(shape, 'float32');
    let out: TensorInfo | undefined;
    runHeapJob(heap, TASK_REDUCE, () => {
      out = backend.makeOutput(shape, 'float32');
      return [op, view.outer, view.r, view.inner, heap.address(x), heap.address(out)];
    });
    return out!;
  });
}

export const reduceConfigs = (ctx: KernelContext): KernelConfig[] => [
  reduceConfig(ctx, 'Sum', 0),
  reduceConfig(ctx, 'Mean', 1),
];
