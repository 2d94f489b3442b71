// Elementwise kernels over float32: binary ops with numpy broadcasting and unary
// math. Memory-bound, so the point is one pass with f32x4 loads and stores and no
// per-element index arithmetic: the JS side collapses the broadcast into at most
// MAX_RANK dimensions whose last one is walked with strides 1 or 0.

import { addr, word } from './job';
import { V } from './simd-math';

export const MAX_RANK: i32 = 8;

export const BIN_ADD: i32 = 0;
export const BIN_SUB: i32 = 1;
export const BIN_MUL: i32 = 2;
export const BIN_DIV: i32 = 3;

// Binary job: [op, rank, out, a, b, shape[8], aStrides[8], bStrides[8], idx[8]]
// (elements); idx is the odometer's scratch (the module keeps no state in memory).
const B_OP = 0;
const B_RANK = 1;
const B_OUT = 2;
const B_A = 3;
const B_B = 4;
const B_SHAPE = 5;
const B_SA = B_SHAPE + MAX_RANK;
const B_SB = B_SA + MAX_RANK;
const B_IDX = B_SB + MAX_RANK;

// The op is a type parameter, not a value: AssemblyScript resolves `sizeof<Op>()` while
// compiling each instantiation, so every loop is one operation. (With a constant
// argument instead, binaryen folds the four inlined loops back into one that tests the
// op on every vector: measured 2× slower.)
type OpAdd = u8;
type OpSub = u16;
type OpMul = u32;
type OpDiv = u64;

// biome-ignore lint/complexity/noStaticOnlyClass: a class member is where @inline parses.
class Bin {
  @inline
  static v<Op>(a: v128, b: v128): v128 {
    if (sizeof<Op>() === 1) return f32x4.add(a, b);
    if (sizeof<Op>() === 2) return f32x4.sub(a, b);
    if (sizeof<Op>() === 4) return f32x4.mul(a, b);
    return f32x4.div(a, b);
  }

  @inline
  static s<Op>(a: f32, b: f32): f32 {
    if (sizeof<Op>() === 1) return a + b;
    if (sizeof<Op>() === 2) return a - b;
    if (sizeof<Op>() === 4) return a * b;
    return a / b;
  }

  /** One innermost row: n outputs, a and b read at element strides sa, sb ∈ {0, 1, other}. */
  @inline
  static row<Op>(out: usize, a: usize, sa: i32, b: usize, sb: i32, n: i32): void {
    let i = 0;
    if (sa === 1 && sb === 1) {
      // Four vectors per iteration: V8 does not unroll, and one vector per trip spends
      // as many instructions on the loop as on the data.
      for (; i + 16 <= n; i += 16) {
        const o = (<usize>i) << 2;
        const pa = a + o;
        const pb = b + o;
        const po = out + o;
        v128.store(po, Bin.v<Op>(v128.load(pa), v128.load(pb)));
        v128.store(po, Bin.v<Op>(v128.load(pa, 16), v128.load(pb, 16)), 16);
        v128.store(po, Bin.v<Op>(v128.load(pa, 32), v128.load(pb, 32)), 32);
        v128.store(po, Bin.v<Op>(v128.load(pa, 48), v128.load(pb, 48)), 48);
      }
      for (; i + 4 <= n; i += 4) {
        const o = (<usize>i) << 2;
        v128.store(out + o, Bin.v<Op>(v128.load(a + o), v128.load(b + o)));
      }
    } else if (sa === 1 && sb === 0) {
      const bv = v128.load32_splat(b);
      for (; i + 16 <= n; i += 16) {
        const o = (<usize>i) << 2;
        const pa = a + o;
        const po = out + o;
        v128.store(po, Bin.v<Op>(v128.load(pa), bv));
        v128.store(po, Bin.v<Op>(v128.load(pa, 16), bv), 16);
        v128.store(po, Bin.v<Op>(v128.load(pa, 32), bv), 32);
        v128.store(po, Bin.v<Op>(v128.load(pa, 48), bv), 48);
      }
      for (; i + 4 <= n; i += 4) {
        const o = (<usize>i) << 2;
        v128.store(out + o, Bin.v<Op>(v128.load(a + o), bv));
      }
    } else if (sa === 0 && sb === 1) {
      const av = v128.load32_splat(a);
      for (; i + 16 <= n; i += 16) {
        const o = (<usize>i) << 2;
        const pb = b + o;
        const po = out + o;
        v128.store(po, Bin.v<Op>(av, v128.load(pb)));
        v128.store(po, Bin.v<Op>(av, v128.load(pb, 16)), 16);
        v128.store(po, Bin.v<Op>(av, v128.load(pb, 32)), 32);
        v128.store(po, Bin.v<Op>(av, v128.load(pb, 48)), 48);
      }
      for (; i + 4 <= n; i += 4) {
        const o = (<usize>i) << 2;
        v128.store(out + o, Bin.v<Op>(av, v128.load(b + o)));
      }
    }
    for (; i < n; i++) {
      const x = load<f32>(a + <usize>(i * sa) * 4);
      store<f32>(out + ((<usize>i) << 2), Bin.s<Op>(x, load<f32>(b + <usize>(i * sb) * 4)));
    }
  }
}

