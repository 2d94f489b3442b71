/**
 * The paper optimisers' published update rules in plain float64
 * JavaScript, written from the papers' algorithm boxes (and, where the
 * paper leaves a choice open, the convention noted on each): independent of
 * the tensor code under test.
 */
import type { Reference } from './torch.js';

const norm = (x: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
};
const rms = (x: ArrayLike<number>) => norm(x) / Math.sqrt(x.length);

/**
 * LAMB, You et al. 2020 (arXiv 1904.00962) Alg. 2 with φ = identity:
 * r = m̂/(√v̂ + ε), u = r + λx, x ← x − η·(‖x‖/‖u‖)·u per tensor, the
 * ratio taken as 1 when a norm is 0 (optax's convention).
 */
export function paperLamb(o: {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}): Reference {
  const [b1, b2] = o.betas;
  const st: { t: number; m: Float64Array; v: Float64Array }[] = [];
  return {
    step(params, grads) {
      params.forEach((x, i) => {
        const s = (st[i] ??= {
          t: 0,
          m: new Float64Array(x.length),
          v: new Float64Array(x.length),
        });
        s.t += 1;
        const g = grads[i];
        const u = new Float64Array(x.length);
        for (let j = 0; j < x.length; j++) {
          s.m[j] = b1 * s.m[j] + (1 - b1) * g[j];
          s.v[j] = b2 * s.v[j] + (1 - b2) * g[j] * g[j];
          const mHat = s.m[j] / (1 - b1 ** s.t);
          const vHat = s.v[j] / (1 - b2 ** s.t);
          u[j] = mHat / (Math.sqrt(vHat) + o.eps) + o.weightDecay * x[j];
        }
        const xn = norm(x);
        const un = norm(u);
        const ratio = xn === 0 || un === 0 ? 1 : xn / un;
        for (let j = 0; j < x.length; j++) x[j] -= o.lr * ratio * u[j];
      });
    },
  };
}

/**
 * Lion, Chen et al. 2023 (arXiv 2302.06675) Alg. 2:
 * c = β₁m + (1 − β₁)g; x ← x − η(sign(c) + λx); m ← β₂m + (1 − β₂)g.
 */
export function paperLion(o: {
  lr: number;
  betas: [number, number];
  weightDecay: number;
}): Reference {
  const [b1, b2] = o.betas;
  const st: Float64Array[] = [];
  return {
    step(params, grads) {
      params.forEach((x, i) => {
        const m = (st[i] ??= new Float64Array(x.length));
        const g = grads[i];
        for (let j = 0; j < x.length; j++) {
          const c = b1 * m[j] + (1 - b1) * g[j];
          x[j] -= o.lr * (Math.sign(c) + o.weightDecay * x[j]);
          m[j] = b2 * m[j] + (1 - b2) * g[j];
        }
      });
    },
  };
}

/**
 * AdaBelief, Zhuang et al. 2020 (arXiv 2010.07468) Alg. 2:
 * m = β₁m + (1 − β₁)g; s = β₂s + (1 − β₂)(g − m)² + ε; bias-correct both;
 * x ← x − η·m̂/(√ŝ + ε), plus decoupled decay ηλx (the authors' code default).
 */
export function paperAdaBelief(o: {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}): Reference {
  const [b1, b2] = o.betas;
  const st: { t: number; m: Float64Array; s: Float64Array }[] = [];
  return {
    step(params, grads) {
      params.forEach((x, i) => {
        const s = (st[i] ??= {
          t: 0,
          m: new Float64Array(x.length),
          s: new Float64Array(x.length),
        });
        s.t += 1;
        const g = grads[i];
        for (let j = 0; j < x.length; j++) {
          s.m[j] = b1 * s.m[j] + (1 - b1) * g[j];
          s.s[j] = b2 * s.s[j] + (1 - b2) * (g[j] - s.m[j]) ** 2 + o.eps;
          const mHat = s.m[j] / (1 - b1 ** s.t);
          const sHat = s.s[j] / (1 - b2 ** s.t);
          x[j] -= o.lr * (mHat / (Math.sqrt(sHat) + o.eps) + o.weightDecay * x[j]);
        }
      });
    },
  };
}

