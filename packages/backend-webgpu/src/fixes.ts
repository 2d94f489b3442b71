import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** What WebGPUBackend (and every tfjs backend class) has beyond KernelBackend. */
type TensorMaker = KernelBackend & {
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array | Int32Array): TensorInfo;
};

/** Runs another kernel of the same backend, as tfjs' own kernels compose. */
function runKernel(
  name: string,
  backendName: string,
  backend: KernelBackend,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = tf.getKernel(name, backendName);
  if (!kernel) throw new Error(`kd's WebGPU fixes need the ${name} kernel on ${backendName}`);
  return (kernel.kernelFunc as KernelFunc)({ inputs, backend, attrs }) as TensorInfo;
}

/** tfjs-webgpu's MatMulProgramType.MatMulSplitKProgram. */
const SPLIT_K = 1;

/**
 * Whether tfjs-backend-webgpu 4.22 would run this matmul with its split-K shader in
 * vec4 mode while B is transposed. That shader decides vec4 from A's layout and N
 * only, never from transposeB (the packed shader adds `&& !transposeB`), and then
 * reads four consecutive elements of the wrong dimension of Bᵀ: a·bᵀ and aᵀ·bᵀ come
 * out wrong (errors of order one) for one batch, K ≥ 2000 and a small output, e.g.
 * a 16×2048 activation times the transpose of a 16×2048 weight. The selection below
 * mirrors `batchMatMulImpl` (BatchMatMul_impl.js) of 4.22.
 */
export function splitKMisreadsB(
  a: TensorInfo,
  b: TensorInfo,
  { transposeA, transposeB }: MatMulAttrs,
  backend: KernelBackend,
): boolean {
  if (!transposeB) return false;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const inner = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = b.shape[rb - 2];
  const batch = Math.max(
    a.shape.slice(0, -2).reduce((x, y) => x * y, 1),
    b.shape.slice(0, -2).reduce((x, y) => x * y, 1),
  );
  let program = tf.env().getNumber('WEBGPU_MATMUL_PROGRAM_TYPE');
  if (program < 0) {
    const flag = tf.env().getNumber('WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL');
    const threshold =
      flag > 0
        ? flag
        : ((backend as unknown as { thresholdToIncreaseWorkgroups?: number })
            .thresholdToIncreaseWorkgroups ?? 8);
    const workgroups = batch * Math.ceil(m / 32) * Math.ceil(n / 32);
    const few = workgroups <= threshold || (m <= 8 && workgroups <= threshold * 2);
    if (!few || batch * m * n <= 128) return false;
    program = batch === 1 && inner >= 2000 ? SPLIT_K : -1;
  }
  if (program !== SPLIT_K) return false;
  return ((transposeA && m % 4 === 0) || (!transposeA && inner % 4 === 0)) && n % 4 === 0;
}

/**
 * Wraps a matmul kernel (BatchMatMul, _FusedMatMul): where the split-K shader would
 * misread Bᵀ, B is transposed first (tfjs' own Transpose kernel) and the stock
 * kernel runs with transposeB = false. Every other call goes straight through.
 */
function fixSplitK(stock: KernelConfig, backendName: string): KernelConfig {
  const stockFunc = stock.kernelFunc as KernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as {
      inputs: NamedTensorInfoMap;
      backend: KernelBackend;
      attrs: NamedAttrMap & MatMulAttrs;
    };
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    if (!splitKMisreadsB(a, b, attrs, backend)) return stockFunc(args);
    const rank = b.shape.length;
    const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
    const bT = runKernel('Transpose', backendName, backend, { x: b }, { perm });
    try {
      return stockFunc({
        inputs: { ...inputs, b: bT },
        backend,
        attrs: { ...attrs, transposeB: false },
      });
    } finally {
      backend.disposeData(bT.dataId);
    }
  };
  return { ...stock, backendName, kernelFunc };
}

/**
 * Wraps UnsortedSegmentSum: tfjs-webgpu 4.22 adds an id ≥ numSegments into segment
 * `id % numSegments` (its shader indexes `segmentId % numSegments`), where the cpu
 * backend, kd's wasm kernel and TensorFlow on GPUs drop it. Out-of-range ids are
 * turned into -1, which the shader skips, before the stock kernel runs.
 */
