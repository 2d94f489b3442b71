import type { TensorInfo } from '@tensorflow/tfjs-core';
import { KernelMemoryError } from '../runtime/errors.js';
import type { HeapSpace } from '../runtime/heap-space.js';
import type { Space } from '../runtime/space.js';
import { aligned } from '../runtime/space.js';
import { TASK_GEMM } from '../runtime/tasks.js';
import { sizeOf } from './broadcast.js';
import type { BackendWasmLike, KernelContext } from './context.js';

// Job descriptor words, mirrored from asm/gemm.ts.
const J_NB = 0;
const J_M = 1;
const J_N = 2;
const J_K = 3;
const J_A = 4;
const J_LDA = 5;
const J_TA = 6;
const J_B = 7;
const J_LDB = 8;
const J_TB = 9;
const J_C = 10;
const J_OFF = 11;
const J_BIAS = 12;
const J_BSM = 13;
const J_BSN = 14;
const J_ACT = 15;
const J_ALPHA = 16;
const J_PRELU = 17;
const J_PSM = 18;
const J_PSN = 19;
const J_WORK = 20;
const J_WORDS = 21;

/** Activation codes of asm/gemm.ts, by tfjs' fused activation names. */
export const ACTIVATIONS: Readonly<Record<string, number>> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  prelu: 3,
  leakyrelu: 4,
  sigmoid: 5,
  elu: 6,
};

/** A bias or prelu tensor and where it is read (row and column strides; 0 = broadcast). */
export interface Broadcast {
  t: TensorInfo;
  sm: number;
  sn: number;
}

/** One (batched) op(A)·op(B) with optional bias and activation, as planned by matmul.ts. */
export interface GemmCall {
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  /** Per output matrix: element offsets into A, B, bias and prelu weights. */
  offsets: Int32Array;
  outShape: number[];
  a: TensorInfo;
  b: TensorInfo;
  bias?: Broadcast;
  prelu?: Broadcast;
  activation: number;
  alpha: number;
}

interface Addresses {
  a: number;
  b: number;
  c: number;
  bias: number;
  prelu: number;
}

function writeJob(
  space: Space,
  job: number,
  call: GemmCall,
  at: Addresses,
  offsets: number,
  work: number,
): void {
  const { i32, f32 } = space;
  i32.set(call.offsets, offsets >> 2);
  const w = job >> 2;
  i32[w + J_NB] = call.offsets.length / 4;
  i32[w + J_M] = call.m;
  i32[w + J_N] = call.n;
  i32[w + J_K] = call.k;
  i32[w + J_A] = at.a;
  i32[w + J_LDA] = call.transposeA ? call.m : call.k;
  i32[w + J_TA] = call.transposeA ? 1 : 0;
  i32[w + J_B] = at.b;
  i32[w + J_LDB] = call.transposeB ? call.k : call.n;
  i32[w + J_TB] = call.transposeB ? 1 : 0;
  i32[w + J_C] = at.c;
  i32[w + J_OFF] = offsets;
  i32[w + J_BIAS] = at.bias;
  i32[w + J_BSM] = call.bias?.sm ?? 0;
  i32[w + J_BSN] = call.bias?.sn ?? 0;
  i32[w + J_ACT] = call.activation;
  f32[w + J_ALPHA] = call.alpha;
  i32[w + J_PRELU] = at.prelu;
  i32[w + J_PSM] = call.prelu?.sm ?? 0;
  i32[w + J_PSN] = call.prelu?.sn ?? 0;
  i32[w + J_WORK] = work;
}

/** Zero-copy: operands and result stay in tfjs' heap; scratch comes from its malloc. */
function onHeap(heap: HeapSpace, backend: BackendWasmLike, call: GemmCall): TensorInfo {
  const jobBytes = aligned(J_WORDS * 4);
  const offBytes = aligned(call.offsets.byteLength);
  const base = heap.scratch(jobBytes + offBytes + heap.workBytes);
  const out = backend.makeOutput(call.outShape, 'float32');
  const at: Addresses = {
    a: heap.address(call.a),
    b: heap.address(call.b),
    c: heap.address(out),
    bias: call.bias ? heap.address(call.bias.t) : 0,
    prelu: call.prelu ? heap.address(call.prelu.t) : 0,
  };
  writeJob(heap, base, call, at, base + jobBytes, base + jobBytes + offBytes);
  heap.run(TASK_GEMM, base);
  return out;
}

/** Copies operands into the kernels' own memory, runs on `threads`, copies C out. */
function inPool(
  pool: Space & { workBytes: number },
  backend: BackendWasmLike,
  call: GemmCall,
  threads: number,
): TensorInfo {
  const views = [call.a, call.b, call.bias?.t, call.prelu?.t].map((t) =>
    t ? (backend.typedArrayFromHeap(t) as Float32Array) : undefined,
  );
  const outSize = sizeOf(call.outShape);
  const parts = [
    J_WORDS * 4,
    call.offsets.byteLength,
    threads * pool.workBytes,
    ...views.map((v) => v?.byteLength ?? 0),
    outSize * 4,
  ].map(aligned);
  const base = pool.scratch(parts.reduce((s, p) => s + p, 0));
  const starts: number[] = [];
  let p = base;
  for (const size of parts) {
    starts.push(p);
    p += size;
  }
  const [job, offsets, work, a, b, bias, prelu, c] = starts as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const f32 = pool.f32;
  f32.set(views[0]!, a >> 2);
  f32.set(views[1]!, b >> 2);
  if (views[2]) f32.set(views[2], bias >> 2);
  if (views[3]) f32.set(views[3], prelu >> 2);
  writeJob(
    pool,
    job,
    call,
    { a, b, c, bias: views[2] ? bias : 0, prelu: views[3] ? prelu : 0 },
    offsets,
    work,
  );
  pool.run(TASK_GEMM, job, threads);
  const out = backend.makeOutput(call.outShape, 'float32');
  (backend.typedArrayFromHeap(out) as Float32Array).set(
    pool.f32.subarray(c >> 2, (c >> 2) + outSize),
  );
  return out;
}

/**
 * Runs the product where it is cheapest: on one thread directly in tfjs' heap, or —
 * when it is big enough to be worth a few microseconds of hand-off and the copies —
 * on every thread of the pool. Returns null if no memory could hold it (the caller
 * falls back to the stock kernel).
 */
export function runGemm(
  ctx: KernelContext,
  kernelName: string,
  backend: BackendWasmLike,
  call: GemmCall,
): TensorInfo | null {
  if (sizeOf(call.outShape) === 0) return backend.makeOutput(call.outShape, 'float32');
  const flops = (2 * call.offsets.length * call.m * call.n * call.k) / 4;
  const pool = ctx.pool;
  const heap = ctx.heap(backend);
  try {
    if (pool && pool.threads > 1 && flops >= ctx.minParallelFlops) {
      ctx.counters(kernelName).threaded++;
      return inPool(pool, backend, call, pool.threads);
    }
    if (heap) return onHeap(heap, backend, call);
    if (pool) return inPool(pool, backend, call, 1);
  } catch (error) {
    if (!(error instanceof KernelMemoryError)) throw error;
  }
  return null;
}
