// Vectorised transcendental functions on f32x4 lanes. Accuracy is within a couple of
// ulps of the correctly rounded result over the whole float range (inf, nan and
// denormals included), so kernels agree with tfjs-cpu (which evaluates in float64).

const LOG2E: f32 = <f32>Math.LOG2E;
// ln 2 split so that n * LN2_HI is exact for the n this range reduction produces.
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.1219444e-4;
/** 1.5 · 2^23: adding it rounds a float in ±2^22 to an integer held in the low mantissa bits. */
const ROUNDER: f32 = 12582912.0;
const ROUNDER_BITS: i32 = 0x4b400000;

/**
 * The functions are static members so AssemblyScript's @inline applies (TypeScript
 * tooling parses decorators only on class members): as calls, the v128 argument and
 * result cost more than the math in these memory-bound loops.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a class member is where @inline parses.
export class V {
  /** e^x per lane (Cephes expf polynomial, two-step scaling so denormals and overflow are right). */
  @inline
  static exp(x: v128): v128 {
    // Below -104 the result rounds to 0; above 89 it overflows to inf. pmax/pmin (one
    // instruction each, unlike min/max) keep a NaN x because x is their first operand.
    x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-104.0)), f32x4.splat(89.0));
    // n = round(x·log2 e) by the 1.5·2^23 trick: the sum's low mantissa bits are n.
    const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUNDER));
    const fx = f32x4.sub(t, f32x4.splat(ROUNDER));
    let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(LN2_HI)));
    r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(LN2_LO)));
    const z = f32x4.mul(r, r);
    let y = f32x4.splat(1.98756915e-4);
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.3981999507e-3));
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
    y = f32x4.add(f32x4.add(f32x4.mul(y, z), r), f32x4.splat(1.0));
    // 2^n as two factors 2^(n>>1) · 2^(n - n>>1): each stays a normal float for n in [-150, 129].
    const n = i32x4.sub(t, i32x4.splat(ROUNDER_BITS));
    const n1 = i32x4.shr_s(n, 1);
    const n2 = i32x4.sub(n, n1);
    const bias = i32x4.splat(127);
    const p1 = i32x4.shl(i32x4.add(n1, bias), 23);
    const p2 = i32x4.shl(i32x4.add(n2, bias), 23);
    return f32x4.mul(f32x4.mul(y, p1), p2);
  }

  /** e^x - 1 per lane, accurate near 0 (a Taylor series there, expV - 1 elsewhere). */
  @inline
  static expm1(x: v128): v128 {
    const big = f32x4.sub(V.exp(x), f32x4.splat(1.0));
    let p = f32x4.splat(1.0 / 5040.0);
    p = f32x4.add(f32x4.mul(p, x), f32x4.splat(1.0 / 720.0));
    p = f32x4.add(f32x4.mul(p, x), f32x4.splat(1.0 / 120.0));
    p = f32x4.add(f32x4.mul(p, x), f32x4.splat(1.0 / 24.0));
    p = f32x4.add(f32x4.mul(p, x), f32x4.splat(1.0 / 6.0));
    p = f32x4.add(f32x4.mul(p, x), f32x4.splat(0.5));
    const small = f32x4.add(f32x4.mul(f32x4.mul(p, x), x), x);
    const isSmall = f32x4.lt(f32x4.abs(x), f32x4.splat(0.3));
    return v128.bitselect(small, big, isSmall);
  }

  /** 1 / (1 + e^-x) per lane. */
  @inline
  static sigmoid(x: v128): v128 {
    const one = f32x4.splat(1.0);
    return f32x4.div(one, f32x4.add(one, V.exp(f32x4.neg(x))));
  }

  /**
   * erf per lane with the formula tfjs-cpu uses (Abramowitz & Stegun 7.1.26, |error| <
   * 1.5e-7), so both backends train the same GELU.
   */
  @inline
  static erf(x: v128): v128 {
    const v = f32x4.abs(x);
    const one = f32x4.splat(1.0);
    const t = f32x4.div(one, f32x4.add(one, f32x4.mul(f32x4.splat(0.3275911), v)));
    let p = f32x4.splat(1.061405429);
    p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.453152027));
    p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.421413741));
    p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.284496736));
    p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.254829592));
    const e = V.exp(f32x4.neg(f32x4.mul(v, v)));
    const mag = f32x4.sub(one, f32x4.mul(f32x4.mul(p, t), e));
    // Copy x's sign; erf(±0) is exactly 0 as Math.sign(0) makes it on cpu.
    const signed = v128.or(mag, v128.and(x, i32x4.splat(0x80000000)));
    return v128.bitselect(x, signed, f32x4.eq(x, f32x4.splat(0)));
  }
}
