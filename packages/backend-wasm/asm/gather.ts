// Row gathers and scatters: embedding lookups (GatherV2) and their gradient
// (UnsortedSegmentSum), plus transposes that keep the last axis in place (attention's
// head split and merge), all as contiguous row copies. Indices are validated by the
// JS side before a job is written.

import { MAX_RANK } from './elementwise';
import { addr, word } from './job';

// Gather job: [outer, axisDim, n, inner, params, indices, out]: out[o, i, :] =
// params[o, indices[i], :] for rows of `inner` elements of 4 bytes.
export function gatherTask(job: usize): void {
  const outer = word(job, 0);
  const axisDim = word(job, 1);
  const n = word(job, 2);
  const rowBytes = (<usize>word(job, 3)) << 2;
  const params = addr(job, 4);
  const indices = addr(job, 5);
  let out = addr(job, 6);
  for (let o = 0; o < outer; o++) {
    const base = params + <usize>o * <usize>axisDim * rowBytes;
    for (let i = 0; i < n; i++) {
      const id = <usize>load<i32>(indices + ((<usize>i) << 2));
      memory.copy(out, base + id * rowBytes, rowBytes);
      out += rowBytes;
    }
  }
}

// Segment-sum job: [n, inner, numSegments, x, ids, out]: out = zeros; out[ids[i], :] +=
// x[i, :] for ids in [0, numSegments) (others are skipped, as on tfjs-cpu).
export function segmentSumTask(job: usize): void {
  const n = word(job, 0);
  const inner = word(job, 1);
  const segments = word(job, 2);
  const x = addr(job, 3);
  const ids = addr(job, 4);
  const out = addr(job, 5);
  const rowBytes = (<usize>inner) << 2;
  memory.fill(out, 0, <usize>segments * rowBytes);
  for (let i = 0; i < n; i++) {
    const s = load<i32>(ids + ((<usize>i) << 2));
    if (s < 0 || s >= segments) continue;
    const src = x + <usize>i * rowBytes;
    const dst = out + <usize>s * rowBytes;
    let j = 0;
    for (; j + 4 <= inner; j += 4) {
      const o = (<usize>j) << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
    for (; j < inner; j++) {
      const o = (<usize>j) << 2;
      store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
    }
  }
}

// Row-transpose job: [rank, rowLen, x, out, shape[8], srcStrides[8], idx[8]]: the
// output is `shape` (its last dim indexing rows of rowLen elements), row r copied
// from x + Σ idx[d] · srcStrides[d] (element strides).
export function transposeRowsTask(job: usize): void {
  const rank = word(job, 0);
  const rowBytes = (<usize>word(job, 1)) << 2;
  const x = addr(job, 2);
  let out = addr(job, 3);
  const shape = job + 16;
  const strides = shape + ((<usize>MAX_RANK) << 2);
  const idx = strides + ((<usize>MAX_RANK) << 2);
  let rows = 1;
  for (let d = 0; d < rank; d++) {
    rows *= load<i32>(shape + ((<usize>d) << 2));
    store<i32>(idx + ((<usize>d) << 2), 0);
  }
  let src: usize = 0;
  for (let r = 0; r < rows; r++) {
    memory.copy(out, x + (src << 2), rowBytes);
    out += rowBytes;
    for (let d = rank - 1; d >= 0; d--) {
      const o = (<usize>d) << 2;
      const v = load<i32>(idx + o) + 1;
      const st = <usize>load<i32>(strides + o);
      if (v < load<i32>(shape + o)) {
        store<i32>(idx + o, v);
        src += st;
        break;
      }
      store<i32>(idx + o, 0);
      src -= st * <usize>(v - 1);
    }
  }
}