/**
 * Adafactor, Shazeer & Stern 2018 (arXiv 1804.04235) Alg. 4 (matrices,
 * with row and column *sums*) and Alg. 5 (vectors), relative step
 * ρₜ = min(10⁻², 1/√t), αₜ = max(ε₂, RMS(Xₜ₋₁))ρₜ, β̂₂ₜ = 1 − t^−0.8,
 * update clipping at d. `shapes` gives each parameter's [rows, cols] or [n].
 */
export function paperAdafactor(
  shapes: number[][],
  o: { eps1: number; eps2: number; d: number; cap: number },
): Reference {
  const st: { t: number; r: Float64Array; c: Float64Array; v: Float64Array }[] = [];
  return {
    step(params, grads) {
      params.forEach((x, i) => {
        const shape = shapes[i];
        const s = (st[i] ??= {
          t: 0,
          r: new Float64Array(shape.length === 2 ? shape[0] : 0),
          c: new Float64Array(shape.length === 2 ? shape[1] : 0),
          v: new Float64Array(shape.length === 2 ? 0 : x.length),
        });
        s.t += 1;
        const t = s.t;
        const rho = Math.min(o.cap, 1 / Math.sqrt(t));
        const alpha = Math.max(o.eps2, rms(x)) * rho;
        const beta2 = 1 - t ** -0.8;
        const g = grads[i];
        const u = new Float64Array(x.length);
        if (shape.length === 2) {
          const [n, m] = shape;
          for (let a = 0; a < n; a++) {
            let sum = 0;
            for (let b = 0; b < m; b++) sum += g[a * m + b] ** 2 + o.eps1;
            s.r[a] = beta2 * s.r[a] + (1 - beta2) * sum;
          }
          for (let b = 0; b < m; b++) {
            let sum = 0;
            for (let a = 0; a < n; a++) sum += g[a * m + b] ** 2 + o.eps1;
            s.c[b] = beta2 * s.c[b] + (1 - beta2) * sum;
          }
          let rSum = 0;
          for (let a = 0; a < n; a++) rSum += s.r[a];
          for (let a = 0; a < n; a++) {
            for (let b = 0; b < m; b++)
              u[a * m + b] = g[a * m + b] / Math.sqrt((s.r[a] * s.c[b]) / rSum);
          }
        } else {
          for (let j = 0; j < x.length; j++) {
            s.v[j] = beta2 * s.v[j] + (1 - beta2) * (g[j] ** 2 + o.eps1);
            u[j] = g[j] / Math.sqrt(s.v[j]);
          }
        }
        const clipBy = Math.max(1, rms(u) / o.d);
        for (let j = 0; j < x.length; j++) x[j] -= (alpha * u[j]) / clipBy;
      });
    },
  };
}

/**
 * Schedule-free AdamW, Defazio et al. 2024 (arXiv 2405.15682), as the
 * authors' `adamw_schedulefree_reference.py` computes it, storing x, y and
 * z explicitly. `step` updates the parameters (y); `evalParams` gives x.
 */
export function referenceScheduleFreeAdamW(o: {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  warmupSteps: number;
  r: number;
  weightLrPower: number;
}): Reference & { x: () => Float64Array[] } {
  const [b1, b2] = o.betas;
  let k = 0;
  let lrMax = -1;
  let weightSum = 0;
  const st: { z: Float64Array; v: Float64Array; x: Float64Array }[] = [];
  return {
    x: () => st.map((s) => Float64Array.from(s.x)),
    step(params, grads) {
      const sched = k < o.warmupSteps ? (k + 1) / o.warmupSteps : 1;
      const lr = o.lr * sched * Math.sqrt(1 - b2 ** (k + 1));
      lrMax = Math.max(lr, lrMax);
      const weight = (k + 1) ** o.r * lrMax ** o.weightLrPower;
      weightSum += weight;
      const c = weight / weightSum;
      params.forEach((y, i) => {
        const s = (st[i] ??= {
          z: Float64Array.from(y),
          v: new Float64Array(y.length),
          x: Float64Array.from(y),
        });
        const g = grads[i];
        for (let j = 0; j < y.length; j++) {
          s.z[j] -= lr * o.weightDecay * y[j];
          s.v[j] = s.v[j] * b2 + (1 - b2) * g[j] * g[j];
          s.z[j] -= (lr * g[j]) / (Math.sqrt(s.v[j]) + o.eps);
          s.x[j] = s.x[j] * (1 - c) + c * s.z[j];
          y[j] = b1 * s.x[j] + (1 - b1) * s.z[j];
        }
      });
      k += 1;
    },
  };
}
