// Sum and mean over the middle axis of a [outer, r, inner] view: inner == 1 is a
// row reduction, outer == 1 a column reduction (bias gradients). Accumulates in
// float64 like tfjs-cpu (which sums JS numbers), so both backends round alike.

import { addr, word } from './job';

export const RED_SUM: i32 = 0;
/** The float64 sum divided by r, then rounded once (tfjs-cpu divides each element first). */
export const RED_MEAN: i32 = 1;

// Reduce job: [op, outer, r, inner, x, out].

function hi2(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

function rowSums(x: usize, out: usize, outer: i32, r: i32, div: f64): void {
  for (let o = 0; o < outer; o++) {
    const row = x + <usize>o * <usize>r * 4;
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= r; j += 4) {
      const v = v128.load(row + ((<usize>j) << 2));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, hi2(v));
    }
    let s = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(hi, 0);
    s += f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 1);
    for (; j < r; j++) s += <f64>load<f32>(row + ((<usize>j) << 2));
    store<f32>(out + ((<usize>o) << 2), <f32>(s / div));
  }
}

/** Columns j..j+8 of every row summed into 4 f64x2 accumulators per 4 columns. */
function columnSums(x: usize, out: usize, r: i32, inner: i32, div: f64): void {
  const d = f64x2.splat(div);
  const stride = (<usize>inner) << 2;
  let j = 0;
  for (; j + 8 <= inner; j += 8) {
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let a2 = f64x2.splat(0);
    let a3 = f64x2.splat(0);
    let p = x + ((<usize>j) << 2);
    for (let i = 0; i < r; i++) {
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v0));
      a1 = f64x2.add(a1, hi2(v0));
      a2 = f64x2.add(a2, f64x2.promote_low_f32x4(v1));
      a3 = f64x2.add(a3, hi2(v1));
      p += stride;
    }
    const lo = v128.shuffle<f32>(
      f32x4.demote_f64x2_zero(f64x2.div(a0, d)),
      f32x4.demote_f64x2_zero(f64x2.div(a1, d)),
      0,
      1,
      4,
      5,
    );
    const hi = v128.shuffle<f32>(
      f32x4.demote_f64x2_zero(f64x2.div(a2, d)),
      f32x4.demote_f64x2_zero(f64x2.div(a3, d)),
      0,
      1,
      4,
      5,
    );
    const o = out + ((<usize>j) << 2);
    v128.store(o, lo);
    v128.store(o, hi, 16);
  }
  for (; j < inner; j++) {
    let s: f64 = 0;
    let p = x + ((<usize>j) << 2);
    for (let i = 0; i < r; i++) {
      s += <f64>load<f32>(p);
      p += stride;
    }
    store<f32>(out + ((<usize>j) << 2), <f32>(s / div));
  }
}

export function reduceTask(job: usize): void {
  const div: f64 = word(job, 0) === RED_MEAN && word(job, 2) > 0 ? <f64>word(job, 2) : 1.0;
  const outer = word(job, 1);
  const r = word(job, 2);
  const inner = word(job, 3);
  const x = addr(job, 4);
  const out = addr(job, 5);
  if (inner === 1) {
    rowSums(x, out, outer, r, div);
    return;
  }
  for (let o = 0; o < outer; o++) {
    const at = <usize>o * <usize>r * <usize>inner * 4;
    columnSums(x + at, out + <usize>o * <usize>inner * 4, r, inner, div);
  }
}
