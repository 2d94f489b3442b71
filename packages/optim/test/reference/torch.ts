/**
 * torch.optim's update rules re-implemented in plain float64 JavaScript,
 * element by element, from torch's `_single_tensor_<name>` functions
 * (torch/optim/{sgd,adagrad,rmsprop,adadelta,adam,adamax,nadam,radam}.py,
 * torch 2.x, `foreach=False`, `capturable=False`). They share no code with
 * the tensor implementation under test: the parity tests feed both the same
 * float32 gradients and compare trajectories.
 *
 * Each reference keeps its own per-parameter state and a per-parameter
 * step, like torch; `step(params, grads)` updates params in place.
 */

export interface Reference {
  step(params: Float64Array[], grads: Float64Array[]): void;
}

type PerParam<T> = (size: number) => T;

function lazy<T>(make: PerParam<T>) {
  const states: T[] = [];
  return (i: number, size: number) => (states[i] ??= make(size));
}

const maximized = (g: Float64Array, maximize: boolean) =>
  maximize ? g.map((x) => -x) : Float64Array.from(g);

export interface SgdRef {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

export function torchSgd(o: SgdRef): Reference {
  const {
    lr,
    momentum = 0,
    dampening = 0,
    weightDecay = 0,
    nesterov = false,
    maximize = false,
  } = o;
  const state = lazy(() => ({ buf: null as Float64Array | null }));
  return {
    step(params, grads) {
      params.forEach((p, i) => {
        const s = state(i, p.length);
        let dp = maximized(grads[i], maximize);
        if (weightDecay !== 0) dp = dp.map((x, j) => x + weightDecay * p[j]);
        if (momentum !== 0) {
          if (s.buf === null) s.buf = Float64Array.from(dp);
          else {
            const buf = s.buf;
            for (let j = 0; j < buf.length; j++)
              buf[j] = buf[j] * momentum + (1 - dampening) * dp[j];
          }
          const buf = s.buf;
          dp = nesterov ? dp.map((x, j) => x + momentum * buf[j]) : Float64Array.from(buf);
        }
        for (let j = 0; j < p.length; j++) p[j] += -lr * dp[j];
      });
    },
  };
}

export interface AdagradRef {
  lr: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  maximize?: boolean;
}

export function torchAdagrad(o: AdagradRef): Reference {
  const { lr, lrDecay = 0, weightDecay = 0, initialAccumulatorValue = 0, eps = 1e-10 } = o;
  const state = lazy((n) => ({ step: 0, sum: new Float64Array(n).fill(initialAccumulatorValue) }));
  return {
    step(params, grads) {
      params.forEach((p, i) => {
        const s = state(i, p.length);
        let g = maximized(grads[i], !!o.maximize);
        s.step += 1;
        if (weightDecay !== 0) g = g.map((x, j) => x + weightDecay * p[j]);
        const clr = lr / (1 + (s.step - 1) * lrDecay);
        for (let j = 0; j < p.length; j++) {
          s.sum[j] += g[j] * g[j];
          const std = Math.sqrt(s.sum[j]) + eps;
          p[j] += (-clr * g[j]) / std;
        }
      });
    },
  };
}

export interface RmspropRef {
  lr: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}

export function torchRmsprop(o: RmspropRef): Reference {
  const { lr, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false } = o;
  const state = lazy((n) => ({
    squareAvg: new Float64Array(n),
    gradAvg: new Float64Array(n),
    buf: new Float64Array(n),
  }));
  return {
    step(params, grads) {
      params.forEach((p, i) => {
        const s = state(i, p.length);
        let g = maximized(grads[i], !!o.maximize);
        if (weightDecay !== 0) g = g.map((x, j) => x + weightDecay * p[j]);
        for (let j = 0; j < p.length; j++) {
          s.squareAvg[j] = s.squareAvg[j] * alpha + (1 - alpha) * g[j] * g[j];
          let avg: number;
          if (centered) {
            s.gradAvg[j] += (1 - alpha) * (g[j] - s.gradAvg[j]); // lerp_
            avg = Math.sqrt(s.squareAvg[j] - s.gradAvg[j] * s.gradAvg[j]);
          } else {
            avg = Math.sqrt(s.squareAvg[j]);
          }
          avg += eps;
          if (momentum > 0) {
            s.buf[j] = s.buf[j] * momentum + g[j] / avg;
            p[j] += -lr * s.buf[j];
          } else {
            p[j] += (-lr * g[j]) / avg;
          }
        }
      });
    },
  };
}

export interface AdadeltaRef {
  lr: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

export function torchAdadelta(o: AdadeltaRef): Reference {
  const { lr, rho = 0.9, eps = 1e-6, weightDecay = 0 } = o;
  const state = lazy((n) => ({ squareAvg: new Float64Array(n), accDelta: new Float64Array(n) }));
  return {
    step(params, grads) {
      params.forEach((p, i) => {
        const s = state(i, p.length);
        let g = maximized(grads[i], !!o.maximize);
        if (weightDecay !== 0) g = g.map((x, j) => x + weightDecay * p[j]);
        for (let j = 0; j < p.length; j++) {
          s.squareAvg[j] = s.squareAvg[j] * rho + (1 - rho) * g[j] * g[j];
          const std = Math.sqrt(s.squareAvg[j] + eps);
          const delta = (Math.sqrt(s.accDelta[j] + eps) / std) * g[j];
          s.accDelta[j] = s.accDelta[j] * rho + (1 - rho) * delta * delta;
          p[j] += -lr * delta;
        }
      });
    },
  };
}

export interface AdamRef {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  /** AdamW (torch.optim.AdamW / Adam(decoupled_weight_decay=True)). */
  decoupled?: boolean;
  maximize?: boolean;
}

export function torchAdam(o: AdamRef): Reference {
  const { lr, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0, amsgrad = false } = o;
  const [b1, b2] = betas;
  const state = lazy((n) => ({
    step: 0,
    m: new Float64Array(n),
    v: new Float64Array(n),
    vmax: new Float64Array(n),
  }));
  return {
    step(params, grads) {
      params.forEach((p, i) => {
        const s = state(i, p.length);
        let g = maximized(grads[i], !!o.maximize);
        s.step += 1;
        if (weightDecay !== 0) {
          if (o.decoupled) for (let j = 0; j < p.length; j++) p[j] *= 1 - lr * weightDecay;
          else g = g.map((x, j) => x + weightDecay * p[j]);
        }
        const bc1 = 1 - b1 ** s.step;
        const bc2 = 1 - b2 ** s.step;
        const stepSize = lr / bc1;
        const bc2Sqrt = Math.sqrt(bc2);
        for (let j = 0; j < p.length; j++) {
          s.m[j] += (1 - b1) * (g[j] - s.m[j]); // lerp_
          s.v[j] = s.v[j] * b2 + (1 - b2) * g[j] * g[j];
          let denom: number;
          if (amsgrad) {
            s.vmax[j] = Math.max(s.vmax[j], s.v[j]);
            denom = Math.sqrt(s.vmax[j]) / bc2Sqrt + eps;
          } else {
            denom = Math.sqrt(s.v[j]) / bc2Sqrt + eps;
          }
          p[j] += (-stepSize * s.m[j]) / denom;
        }
      });
    },
  };
}

export interface AdamaxRef {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

export function torchAdamax(o: AdamaxRef): Reference {
  const { lr, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = o;
  const [b1, b2] = betas;
  const state = lazy((n) => ({ step: 0, m: new Float64Array(n), u: new Float64Array(n) }));
  return {
    step(params, grads) {
      params.forEach((p, i) => {
        const s = state(i, p.length);
        let g = maximized(grads[i], !!o.maximize);
        s.step += 1;
        if (weightDecay !== 0) g = g.map((x, j) => x + weightDecay * p[j]);
        const clr = lr / (1 - b1 ** s.step);
        for (let j = 0; j < p.length; j++) {
          s.m[j] += (1 - b1) * (g[j] - s.m[j]);
          s.u[j] = Math.max(s.u[j] * b2, Math.abs(g[j]) + eps);
          p[j] += (-clr * s.m[j]) / s.u[j];
        }
      });
    },
  };
}

export interface NadamRef {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  momentumDecay?: number;
  decoupled?: boolean;
  maximize?: boolean;
}

export function torchNadam(o: NadamRef): Reference {
  const { lr, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0, momentumDecay = 4e-3 } = o;
  const [b1, b2] = betas;
  const state = lazy((n) => ({
    step: 0,
    muProduct: 1,
    m: new Float64Array(n),
    v: new Float64Array(n),
  }));
  return {
    step(params, grads) {
      params.forEach((p, i) => {
        const s = state(i, p.length);
        let g = maximized(grads[i], !!o.maximize);
        s.step += 1;
        const step = s.step;
        const bc2 = 1 - b2 ** step;
        if (weightDecay !== 0) {
          if (o.decoupled) for (let j = 0; j < p.length; j++) p[j] *= 1 - lr * weightDecay;
          else g = g.map((x, j) => x + weightDecay * p[j]);
        }
        const mu = b1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));
        const muNext = b1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
        s.muProduct *= mu;
        const muProductNext = s.muProduct * muNext;
        for (let j = 0; j < p.length; j++) {
          s.m[j] += (1 - b1) * (g[j] - s.m[j]);
          s.v[j] = s.v[j] * b2 + (1 - b2) * g[j] * g[j];
          const denom = Math.sqrt(s.v[j] / bc2) + eps;
          p[j] += (g[j] / denom) * ((-lr * (1 - mu)) / (1 - s.muProduct));
          p[j] += (s.m[j] / denom) * ((-lr * muNext) / (1 - muProductNext));
        }
      });
    },
  };
}

export interface RadamRef {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  decoupled?: boolean;
  maximize?: boolean;
}

export function torchRadam(o: RadamRef): Reference {
  const { lr, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = o;
  const [b1, b2] = betas;
  const state = lazy((n) => ({ step: 0, m: new Float64Array(n), v: new Float64Array(n) }));
  return {
    step(params, grads) {
      params.forEach((p, i) => {
        const s = state(i, p.length);
        let g = maximized(grads[i], !!o.maximize);
        s.step += 1;
        const step = s.step;
        if (weightDecay !== 0) {
          if (o.decoupled) for (let j = 0; j < p.length; j++) p[j] *= 1 - lr * weightDecay;
          else g = g.map((x, j) => x + weightDecay * p[j]);
        }
        const bc1 = 1 - b1 ** step;
        const bc2 = 1 - b2 ** step;
        const rhoInf = 2 / (1 - b2) - 1;
        const rhoT = rhoInf - (2 * step * b2 ** step) / bc2;
        for (let j = 0; j < p.length; j++) {
          s.m[j] += (1 - b1) * (g[j] - s.m[j]);
          s.v[j] = s.v[j] * b2 + (1 - b2) * g[j] * g[j];
          const corrected = s.m[j] / bc1;
          if (rhoT > 5.0) {
            const rect =
              (((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) ** 0.5;
            const adaptive = bc2 ** 0.5 / (Math.sqrt(s.v[j]) + eps);
            p[j] += -(corrected * lr * adaptive * rect);
          } else {
            p[j] += -(corrected * lr);
          }
        }
      });
    },
  };
}
