import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { TASK_BINARY, TASK_UNARY } from '../runtime/tasks.js';
import { broadcastShapes, broadcastStrides, sizeOf } from './broadcast.js';
import type { KernelContext } from './context.js';
import { heapKernel, runHeapJob } from './heap-kernel.js';

const MAX_RANK = 8;

/**
 * The broadcast as few dimensions as possible: size-1 output dimensions dropped,
 * neighbours merged where both operands are contiguous across them (or both
 * broadcast), so a [2048,256]+[256] add is one dimension of rows over one of 256.
 */
export function collapse(
  shape: readonly number[],
  sa: readonly number[],
  sb: readonly number[],
): { shape: number[]; sa: number[]; sb: number[] } {
  const dims: { n: number; a: number; b: number }[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const cur = { n: shape[d]!, a: sa[d]!, b: sb[d]! };
    const prev = dims[dims.length - 1];
    if (prev && prev.a === cur.a * cur.n && prev.b === cur.b * cur.n) {
      prev.n *= cur.n;
      prev.a = cur.a;
      prev.b = cur.b;
    } else dims.push(cur);
  }
  if (dims.length === 0) dims.push({ n: 1, a: 0, b: 0 });
  return { shape: dims.map((d) => d.n), sa: dims.map((d) => d.a), sb: dims.map((d) => d.b) };
}

const BINARY_OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;

function binaryConfig(ctx: KernelContext, name: keyof typeof BINARY_OPS): KernelConfig {
  const op = BINARY_OPS[name];
  return heapKernel(ctx, name, (args, heap, backend) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
    const outShape = broadcastShapes(a.shape, b.shape);
    if (!outShape) return null;
    const c = collapse(
      outShape,
      broadcastStrides(a.shape, outShape)!,
      broadcastStrides(b.shape, outShape)!,
    );
    if (c.shape.length > MAX_RANK) return null;
    if (sizeOf(outShape) === 0) return backend.makeOutput(outShape, 'float32');
    let out: TensorInfo | undefined;
    runHeapJob(heap, TASK_BINARY, () => {
      out = backend.makeOutput(outShape, 'float32');
      const w = new Array<number>(5 + 4 * MAX_RANK).fill(0);
      w[0] = op;
      w[1] = c.shape.length;
      w[2] = heap.address(out);
      w[3] = heap.address(a);
      w[4] = heap.address(b);
      for (let d = 0; d < c.shape.length; d++) {
        w[5 + d] = c.shape[d]!;
        w[5 + MAX_RANK + d] = c.sa[d]!;
        w[5 + 2 * MAX_RANK + d] = c.sb[d]!;
      }
      return w;
    });
    return out!;
  });
}

const UNARY_OPS = { Exp: 0, Erf: 1, Sqrt: 2, Rsqrt: 3, Square: 4, Neg: 5 } as const;

function unaryConfig(ctx: KernelContext, name: keyof typeof UNARY_OPS): KernelConfig {
  const op = UNARY_OPS[name];
  return heapKernel(ctx, name, (args, heap, backend) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32') return null;
    const n = sizeOf(x.shape);
    if (n === 0) return backend.makeOutput(x.shape, 'float32');
    let out: TensorInfo | undefined;
    runHeapJob(heap, TASK_UNARY, () => {
      out = backend.makeOutput(x.shape, 'float32');
      return [op, n, heap.address(x), heap.address(out)];
    });
    return out!;
  });
}

export const binaryConfigs = (ctx: KernelContext): KernelConfig[] =>
  (Object.keys(BINARY_OPS) as (keyof typeof BINARY_OPS)[]).map((n) => binaryConfig(ctx, n));

export const unaryConfigs = (ctx: KernelContext): KernelConfig[] =>
  (Object.keys(UNARY_OPS) as (keyof typeof UNARY_OPS)[]).map((n) => unaryConfig(ctx, n));
