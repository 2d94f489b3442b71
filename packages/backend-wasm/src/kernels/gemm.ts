import type { TensorInfo } from '@tensorflow/tfjs-core';
import { KernelMemoryError } from '../runtime/errors.js';
import type { HeapSpace } from '../runtime/heap-space.js';
import type { PrivateSpace } from '../runtime/private-space.js';
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
const J_B0 = 21;
const J_B1 = 22;
const J_M0 = 23;
const J_M1 = 24;
const J_N0 = 25;
const J_N1 = 26;
const J_WORDS = 32;

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

/** One thread's part: output matrices [b0, b1), rows [m0, m1), columns [n0, n1). */
export interface Share {
  b0: number;
  b1: number;
  m0: number;
  m1: number;
  n0: number;
  n1: number;
}

/**
 * Splits the product between `nt` threads: whole matrices when there are enough of
 * them (or they divide evenly), else every matrix by rows in 4-row tiles (rows of C are
 * contiguous, so a share is copied back in one piece per matrix), or by columns in
 * 8-column tiles when there are too few rows.
 */
export function partition(call: GemmCall, nt: number): Share[] {
  const nb = call.offsets.length / 4;
  const { m, n } = call;
  const shares: Share[] = [];
  const cut = (units: number, t: number) => Math.floor((units * t) / nt);
  if (nb >= 4 * nt || (nb >= nt && nb % nt === 0)) {
    for (let t = 0; t < nt; t++)
      shares.push({ b0: cut(nb, t), b1: cut(nb, t + 1), m0: 0, m1: m, n0: 0, n1: n });
    return shares;
  }
  const mTiles = Math.ceil(m / 4);
  const nTiles = Math.ceil(n / 8);
  for (let t = 0; t < nt; t++) {
    if (mTiles >= 2 * nt || mTiles >= nTiles) {
      shares.push({
        b0: 0,
        b1: nb,
        m0: Math.min(m, cut(mTiles, t) * 4),
        m1: Math.min(m, cut(mTiles, t + 1) * 4),
        n0: 0,
        n1: n,
      });
    } else {
      shares.push({
        b0: 0,
        b1: nb,
        m0: 0,
        m1: m,
        n0: Math.min(n, cut(nTiles, t) * 8),
        n1: Math.min(n, cut(nTiles, t + 1) * 8),
      });
    }
  }
  return shares;
}

const FULL = (call: GemmCall): Share => ({
  b0: 0,
  b1: call.offsets.length / 4,
  m0: 0,
  m1: call.m,
  n0: 0,
  n1: call.n,
});

function writeJob(
  space: Space,
  job: number,
  call: GemmCall,
  at: Addresses,
  offsets: number,
  work: number,
  share: Share,
): void {
  const { i32, f32 } = space;
  const w = job >> 2;
  i32.fill(0, w, w + J_WORDS);
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
  i32[w + J_B0] = share.b0;
  i32[w + J_B1] = share.b1;
  i32[w + J_M0] = share.m0;
  i32[w + J_M1] = share.m1;
  i32[w + J_N0] = share.n0;
  i32[w + J_N1] = share.n1;
}

const JOB_BYTES = J_WORDS * 4;

/**
 * Thread 0's job in tfjs' heap (zero-copy) for `share`; returns the job's address.
 * `out` must already exist.
 */
function heapJob(
  heap: HeapSpace,
  call: GemmCall,
  out: TensorInfo,
  share: Share,
  base: number,
): number {
  const offBytes = aligned(call.offsets.byteLength);
  heap.i32.set(call.offsets, (base + aligned(JOB_BYTES)) >> 2);
  writeJob(
    heap,
    base,
    call,
    {
      a: heap.address(call.a),
      b: heap.address(call.b),
      c: heap.address(out),
      bias: call.bias ? heap.address(call.bias.t) : 0,
      prelu: call.prelu ? heap.address(call.prelu.t) : 0,
    },
    base + aligned(JOB_BYTES),
    base + aligned(JOB_BYTES) + offBytes,
    share,
  );
  return base;
}

function heapScratchBytes(heap: HeapSpace, call: GemmCall): number {
  return aligned(JOB_BYTES) + aligned(call.offsets.byteLength) + heap.workBytes;
}

/** Zero-copy on one thread: operands and result stay in tfjs' heap. */
function onHeap(heap: HeapSpace, backend: BackendWasmLike, call: GemmCall): TensorInfo {
  const base = heap.scratch(heapScratchBytes(heap, call));
  const out = backend.makeOutput(call.outShape, 'float32');
  heap.run(TASK_GEMM, heapJob(heap, call, out, FULL(call), base));
  return out;
}

