import type { KernelConfig } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { wasmGatherWithBatchDims } from './gather-batch-dims.js';
import { segmentSumKernels } from './segment-sum.js';

/**
 * Kernels kd installs over a stock backend so training works and is right:
 * a one-pass UnsortedSegmentSum (gather's gradient) on cpu and wasm, and on
 * wasm a GatherV2 that honours `batchDims`. `stock` looks up the kernel being
 * replaced, so a wrapper can delegate to it.
 */
export function trainingKernels(
  backend: string,
  stock: (kernelName: string) => KernelConfig | undefined = (k) => tf.getKernel(k, backend),
): KernelConfig[] {
  const out: KernelConfig[] = [];
  if (segmentSumKernels[backend]) out.push(segmentSumKernels[backend]);
  const gather = backend === 'wasm' ? stock('GatherV2') : undefined;
  if (gather) out.push(wasmGatherWithBatchDims(gather));
  return out;
}
