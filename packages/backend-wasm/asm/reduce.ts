// Sum and mean over the middle axis of a [outer, r, inner] view: inner == 1 is a
// row reduction, outer == 1 a column reduction (bias gradients). Accumulates in
// float64 like tfjs-cpu (which sums JS numbers), so both backends round alike.

import { addr, word } from './job';

export const RED_SUM: i32 = 0;
/** Mean as tfjs-cpu computes it: every element divided by r in float32, then summed. */
export const RED_MEAN: i32 = 1;

// Reduce job: [op, outer, r, inner, x, out].

function scale(v: v128, mean: bool, rv: v128): v128 {
  return mean ? f32x4.div(v, rv) : v;
}

function hi2(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

function rowSums(x: usize, out: usize, outer: i32, r: i32, mean: bool): void {
  const rs: f32 = <f32>r;
  const rv = f32x4.splat(rs);
  for (let o = 0; o < outer; o++) {
    const row = x + <usize>o * <usize>r * 4;
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= r; j += 4) {
      const v = scale(v128.load(row + ((<usize>j) << 2)), mean, rv);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, hi2(v));
    }
    let s = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(hi, 0);
    s += f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 1);
    for (; j < r; j++) {
      const v = load<f32>(row + ((<usize>j) << 2));
      s += <f64>(mean ? v / rs : v);
    }
    store<f32>(out + ((<usize>o) << 2), <f32>s);
  }
}

/** Columns j..j+8 of every row summed into 4 f64x2 accumulators per 4 columns. */
function columnSums(x: usize, out: usize, r: i32, inner: i32, mean: bool): void {
  const rs: f32 = <f32>r;
  const rv = f32x4.splat(rs);
  const stride = (<usize>inner) << 2;
  let j = 0;
  for (; j + 8 <= inner; j += 8) {
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let a2 = f64x2.splat(0);
    let a3 = f64x2.splat(0);
    let p = x + ((<usize>j) << 2);
    for (let i = 0; i < r; i++) {
      const v0 = scale(v128.load(p), mean, rv);
      const v1 = scale(v128.load(p, 16), mean, rv);
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v0));
      a1 = f64x2.add(a1, hi2(v0));
      a2 = f64x2.add(a2, f64x2.promote_low_f32x4(v1));
      a3 = f64x2.add(a3, hi2(v1));
      p += stride;
    }
    const o = out + ((<usize>j) << 2);
    v128.store(
      o,
      v128.shuffle<f32>(f32x4.demote_f64x2_zero(a0), f32x4.demote_f64x2_zero(a1), 0, 1, 4, 5),
    );
    v128.store(
      o,
      v128.shuffle<f32>(f32x4.demote_f64x2_zero(a2), f32x4.demote_f64x2_zero(a3), 0, 1, 4, 5),
      16,
    );
  }
  for (; j < inner; j++) {
    let s: f64 = 0;
    let p = x + ((<usize>j) << 2);
    for (let i = 0; i < r; i++) {
      const v = load<f32>(p);
      s += <f64>(mean ? v / rs : v);
      p += stride;
    }
    store<f32>(out + ((<usize>j) << 2), <f32>s);
  }
}

export function reduceTask(job: usize): void {
  const mean = word(job, 0) === RED_MEAN;
  const outer = word(job, 1);
  const r = word(job, 2);
  const inner = word(job, 3);
  const x = addr(job, 4);
  const out = addr(job, 5);
  if (inner === 1) {
    rowSums(x, out, outer, r, mean);
    return;
  }
  for (let o = 0; o < outer; o++) {
    columnSums(
      x + <usize>o * <usize>r * <usize>inner * 4,
      out + <usize>o * <usize>inner * 4,
      r,
      inner,
      mean,
    );
  }
}
