import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { broadcastShapes, broadcastStrides, sizeOf } from './broadcast.js';
import { type BackendWasmLike, delegate, type KernelContext } from './context.js';
import { ACTIVATIONS, type GemmCall, runGemm } from './gemm.js';

interface MatMulShape {
  m: number;
  n: number;
  k: number;
  outShape: number[];
  /** Per output matrix: element offsets of its A and B matrices (then bias, prelu). */
  offsets: Int32Array;
  outer: number[];
}

/**
 * Shapes of op(A)·op(B) with numpy broadcasting of the leading (batch) dimensions, or
 * null for what the stock kernel must handle (and reject with tfjs' own error):
 * non-float32 dtypes, rank < 2, mismatched inner or batch dimensions.
 *
 * Unlike tfjs' kernels (which index batch `i` as `i % batchA`), every broadcast is
 * resolved per dimension, so shapes like [2,1,M,K]·[1,3,K,N] are right too.
 */
function planShape(
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): MatMulShape | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const ka = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (ka !== kb) return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = broadcastShapes(outerA, outerB);
  if (!outer) return null;
  const sa = broadcastStrides(outerA, outer)!;
  const sb = broadcastStrides(outerB, outer)!;
  const batches = sizeOf(outer);
  const offsets = new Int32Array(batches * 4);
  const matA = m * ka;
  const matB = ka * n;
  const idx = new Array<number>(outer.length).fill(0);
  for (let bi = 0; bi < batches; bi++) {
    let oa = 0;
    let ob = 0;
    for (let d = 0; d < outer.length; d++) {
      oa += idx[d]! * sa[d]!;
      ob += idx[d]! * sb[d]!;
    }
    offsets[bi * 4] = oa * matA;
    offsets[bi * 4 + 1] = ob * matB;
    for (let d = outer.length - 1; d >= 0; d--) {
      if (++idx[d]! < outer[d]!) break;
      idx[d] = 0;
    }
  }
  return { m, n, k: ka, outShape: [...outer, m, n], offsets, outer };
}

/**
 * Where a bias or prelu tensor broadcast against the output is read: row and column
 * strides, and per output matrix an offset written into `offsets[slot]`. Null if it
 * does not broadcast to the output shape.
 */
function placeBroadcast(
  t: TensorInfo,
  shape: MatMulShape,
  slot: 2 | 3,
): { sm: number; sn: number } | null {
  const strides = broadcastStrides(t.shape, shape.outShape);
  if (!strides) return null;
  const r = strides.length;
  const outer = shape.outer;
  const idx = new Array<number>(outer.length).fill(0);
  const batches = shape.offsets.length / 4;
  for (let bi = 0; bi < batches; bi++) {
    let o = 0;
    for (let d = 0; d < outer.length; d++) o += idx[d]! * strides[d]!;
    shape.offsets[bi * 4 + slot] = o;
    for (let d = outer.length - 1; d >= 0; d--) {
      if (++idx[d]! < outer[d]!) break;
      idx[d] = 0;
    }
  }
  return { sm: strides[r - 2]!, sn: strides[r - 1]! };
}

interface MatMulAttrs {
  transposeA?: boolean;
  transposeB?: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

export function batchMatMulConfig(ctx: KernelContext): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA = false, transposeB = false } = args.attrs as MatMulAttrs;
    ctx.counters('BatchMatMul').calls++;
    const shape = planShape(a, b, transposeA, transposeB);
    const out =
      shape &&
      runGemm(ctx, 'BatchMatMul', args.backend as unknown as BackendWasmLike, {
        ...shape,
        a,
        b,
        transposeA,
        transposeB,
        activation: 0,
        alpha: 0,
      });
    return out ?? delegate(ctx, 'BatchMatMul', args);
  };
  return { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc };
}

/**
 * `_FusedMatMul`: the product with bias and activation applied in the GEMM's
 * epilogue, on each output block while it is still in cache. Bias and prelu weights
 * may have any shape that broadcasts to the output (tfjs-wasm accepts only rank-1
 * bias; tfjs-cpu broadcasts), activations are tfjs' fusable ones.
 */
export function fusedMatMulConfig(ctx: KernelContext): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const inputs = args.inputs as {
      a: TensorInfo;
      b: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const attrs = args.attrs as MatMulAttrs & NamedAttrMap;
    const transposeA = attrs.transposeA ?? false;
    const transposeB = attrs.transposeB ?? false;
    ctx.counters('_FusedMatMul').calls++;
    const activation = ACTIVATIONS[attrs.activation ?? 'linear'];
    const shape = planShape(inputs.a, inputs.b, transposeA, transposeB);
    let out: TensorInfo | null = null;
    if (shape && activation !== undefined) {
      const call: GemmCall = {
        ...shape,
        a: inputs.a,
        b: inputs.b,
        transposeA,
        transposeB,
        activation,
        alpha: attrs.leakyreluAlpha ?? 0,
      };
      let ok = true;
      if (inputs.bias) {
        const place = inputs.bias.dtype === 'float32' && placeBroadcast(inputs.bias, shape, 2);
        if (place) call.bias = { t: inputs.bias, ...place };
        else ok = false;
      }
      if (attrs.activation === 'prelu') {
        const w = inputs.preluActivationWeights;
        const place = w && w.dtype === 'float32' && placeBroadcast(w, shape, 3);
        if (w && place) call.prelu = { t: w, ...place };
        else ok = false;
      }
      if (ok) out = runGemm(ctx, '_FusedMatMul', args.backend as unknown as BackendWasmLike, call);
    }
    return out ?? delegate(ctx, '_FusedMatMul', args);
  };
  return { kernelName: '_FusedMatMul', backendName: 'wasm', kernelFunc };
}
