// Single-precision GEMM, C = op(A) · op(B) (+ bias, activation), in the BLIS layout:
// B is packed into KC×8 column panels that stay in L1, A into MC×KC blocks of 4-row
// panels that stay in L2, and a 4×8 register-blocked micro-kernel (8 f32x4
// accumulators) multiplies one A panel by one B panel. V8 has 15 usable xmm registers
// for wasm SIMD; a 6×8 tile (12 accumulators + 2 B vectors + A + temp) spills and
// runs at half the speed here, 4×8 runs at the machine's mul+add peak.

import { V } from './simd-math';

export const MR: i32 = 4;
export const NR: i32 = 8;
/** Depth of one packed block: a B panel (KC×8 floats, 8 KiB) fits L1. */
export const KC: i32 = 256;
/** Rows of A packed at once: an A block (MC×KC floats, 128 KiB) fits L2. */
export const MC: i32 = 128;
/** Columns of B packed at once (KC×NC floats, 512 KiB). */
export const NC: i32 = 512;

/** Bytes of scratch one thread needs: packed A, packed B, one spill tile. */
export const WORK_BYTES: i32 = (MC * KC + KC * NC + MR * NR) * 4;

export const ACT_LINEAR: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_RELU6: i32 = 2;
export const ACT_PRELU: i32 = 3;
export const ACT_LEAKYRELU: i32 = 4;
export const ACT_SIGMOID: i32 = 5;
export const ACT_ELU: i32 = 6;

// Job descriptor words (i32), mirrored in src/kernels/gemm-job.ts.
export const J_NB: i32 = 0; // batches
export const J_M: i32 = 1;
export const J_N: i32 = 2;
export const J_K: i32 = 3;
export const J_A: i32 = 4; // byte address of A
export const J_LDA: i32 = 5; // row stride of A as stored, in elements
export const J_TA: i32 = 6; // A is stored K×M
export const J_B: i32 = 7;
export const J_LDB: i32 = 8;
export const J_TB: i32 = 9; // B is stored N×K
export const J_C: i32 = 10;
export const J_OFF: i32 = 11; // byte address of nb × [aOff, bOff, biasOff, preluOff] (elements)
export const J_BIAS: i32 = 12; // byte address of the bias, 0 for none
export const J_BSM: i32 = 13; // bias strides over rows and columns (0 = broadcast)
export const J_BSN: i32 = 14;
export const J_ACT: i32 = 15;
export const J_ALPHA: i32 = 16; // leakyrelu alpha, f32 bits
export const J_PRELU: i32 = 17; // byte address of prelu weights, 0 for none
export const J_PSM: i32 = 18;
export const J_PSN: i32 = 19;
export const J_WORK: i32 = 20; // this job's scratch (WORK_BYTES)
// The share of the product this job computes: output matrices [B0, B1), and in each
// of them rows [M0, M1) and columns [N0, N1). JS splits the work between threads.
export const J_B0: i32 = 21;
export const J_B1: i32 = 22;
export const J_M0: i32 = 23;
export const J_M1: i32 = 24;
export const J_N0: i32 = 25;
export const J_N1: i32 = 26;
/** Words per job; thread t of a parallel product reads the job at job + t · J_WORDS · 4. */
export const J_WORDS: i32 = 32;

function jobI(job: usize, word: i32): i32 {
  return load<i32>(job + ((<usize>word) << 2));
}

