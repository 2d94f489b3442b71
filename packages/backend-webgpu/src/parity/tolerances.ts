/**
 * How close a backend must come to the cpu backend, by kind of op. The error of an
 * output is `max |got - ref| / max(1, max |ref|)`: absolute for values of order one
 * and below, relative to the tensor's largest value above. Non-finite values must
 * sit at the same positions with the same value (NaN, +Inf, -Inf).
 */
export const TOLERANCES = {
  /** Data movement (gather, slice, concat, transpose, where, comparisons): bit-exact. */
  exact: 0,
  /** One or two roundings per element (add, mul, div, relu, clip): WGSL allows 2.5 ulp for division. */
  arith: 1e-6,
  /** Sums in a different order (matmul with K up to 2048, reductions, cumsum, segment sums). */
  reduce: 2e-5,
  /**
   * exp, log, pow, erf, tanh and what is built from them (softmax, GELU, layer norm):
   * WGSL allows exp 3 + 2|x| ulp and log 3 ulp (2^-21 absolute near 1).
   */
  transcendental: 2e-5,
  /** sin and cos on [-π, π]: WGSL only promises 2^-11 absolute error there. */
  trig: 5e-4,
  /**
   * sin and cos of rotary-embedding angles (up to 512 rad): WGSL promises nothing
   * outside [-π, π]; this bound is what kd's rotary embeddings can live with.
   */
  trigWide: 2e-3,
} as const;

export type ToleranceClass = keyof typeof TOLERANCES;
