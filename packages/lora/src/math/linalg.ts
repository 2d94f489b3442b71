import { type Rng, ValidationError } from '@kd/core';

/**
 * Small dense linear algebra in float64 for adapter initialisation (PiSSA,
 * OLoRA) and combination: matrices are row-major `Float64Array`s with an
 * explicit shape. These run once per layer, outside any training step, so
 * clarity and accuracy matter more than speed.
 */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  if (data && data.length !== rows * cols) {
    throw new ValidationError(`matrix data has ${data.length} values, expected ${rows}×${cols}`);
  }
  return { rows, cols, data: data ? Float64Array.from(data) : new Float64Array(rows * cols) };
}

export function transpose(a: Matrix): Matrix {
  const out = matrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  }
  return out;
}

export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) {
    throw new ValidationError(`cannot multiply ${a.rows}×${a.cols} by ${b.rows}×${b.cols}`);
  }
  const out = matrix(a.rows, b.cols);
  const { data: o } = out;
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const v = a.data[i * a.cols + k];
      if (v === 0) continue;
      const bo = k * b.cols;
      const oo = i * b.cols;
      for (let j = 0; j < b.cols; j++) o[oo + j] += v * b.data[bo + j];
    }
  }
  return out;
}

/** Columns `[from, to)` of `a`. */
export function columns(a: Matrix, from: number, to: number): Matrix {
  const out = matrix(a.rows, to - from);
  for (let i = 0; i < a.rows; i++) {
    for (let j = from; j < to; j++) out.data[i * out.cols + j - from] = a.data[i * a.cols + j];
  }
  return out;
}

/** Rows `[from, to)` of `a`. */
export function rowsOf(a: Matrix, from: number, to: number): Matrix {
  return { rows: to - from, cols: a.cols, data: a.data.slice(from * a.cols, to * a.cols) };
}

export interface Svd {
  /** `rows × k` left singular vectors (k = min(rows, cols)). */
  u: Matrix;
  /** Singular values, descending. */
  s: Float64Array;
  /** `k × cols`: the right singular vectors as rows (torch's `Vh`). */
  vh: Matrix;
}

/**
 * Thin SVD `a = u · diag(s) · vh` by one-sided Jacobi rotations (Hestenes),
 * which is accurate to working precision for every singular value. Singular
 * vectors are unique only up to sign (and rotation within repeated values),
 * so callers should rely on products such as `u_r s_r vh_r`, as PiSSA does.
 */
export function svd(a: Matrix): Svd {
  if (a.rows < a.cols) {
    const t = svd(transpose(a));
    return { u: transpose(t.vh), s: t.s, vh: transpose(t.u) };
  }
  const m = a.rows;
  const n = a.cols;
  // Work on columns: w = a (m×n, column-major copy for locality), v = I.
  const w = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[j * m + i] = a.data[i * n + j];
  const v = new Float64Array(n * n);
  for (let j = 0; j < n; j++) v[j * n + j] = 1;
  const eps = 1e-15;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        const po = p * m;
        const qo = q * m;
        for (let i = 0; i < m; i++) {
          const x = w[po + i];
          const y = w[qo + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (Math.abs(gamma) <= eps * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = w[po + i];
          const y = w[qo + i];
          w[po + i] = c * x - s * y;
          w[qo + i] = s * x + c * y;
        }
        const vp = p * n;
        const vq = q * n;
        for (let i = 0; i < n; i++) {
          const x = v[vp + i];
          const y = v[vq + i];
          v[vp + i] = c * x - s * y;
          v[vq + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = Array.from({ length: n }, (_, j) => {
    let s = 0;
    for (let i = 0; i < m; i++) s += w[j * m + i] ** 2;
    return Math.sqrt(s);
  });
  const order = norms.map((_, j) => j).sort((x, y) => norms[y] - norms[x]);
  const u = matrix(m, n);
  const vh = matrix(n, n);
  const s = new Float64Array(n);
  order.forEach((j, k) => {
    s[k] = norms[j];
    for (let i = 0; i < m; i++) u.data[i * n + k] = norms[j] > 0 ? w[j * m + i] / norms[j] : 0;
    for (let i = 0; i < n; i++) vh.data[k * n + i] = v[j * n + i];
  });
  return { u, s, vh };
}

/**
 * Reduced QR `a = q · r` by Householder reflections with LAPACK's sign
 * convention (`dgeqrf`: each reflector sends its column to `−sign(a_kk)·‖x‖`),
 * which is what `torch.linalg.qr` returns on the CPU, so OLoRA's factors
 * match PyTorch's, signs included.
 */
export function qr(a: Matrix): { q: Matrix; r: Matrix } {
  const m = a.rows;
  const n = a.cols;
  const k = Math.min(m, n);
  const w = Float64Array.from(a.data);
  const vs: Float64Array[] = [];
  const taus: number[] = [];
  for (let j = 0; j < k; j++) {
    const alpha = w[j * n + j];
    let xnorm = 0;
    for (let i = j + 1; i < m; i++) xnorm += w[i * n + j] ** 2;
    xnorm = Math.sqrt(xnorm);
    const v = new Float64Array(m - j);
    v[0] = 1;
    if (xnorm === 0) {
      // H = I (LAPACK's tau = 0 when the column below the diagonal is zero).
      vs.push(v);
      taus.push(0);
      continue;
    }
    const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
    const tau = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    for (let i = j + 1; i < m; i++) v[i - j] = w[i * n + j] * scale;
    // Apply H = I − τ v vᵀ to columns j..n−1.
    for (let c = j; c < n; c++) {
      let dot = 0;
      for (let i = j; i < m; i++) dot += v[i - j] * w[i * n + c];
      dot *= tau;
      for (let i = j; i < m; i++) w[i * n + c] -= dot * v[i - j];
    }
    w[j * n + j] = beta;
    for (let i = j + 1; i < m; i++) w[i * n + j] = 0;
    vs.push(v);
    taus.push(tau);
  }
  const r = matrix(k, n);
  for (let i = 0; i < k; i++) for (let c = i; c < n; c++) r.data[i * n + c] = w[i * n + c];
  // Q = H_0 H_1 … H_{k−1} applied to the first k columns of the identity.
  const q = matrix(m, k);
  for (let i = 0; i < k; i++) q.data[i * k + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const v = vs[j];
    const tau = taus[j];
    if (tau === 0) continue;
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let i = j; i < m; i++) dot += v[i - j] * q.data[i * k + c];
      dot *= tau;
      for (let i = j; i < m; i++) q.data[i * k + c] -= dot * v[i - j];
    }
  }
  return { q, r };
}

/**
 * Rank-`q` approximate SVD by randomized subspace iteration (Halko et al.
 * 2011, the algorithm behind `torch.svd_lowrank` that PEFT's
 * `pissa_niter_<n>` uses): Gaussian test matrix from `rng`, `niter` power
 * iterations with re-orthonormalisation, then an exact SVD of the small
 * projected matrix.
 */
export function svdLowRank(a: Matrix, q: number, niter: number, rng: Rng): Svd {
  const k = Math.min(q, a.rows, a.cols);
  const omega = matrix(a.cols, k, rng.normalArray(a.cols * k));
  let y = qr(matmul(a, omega)).q;
  const at = transpose(a);
  for (let i = 0; i < niter; i++) {
    const z = qr(matmul(at, y)).q;
    y = qr(matmul(a, z)).q;
  }
  const b = matmul(transpose(y), a); // k × cols
  const small = svd(b);
  return { u: matmul(y, small.u), s: small.s, vh: small.vh };
}