/** Packs rows [i0, i0+mr) × depth [k0, k0+kc) of op(A) as kc groups of 4 (zero-padded). */
function packA(dst: usize, a: usize, lda: i32, ta: i32, i0: i32, mr: i32, k0: i32, kc: i32): void {
  if (ta !== 0) {
    // Stored K×M: the 4 rows of one k are contiguous.
    let src = a + ((<usize>k0 * lda + i0) << 2);
    const step = (<usize>lda) << 2;
    if (mr === MR) {
      for (let k = 0; k < kc; k++) {
        v128.store(dst, v128.load(src));
        dst += 16;
        src += step;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        v128.store(dst, f32x4.splat(0));
        for (let r = 0; r < mr; r++)
          store<f32>(dst + ((<usize>r) << 2), load<f32>(src + ((<usize>r) << 2)));
        dst += 16;
        src += step;
      }
    }
    return;
  }
  const step = (<usize>lda) << 2;
  const r0 = a + ((<usize>i0 * lda + k0) << 2);
  if (mr === MR) {
    const r1 = r0 + step;
    const r2 = r1 + step;
    const r3 = r2 + step;
    let k = 0;
    // Four rows at a time through a 4×4 transpose in registers.
    for (; k + 4 <= kc; k += 4) {
      const o = (<usize>k) << 2;
      const x0 = v128.load(r0 + o);
      const x1 = v128.load(r1 + o);
      const x2 = v128.load(r2 + o);
      const x3 = v128.load(r3 + o);
      const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
      const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
      v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(dst, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
      v128.store(dst, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
      v128.store(dst, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
      dst += 64;
    }
    for (; k < kc; k++) {
      const o = (<usize>k) << 2;
      store<f32>(dst, load<f32>(r0 + o));
      store<f32>(dst, load<f32>(r1 + o), 4);
      store<f32>(dst, load<f32>(r2 + o), 8);
      store<f32>(dst, load<f32>(r3 + o), 12);
      dst += 16;
    }
  } else {
    for (let k = 0; k < kc; k++) {
      v128.store(dst, f32x4.splat(0));
      for (let r = 0; r < mr; r++) {
        store<f32>(dst + ((<usize>r) << 2), load<f32>(r0 + <usize>r * step + ((<usize>k) << 2)));
      }
      dst += 16;
    }
  }
}

/** Packs depth [k0, k0+kc) × columns [j0, j0+nr) of op(B) as kc groups of 8 (zero-padded). */
function packB(dst: usize, b: usize, ldb: i32, tb: i32, j0: i32, nr: i32, k0: i32, kc: i32): void {
  const step = (<usize>ldb) << 2;
  if (tb === 0) {
    // Stored K×N: the 8 columns of one k are contiguous.
    let src = b + ((<usize>k0 * ldb + j0) << 2);
    if (nr === NR) {
      for (let k = 0; k < kc; k++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        dst += 32;
        src += step;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        v128.store(dst, f32x4.splat(0));
        v128.store(dst, f32x4.splat(0), 16);
        for (let c = 0; c < nr; c++)
          store<f32>(dst + ((<usize>c) << 2), load<f32>(src + ((<usize>c) << 2)));
        dst += 32;
        src += step;
      }
    }
    return;
  }
  // Stored N×K: column j of op(B) is row j, contiguous in k.
  const r0 = b + ((<usize>j0 * ldb + k0) << 2);
  if (nr === NR) {
    let k = 0;
    for (; k + 4 <= kc; k += 4) {
      const o = (<usize>k) << 2;
      for (let half: usize = 0; half < 2; half++) {
        const base = r0 + half * 4 * step + o;
        const x0 = v128.load(base);
        const x1 = v128.load(base + step);
        const x2 = v128.load(base + 2 * step);
        const x3 = v128.load(base + 3 * step);
        const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
        const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        const d = dst + (half << 4);
        v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(d, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 32);
        v128.store(d, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 64);
        v128.store(d, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 96);
      }
      dst += 128;
    }
    for (; k < kc; k++) {
      const o = (<usize>k) << 2;
      for (let c = 0; c < NR; c++)
        store<f32>(dst + ((<usize>c) << 2), load<f32>(r0 + <usize>c * step + o));
      dst += 32;
    }
  } else {
    for (let k = 0; k < kc; k++) {
      v128.store(dst, f32x4.splat(0));
      v128.store(dst, f32x4.splat(0), 16);
      const o = (<usize>k) << 2;
      for (let c = 0; c < nr; c++)
        store<f32>(dst + ((<usize>c) << 2), load<f32>(r0 + <usize>c * step + o));
      dst += 32;
    }
  }
}

/**
 * The 4×8 micro-kernel: C[4×8] (=|+=) Apanel[kc×4]ᵀ · Bpanel[kc×8]. `ldc` in bytes.
 * Inlined into the loop nest: as a call it runs ~15% slower in V8 (measured), and
 * unrolling k twice costs more than it saves (the extra live B vectors spill).
 * AssemblyScript allows @inline on functions, but TypeScript tooling only parses
 * decorators on class members, hence the class.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a class member is where @inline parses.
class Micro {
  @inline
  static run(pa: usize, pb: usize, kc: i32, c: usize, ldc: usize, accumulate: bool): void {
    let c00 = f32x4.splat(0);
    let c01 = f32x4.splat(0);
    let c10 = f32x4.splat(0);
    let c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0);
    let c21 = f32x4.splat(0);
    let c30 = f32x4.splat(0);
    let c31 = f32x4.splat(0);
    for (let k = 0; k < kc; k++) {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      let a = v128.load32_splat(pa);
      c00 = f32x4.add(c00, f32x4.mul(a, b0));
      c01 = f32x4.add(c01, f32x4.mul(a, b1));
      a = v128.load32_splat(pa, 4);
      c10 = f32x4.add(c10, f32x4.mul(a, b0));
      c11 = f32x4.add(c11, f32x4.mul(a, b1));
      a = v128.load32_splat(pa, 8);
      c20 = f32x4.add(c20, f32x4.mul(a, b0));
      c21 = f32x4.add(c21, f32x4.mul(a, b1));
      a = v128.load32_splat(pa, 12);
      c30 = f32x4.add(c30, f32x4.mul(a, b0));
      c31 = f32x4.add(c31, f32x4.mul(a, b1));
      pa += 16;
      pb += 32;
    }
    const c1 = c + ldc;
    const c2 = c1 + ldc;
    const c3 = c2 + ldc;
    if (accumulate) {
      c00 = f32x4.add(c00, v128.load(c));
      c01 = f32x4.add(c01, v128.load(c, 16));
      c10 = f32x4.add(c10, v128.load(c1));
      c11 = f32x4.add(c11, v128.load(c1, 16));
      c20 = f32x4.add(c20, v128.load(c2));
      c21 = f32x4.add(c21, v128.load(c2, 16));
      c30 = f32x4.add(c30, v128.load(c3));
      c31 = f32x4.add(c31, v128.load(c3, 16));
    }
    v128.store(c, c00);
    v128.store(c, c01, 16);
    v128.store(c1, c10);
    v128.store(c1, c11, 16);
    v128.store(c2, c20);
    v128.store(c2, c21, 16);
    v128.store(c3, c30);
    v128.store(c3, c31, 16);
  }
}

// Activation markers (see elementwise.ts): the activation is a type parameter so each
// epilogue loop is compiled for one activation, with no per-vector dispatch.
type ActLinear = u8;
type ActRelu = u16;
type ActRelu6 = u32;
type ActPrelu = u64;
type ActLeaky = i8;
type ActSigmoid = i16;
type ActElu = i32;

// biome-ignore lint/complexity/noStaticOnlyClass: a class member is where @inline parses.
class Epi {
  /** Up to 4 floats at byte stride `stride` (0 = broadcast); lanes beyond `n` are 0. */
  @inline
  static gather(p: usize, stride: usize, n: i32): v128 {
    if (stride === 4 && n === 4) return v128.load(p);
    if (stride === 0) return v128.load32_splat(p);
    let v = f32x4.splat(0);
    if (n > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
    if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p + stride));
    if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * stride));
    if (n > 3) v = f32x4.replace_lane(v, 3, load<f32>(p + 3 * stride));
    return v;
  }

  @inline
  static act<A>(x: v128, alpha: v128): v128 {
    const zero = f32x4.splat(0);
    if (isSigned<A>()) {
      if (sizeof<A>() === 1) return v128.bitselect(f32x4.mul(x, alpha), x, f32x4.lt(x, zero));
      if (sizeof<A>() === 2) return V.sigmoid(x);
      return v128.bitselect(x, V.expm1(x), f32x4.ge(x, zero));
    }
    if (sizeof<A>() === 1) return x;
    if (sizeof<A>() === 2) return f32x4.max(x, zero);
    if (sizeof<A>() === 4) return f32x4.min(f32x4.max(x, zero), f32x4.splat(6.0));
    return v128.bitselect(f32x4.mul(x, alpha), x, f32x4.lt(x, zero));
  }

  /**
   * Bias and activation over one row segment of n floats at `c`, in place, with the
   * bias and prelu weights read at byte strides bsn / psn (0 = one value for the row).
   */
  @inline
  static row<A>(
    c: usize,
    n: i32,
    bias: usize,
    bsn: usize,
    alpha: f32,
    prelu: usize,
    psn: usize,
  ): void {
    let alphaV = f32x4.splat(alpha);
    for (let j = 0; j < n; j += 4) {
      const m = min(4, n - j);
      const p = c + ((<usize>j) << 2);
      let x = m === 4 ? v128.load(p) : Epi.gather(p, 4, m);
      if (bias !== 0) x = f32x4.add(x, Epi.gather(bias + <usize>j * bsn, bsn, m));
      if (sizeof<A>() === 8) alphaV = Epi.gather(prelu + <usize>j * psn, psn, m);
      x = Epi.act<A>(x, alphaV);
      if (m === 4) {
        v128.store(p, x);
      } else {
        store<f32>(p, f32x4.extract_lane(x, 0));
        if (m > 1) store<f32>(p, f32x4.extract_lane(x, 1), 4);
        if (m > 2) store<f32>(p, f32x4.extract_lane(x, 2), 8);
      }
    }
  }
}