/**
 * On `nt` threads. The calling thread computes its share directly in tfjs' heap
 * (when reachable) while the workers compute theirs in the pool's shared memory, so
 * only the workers' operands are copied in and only their part of C copied out.
 */
function threaded(
  pool: PrivateSpace,
  heap: HeapSpace | undefined,
  backend: BackendWasmLike,
  call: GemmCall,
  nt: number,
): TensorInfo {
  const shares = partition(call, nt);
  const poolShares = heap ? shares.slice(1) : shares;
  const first = heap ? 1 : 0;
  const matA = call.m * call.k;
  const matB = call.k * call.n;
  // The slices of A and B the pool's threads read.
  const bLo = Math.min(...poolShares.map((s) => s.b0));
  const bHi = Math.max(...poolShares.map((s) => s.b1));
  let aMin = Infinity;
  let aEnd = 0;
  let bMin = Infinity;
  let bEnd = 0;
  for (let bi = bLo; bi < bHi; bi++) {
    const oa = call.offsets[bi * 4]!;
    const ob = call.offsets[bi * 4 + 1]!;
    aMin = Math.min(aMin, oa);
    aEnd = Math.max(aEnd, oa + matA);
    bMin = Math.min(bMin, ob);
    bEnd = Math.max(bEnd, ob + matB);
  }
  if (bLo >= bHi) aMin = aEnd = bMin = bEnd = 0;
  const rebased = call.offsets.slice();
  for (let bi = 0; bi < rebased.length / 4; bi++) {
    rebased[bi * 4] = Math.max(0, rebased[bi * 4]! - aMin);
    rebased[bi * 4 + 1] = Math.max(0, rebased[bi * 4 + 1]! - bMin);
  }

  const heapBase = heap ? heap.scratch(heapScratchBytes(heap, call)) : 0;
  const out = backend.makeOutput(call.outShape, 'float32');
  // Views of tfjs' heap only now: makeOutput may have grown (and detached) it.
  const view = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  const biasView = call.bias ? view(call.bias.t) : undefined;
  const preluView = call.prelu ? view(call.prelu.t) : undefined;
  const outSize = sizeOf(call.outShape);
  const parts = [
    nt * JOB_BYTES,
    rebased.byteLength,
    nt * pool.workBytes,
    (aEnd - aMin) * 4,
    (bEnd - bMin) * 4,
    biasView?.byteLength ?? 0,
    preluView?.byteLength ?? 0,
    outSize * 4,
  ].map(aligned);
  let p = pool.scratch(parts.reduce((x, y) => x + y, 0));
  const at: number[] = [];
  for (const size of parts) {
    at.push(p);
    p += size;
  }
  const [jobs, offsets, work, a, b, bias, prelu, c] = at as [
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
  f32.set(view(call.a).subarray(aMin, aEnd), a >> 2);
  f32.set(view(call.b).subarray(bMin, bEnd), b >> 2);
  if (biasView) f32.set(biasView, bias >> 2);
  if (preluView) f32.set(preluView, prelu >> 2);
  pool.i32.set(rebased, offsets >> 2);
  const addresses = { a, b, c, bias: biasView ? bias : 0, prelu: preluView ? prelu : 0 };
  for (let t = first; t < nt; t++) {
    writeJob(
      pool,
      jobs + t * JOB_BYTES,
      call,
      addresses,
      offsets,
      work + t * pool.workBytes,
      shares[t]!,
    );
  }
  const mainJob = heap ? heapJob(heap, call, out, shares[0]!, heapBase) : 0;
  pool.run(TASK_GEMM, jobs, nt, heap ? () => heap.run(TASK_GEMM, mainJob) : undefined);

  // Copy back what the pool computed.
  const dst = view(out);
  const src = pool.f32.subarray(c >> 2, (c >> 2) + outSize);
  const { m, n } = call;
  for (const s of poolShares) {
    for (let bi = s.b0; bi < s.b1; bi++) {
      const base = bi * m * n;
      if (s.n0 === 0 && s.n1 === n) {
        dst.set(src.subarray(base + s.m0 * n, base + s.m1 * n), base + s.m0 * n);
      } else {
        for (let i = s.m0; i < s.m1; i++) {
          dst.set(src.subarray(base + i * n + s.n0, base + i * n + s.n1), base + i * n + s.n0);
        }
      }
    }
  }
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
      return threaded(pool, heap, backend, call, pool.threads);
    }
    if (heap) return onHeap(heap, backend, call);
    if (pool) return threaded(pool, undefined, backend, call, 1);
  } catch (error) {
    if (!(error instanceof KernelMemoryError)) throw error;
  }
  return null;
}