function binRow(op: i32, out: usize, a: usize, sa: i32, b: usize, sb: i32, n: i32): void {
  if (op === BIN_ADD) Bin.row<OpAdd>(out, a, sa, b, sb, n);
  else if (op === BIN_SUB) Bin.row<OpSub>(out, a, sa, b, sb, n);
  else if (op === BIN_MUL) Bin.row<OpMul>(out, a, sa, b, sb, n);
  else Bin.row<OpDiv>(out, a, sa, b, sb, n);
}

export function binaryTask(job: usize): void {
  const op = word(job, B_OP);
  const rank = word(job, B_RANK);
  let out = addr(job, B_OUT);
  const a0 = addr(job, B_A);
  const b0 = addr(job, B_B);
  const last = rank - 1;
  const n = word(job, B_SHAPE + last);
  const sa = word(job, B_SA + last);
  const sb = word(job, B_SB + last);
  // Odometer over the outer dimensions.
  let rows = 1;
  for (let d = 0; d < last; d++) rows *= word(job, B_SHAPE + d);
  const idx = job + ((<usize>B_IDX) << 2);
  for (let d = 0; d < MAX_RANK; d++) store<i32>(idx + ((<usize>d) << 2), 0);
  let oa: usize = 0;
  let ob: usize = 0;
  for (let r = 0; r < rows; r++) {
    binRow(op, out, a0 + (oa << 2), sa, b0 + (ob << 2), sb, n);
    out += (<usize>n) << 2;
    for (let d = last - 1; d >= 0; d--) {
      const p = idx + ((<usize>d) << 2);
      const v = load<i32>(p) + 1;
      const dsa = <usize>word(job, B_SA + d);
      const dsb = <usize>word(job, B_SB + d);
      if (v < word(job, B_SHAPE + d)) {
        store<i32>(p, v);
        oa += dsa;
        ob += dsb;
        break;
      }
      store<i32>(p, 0);
      oa -= dsa * <usize>(v - 1);
      ob -= dsb * <usize>(v - 1);
    }
  }
}

export const UN_EXP: i32 = 0;
export const UN_ERF: i32 = 1;
export const UN_SQRT: i32 = 2;
export const UN_RSQRT: i32 = 3;
export const UN_SQUARE: i32 = 4;
export const UN_NEG: i32 = 5;

// Unary job: [op, n, x, out].

// Op markers as for Bin: unsigned types by size, then signed ones.
type OpExp = u8;
type OpErf = u16;
type OpSqrt = u32;
type OpRsqrt = u64;
type OpSquare = i8;
type OpNeg = i16;

// biome-ignore lint/complexity/noStaticOnlyClass: a class member is where @inline parses.
class Un {
  @inline
  static v<Op>(x: v128): v128 {
    if (isSigned<Op>()) {
      if (sizeof<Op>() === 1) return f32x4.mul(x, x);
      return f32x4.neg(x);
    }
    if (sizeof<Op>() === 1) return V.exp(x);
    if (sizeof<Op>() === 2) return V.erf(x);
    if (sizeof<Op>() === 4) return f32x4.sqrt(x);
    return f32x4.div(f32x4.splat(1.0), f32x4.sqrt(x));
  }

  /** The tail goes through the same vector code (zero-padded), so every element rounds alike. */
  @inline
  static run<Op>(x: usize, out: usize, n: i32): void {
    let i = 0;
    for (; i + 16 <= n; i += 16) {
      const o = (<usize>i) << 2;
      const px = x + o;
      const po = out + o;
      v128.store(po, Un.v<Op>(v128.load(px)));
      v128.store(po, Un.v<Op>(v128.load(px, 16)), 16);
      v128.store(po, Un.v<Op>(v128.load(px, 32)), 32);
      v128.store(po, Un.v<Op>(v128.load(px, 48)), 48);
    }
    for (; i + 4 <= n; i += 4) {
      const o = (<usize>i) << 2;
      v128.store(out + o, Un.v<Op>(v128.load(x + o)));
    }
    if (i < n) {
      const t = n - i;
      const p = x + ((<usize>i) << 2);
      let v = f32x4.splat(0);
      v = f32x4.replace_lane(v, 0, load<f32>(p));
      if (t > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
      if (t > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
      v = Un.v<Op>(v);
      const q = out + ((<usize>i) << 2);
      store<f32>(q, f32x4.extract_lane(v, 0));
      if (t > 1) store<f32>(q, f32x4.extract_lane(v, 1), 4);
      if (t > 2) store<f32>(q, f32x4.extract_lane(v, 2), 8);
    }
  }
}

export function unaryTask(job: usize): void {
  const op = word(job, 0);
  const n = word(job, 1);
  const x = addr(job, 2);
  const out = addr(job, 3);
  if (op === UN_EXP) Un.run<OpExp>(x, out, n);
  else if (op === UN_ERF) Un.run<OpErf>(x, out, n);
  else if (op === UN_SQRT) Un.run<OpSqrt>(x, out, n);
  else if (op === UN_RSQRT) Un.run<OpRsqrt>(x, out, n);
  else if (op === UN_SQUARE) Un.run<OpSquare>(x, out, n);
  else Un.run<OpNeg>(x, out, n);
}