function epilogueRow(
  c: usize,
  n: i32,
  bias: usize,
  bsn: usize,
  act: i32,
  alpha: f32,
  prelu: usize,
  psn: usize,
): void {
  if (act === ACT_LINEAR) Epi.row<ActLinear>(c, n, bias, bsn, alpha, prelu, psn);
  else if (act === ACT_RELU) Epi.row<ActRelu>(c, n, bias, bsn, alpha, prelu, psn);
  else if (act === ACT_RELU6) Epi.row<ActRelu6>(c, n, bias, bsn, alpha, prelu, psn);
  else if (act === ACT_PRELU) Epi.row<ActPrelu>(c, n, bias, bsn, alpha, prelu, psn);
  else if (act === ACT_LEAKYRELU) Epi.row<ActLeaky>(c, n, bias, bsn, alpha, prelu, psn);
  else if (act === ACT_SIGMOID) Epi.row<ActSigmoid>(c, n, bias, bsn, alpha, prelu, psn);
  else Epi.row<ActElu>(c, n, bias, bsn, alpha, prelu, psn);
}

/**
 * One matrix, output rows [m0, m1) and columns [n0, n1): the blocked loop nest with
 * packing, then the epilogue on each finished MC×NC block while it is in cache.
 */
function gemmBlock(
  job: usize,
  a: usize,
  b: usize,
  c: usize,
  bias: usize,
  prelu: usize,
  m0: i32,
  m1: i32,
  n0: i32,
  n1: i32,
  work: usize,
): void {
  const n = jobI(job, J_N);
  const k = jobI(job, J_K);
  const lda = jobI(job, J_LDA);
  const ta = jobI(job, J_TA);
  const ldb = jobI(job, J_LDB);
  const tb = jobI(job, J_TB);
  const act = jobI(job, J_ACT);
  const alpha = reinterpret<f32>(jobI(job, J_ALPHA));
  const bsm = (<usize>jobI(job, J_BSM)) << 2;
  const bsn = (<usize>jobI(job, J_BSN)) << 2;
  const psm = (<usize>jobI(job, J_PSM)) << 2;
  const psn = (<usize>jobI(job, J_PSN)) << 2;
  const epilogue = bias !== 0 || act !== ACT_LINEAR;
  const ldc = (<usize>n) << 2;
  const bufA = work;
  const bufB = work + ((<usize>(MC * KC)) << 2);
  const tile = bufB + ((<usize>(KC * NC)) << 2);

  if (k === 0) {
    for (let i = m0; i < m1; i++)
      memory.fill(c + <usize>i * ldc + ((<usize>n0) << 2), 0, (<usize>(n1 - n0)) << 2);
  }
  for (let jc = n0; jc < n1; jc += NC) {
    const nc = min(NC, n1 - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const first = pc === 0;
      for (let jr = 0; jr < nc; jr += NR) {
        packB(bufB + <usize>jr * kc * 4, b, ldb, tb, jc + jr, min(NR, nc - jr), pc, kc);
      }
      for (let ic = m0; ic < m1; ic += MC) {
        const mc = min(MC, m1 - ic);
        for (let ir = 0; ir < mc; ir += MR) {
          packA(bufA + <usize>ir * kc * 4, a, lda, ta, ic + ir, min(MR, mc - ir), pc, kc);
        }
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pb = bufB + <usize>jr * kc * 4;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pa = bufA + <usize>ir * kc * 4;
            const cp = c + <usize>(ic + ir) * ldc + ((<usize>(jc + jr)) << 2);
            if (mr === MR && nr === NR) {
              Micro.run(pa, pb, kc, cp, ldc, !first);
            } else {
              // Edge tile: compute into the spill tile, then copy (or add) the valid part.
              Micro.run(pa, pb, kc, tile, NR * 4, false);
              for (let r = 0; r < mr; r++) {
                const dst = cp + <usize>r * ldc;
                const src = tile + ((<usize>(r * NR)) << 2);
                for (let q = 0; q < nr; q++) {
                  const o = (<usize>q) << 2;
                  const v = load<f32>(src + o);
                  store<f32>(dst + o, first ? v : load<f32>(dst + o) + v);
                }
              }
            }
          }
        }
        if (epilogue && pc + kc >= k) {
          for (let i = ic; i < ic + mc; i++) {
            epilogueRow(
              c + <usize>i * ldc + ((<usize>jc) << 2),
              nc,
              bias === 0 ? 0 : bias + <usize>i * bsm + <usize>jc * bsn,
              bsn,
              act,
              alpha,
              prelu === 0 ? 0 : prelu + <usize>i * psm + <usize>jc * psn,
              psn,
            );
          }
        }
      }
    }
    if (k === 0 && epilogue) {
      for (let i = m0; i < m1; i++) {
        epilogueRow(
          c + <usize>i * ldc + ((<usize>jc) << 2),
          nc,
          bias === 0 ? 0 : bias + <usize>i * bsm + <usize>jc * bsn,
          bsn,
          act,
          alpha,
          prelu === 0 ? 0 : prelu + <usize>i * psm + <usize>jc * psn,
          psn,
        );
      }
    }
  }
}