function fixSegmentIds(stock: KernelConfig, backendName: string): KernelConfig {
  const stockFunc = stock.kernelFunc as KernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as {
      inputs: NamedTensorInfoMap;
      backend: KernelBackend;
      attrs: NamedAttrMap & { numSegments: number };
    };
    const { segmentIds } = inputs as { segmentIds: TensorInfo };
    const run = (name: string, i: NamedTensorInfoMap, a: NamedAttrMap = {}) =>
      runKernel(name, backendName, backend, i, a);
    const made: TensorInfo[] = [];
    try {
      const limit = (backend as TensorMaker).makeTensorInfo(
        [],
        'int32',
        Int32Array.of(attrs.numSegments),
      );
      made.push(limit);
      const inRange = run('Less', { a: segmentIds, b: limit });
      made.push(inRange);
      const dropped = run('Fill', {}, { shape: segmentIds.shape, value: -1, dtype: 'int32' });
      made.push(dropped);
      const ids = run('Select', { condition: inRange, t: segmentIds, e: dropped });
      made.push(ids);
      return stockFunc({ inputs: { ...inputs, segmentIds: ids }, backend, attrs });
    } finally {
      for (const t of made) backend.disposeData(t.dataId);
    }
  };
  return { ...stock, backendName, kernelFunc };
}

/**
 * Wraps Log: WGSL leaves log(0) indeterminate and tfjs-webgpu's shader only special-
 * cases negative inputs, so on SwiftShader log(0) is −88.03 where the cpu and wasm
 * backends (and IEEE) give −Infinity; an underflowed probability then looks finite.
 * Zeros (±0) are mapped to −Infinity after the stock kernel.
 */
function fixLogOfZero(stock: KernelConfig, backendName: string): KernelConfig {
  const stockFunc = stock.kernelFunc as KernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend } = args as { inputs: NamedTensorInfoMap; backend: KernelBackend };
    const { x } = inputs as { x: TensorInfo };
    if (x.dtype !== 'float32') return stockFunc(args);
    const run = (name: string, i: NamedTensorInfoMap, a: NamedAttrMap = {}) =>
      runKernel(name, backendName, backend, i, a);
    const made: TensorInfo[] = [];
    try {
      const logs = stockFunc(args) as TensorInfo;
      made.push(logs);
      const zero = (backend as TensorMaker).makeTensorInfo([], 'float32', Float32Array.of(0));
      made.push(zero);
      const isZero = run('Equal', { a: x, b: zero });
      made.push(isZero);
      const minusInf = run('Fill', {}, { shape: x.shape, value: -Infinity, dtype: 'float32' });
      made.push(minusInf);
      return run('Select', { condition: isZero, t: minusInf, e: logs });
    } finally {
      for (const t of made) backend.disposeData(t.dataId);
    }
  };
  return { ...stock, backendName, kernelFunc };
}

const FIXES: Record<string, (stock: KernelConfig, backendName: string) => KernelConfig> = {
  BatchMatMul: fixSplitK,
  _FusedMatMul: fixSplitK,
  UnsortedSegmentSum: fixSegmentIds,
  Log: fixLogOfZero,
};

/** The stock kernels the fixes wrap, captured once per backend name. */
const stockKernels = new Map<string, Map<string, KernelConfig>>();

/**
 * Kernels kd installs over tfjs-backend-webgpu 4.22's for `backendName`, all found by
 * the parity suite: the split-K transposed-B fix for BatchMatMul and _FusedMatMul
 * (see splitKMisreadsB), dropped out-of-range ids in UnsortedSegmentSum, and
 * log(0) = −Infinity. Stock kernels are captured the first time, so asking
 * again returns the same wrappers instead of wrapping a wrapper.
 */
export function webgpuFixes(backendName: string): KernelConfig[] {
  let stock = stockKernels.get(backendName);
  if (!stock) {
    stock = new Map();
    for (const name of Object.keys(FIXES)) {
      const k = tf.getKernel(name, backendName);
      if (k) stock.set(name, k);
    }
    if (stock.size === 0) return [];
    stockKernels.set(backendName, stock);
  }
  return [...stock.values()].map((k) => FIXES[k.kernelName](k, backendName));
}

/** Installs webgpuFixes(backendName) (setupWebGPU does, so plain tf.setBackend gets them). */
export function installWebGPUFixes(backendName: string): string[] {
  const fixes = webgpuFixes(backendName);
  for (const k of fixes) {
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel(k);
  }
  return fixes.map((k) => k.kernelName);
}

/** Puts tfjs' stock kernels back where installWebGPUFixes replaced them. */
export function removeWebGPUFixes(backendName: string): void {
  const stock = stockKernels.get(backendName);
  if (!stock) return;
  for (const k of stock.values()) {
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel(k);
  }
}
