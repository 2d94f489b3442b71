import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { ValidationError } from '../errors.js';
import type { WasmBackendLike } from './segment-sum.js';

/**
 * tfjs-wasm 4.22's GatherV2 ignores `batchDims`: `tf.gather(logits, ids, 2, 2)`
 * (picking each position's target logit, as perplexity and the LM losses do)
 * returns garbage or reads out of bounds. This wraps the stock kernel: calls
 * with `batchDims > 0` are computed here, on the heap, with TensorFlow's
 * semantics; everything else goes to the stock kernel unchanged.
 */
export function wasmGatherWithBatchDims(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, attrs, backend } = args;
    const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
    if (!batchDims) return stock.kernelFunc(args);
    const { x, indices } = inputs as { x: TensorInfo; indices: TensorInfo };
    const rank = x.shape.length;
    const ax = axis < 0 ? axis + rank : axis;
    const bd = batchDims < 0 ? batchDims + indices.shape.length : batchDims;
    const prod = (dims: number[]) => dims.reduce((a, d) => a * d, 1);
    const batch = prod(x.shape.slice(0, bd));
    const outer = prod(x.shape.slice(bd, ax));
    const axisDim = x.shape[ax];
    const inner = prod(x.shape.slice(ax + 1));
    const perBatch = prod(indices.shape.slice(bd));
    const b = backend as unknown as WasmBackendLike;
    const out = b.makeOutput(
      [...x.shape.slice(0, ax), ...indices.shape.slice(bd), ...x.shape.slice(ax + 1)],
      x.dtype,
    );
    const src = b.typedArrayFromHeap(x);
    const ids = b.typedArrayFromHeap(indices);
    const dst = b.typedArrayFromHeap(out);
    for (let n = 0; n < batch; n++) {
      for (let o = 0; o < outer; o++) {
        const from = (n * outer + o) * axisDim * inner;
        for (let j = 0; j < perBatch; j++) {
          const id = ids[n * perBatch + j];
          if (id < 0 || id >= axisDim) {
            throw new ValidationError(`GatherV2: index ${id} is not in [0, ${axisDim - 1}]`);
          }
          const to = ((n * outer + o) * perBatch + j) * inner;
          const at = from + id * inner;
          for (let k = 0; k < inner; k++) dst[to + k] = src[at + k];
        }
      }
    }
    return out;
  };
  return { ...stock, kernelFunc };
}