function runBatch(job: usize, bi: i32, m0: i32, m1: i32, n0: i32, n1: i32, work: usize): void {
  const m = jobI(job, J_M);
  const n = jobI(job, J_N);
  const off = <usize>jobI(job, J_OFF) + ((<usize>bi) << 4);
  const a = <usize>jobI(job, J_A) + ((<usize>load<i32>(off)) << 2);
  const b = <usize>jobI(job, J_B) + ((<usize>load<i32>(off, 4)) << 2);
  const c = <usize>jobI(job, J_C) + ((<usize>bi * m * n) << 2);
  const biasBase = <usize>jobI(job, J_BIAS);
  const preluBase = <usize>jobI(job, J_PRELU);
  const bias: usize = biasBase === 0 ? 0 : biasBase + ((<usize>load<i32>(off, 8)) << 2);
  const prelu: usize = preluBase === 0 ? 0 : preluBase + ((<usize>load<i32>(off, 12)) << 2);
  gemmBlock(job, a, b, c, bias, prelu, m0, m1, n0, n1, work);
}

/** Thread `tid` runs the share described by its own job (the JS side splits the work). */
export function gemmTask(jobs: usize, tid: i32): void {
  const job = jobs + <usize>tid * ((<usize>J_WORDS) << 2);
  const work = <usize>jobI(job, J_WORK);
  const m0 = jobI(job, J_M0);
  const m1 = jobI(job, J_M1);
  const n0 = jobI(job, J_N0);
  const n1 = jobI(job, J_N1);
  const b1 = jobI(job, J_B1);
  for (let bi = jobI(job, J_B0); bi < b1; bi++) runBatch(job, bi, m0, m1, n0, n1, work);
}
