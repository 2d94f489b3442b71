import { initBackend, Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { makeScorer, negativeSamplingLoss, type ScorerId } from '../src/index.js';
import { expectClose } from './helpers/close.js';
import { randn } from './helpers/reference.js';

// Plain-JS scorers from the papers' formulas (complex numbers as pairs).
const D = 3;
const GAMMA = 5;

function refScore(id: ScorerId, h: number[], r: number[], t: number[]): number {
  switch (id) {
    case 'transe': // γ − ‖h + r − t‖₁
      return GAMMA - h.reduce((a, _, k) => a + Math.abs(h[k] + r[k] - t[k]), 0);
    case 'distmult':
      return h.reduce((a, _, k) => a + h[k] * r[k] * t[k], 0);
    case 'complex': {
      // Re(Σ h_k r_k conj(t_k)), vectors stored [re | im]
      let s = 0;
      for (let k = 0; k < D; k++) {
        const [hr, hi, rr, ri, tr, ti] = [h[k], h[k + D], r[k], r[k + D], t[k], t[k + D]];
        const ar = hr * rr - hi * ri;
        const ai = hr * ri + hi * rr;
        s += ar * tr + ai * ti; // Re((ar + i ai)(tr − i ti))
      }
      return s;
    }
    case 'rotate': {
      // γ − Σ_k |h_k e^{iθ_k} − t_k|, θ = r / ((γ + 2)/D / π)
      let s = 0;
      for (let k = 0; k < D; k++) {
        const th = r[k] / ((GAMMA + 2) / D / Math.PI);
        const re = h[k] * Math.cos(th) - h[k + D] * Math.sin(th) - t[k];
        const im = h[k] * Math.sin(th) + h[k + D] * Math.cos(th) - t[k + D];
        s += Math.hypot(re, im);
      }
      return GAMMA - s;
    }
  }
}

describe.each(['cpu', 'wasm'] as const)('KG scorers on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend, threads: 1 });
  });

  for (const id of ['transe', 'distmult', 'complex', 'rotate'] as const) {
    it(`${id}: score, scoreTails and scoreHeads agree with the formula`, () => {
      const s = makeScorer(id, { gamma: GAMMA, dim: D, p: 1 });
      const we = s.entityWidth(D);
      const wr = s.relationWidth(D);
      const rng = new Rng(id.length);
      const N = 5;
      const B = 2;
      const ent = randn(rng, N * we);
      const rel = randn(rng, B * wr);
      const hs = [1, 3];
      const ts = [4, 0];
      const row = (a: number[], i: number, w: number) => a.slice(i * w, (i + 1) * w);
      tf.tidy(() => {
        const E = tf.tensor2d(ent, [N, we]);
        const R = tf.tensor2d(rel, [B, wr]);
        const H = tf.gather(E, hs) as tf.Tensor2D;
        const T = tf.gather(E, ts) as tf.Tensor2D;
        // Tolerance: float32 vs float64 on O(1) numbers, |Δ| ≤ 1e-5 + 1e-5·|ref|.
        const tol = { atol: 1e-5, rtol: 1e-5 };
        expectClose(
          s.score(H, R, T).dataSync(),
          hs.map((h, b) => refScore(id, row(ent, h, we), row(rel, b, wr), row(ent, ts[b], we))),
          { ...tol, label: 'score' },
        );
        const tails: number[] = [];
        const heads: number[] = [];
        for (let b = 0; b < B; b++) {
          for (let e = 0; e < N; e++) {
            tails.push(refScore(id, row(ent, hs[b], we), row(rel, b, wr), row(ent, e, we)));
            heads.push(refScore(id, row(ent, e, we), row(rel, b, wr), row(ent, ts[b], we)));
          }
        }
        expectClose(s.scoreTails(H, R, E).dataSync(), tails, { ...tol, label: 'scoreTails' });
        expectClose(s.scoreHeads(R, T, E).dataSync(), heads, { ...tol, label: 'scoreHeads' });
      });
    });
  }

  it('self-adversarial weights are softmax(α·f(neg)) and carry no gradient', () => {
    const pos = [1.5, -0.5];
    const neg = [0.2, -1, 2, 0.5, 0.1, -0.3];
    const alpha = 0.7;
    const logSig = (x: number) => -Math.log1p(Math.exp(-x));
    let negTerm = 0;
    for (let b = 0; b < 2; b++) {
      const row = neg.slice(b * 3, b * 3 + 3);
      const w = row.map((v) => Math.exp(alpha * v));
      const z = w.reduce((a, c) => a + c, 0);
      negTerm += row.reduce((a, v, j) => a - (w[j] / z) * logSig(-v), 0);
    }
    const posTerm = -(logSig(pos[0]) + logSig(pos[1])) / 2;
    const expected = (posTerm + negTerm / 2) / 2;
    const [value, gNeg] = tf.tidy(() => {
      const n = tf.tensor2d(neg, [2, 3]);
      const f = (x: tf.Tensor) => negativeSamplingLoss(tf.tensor1d(pos), x as tf.Tensor2D, alpha);
      return [f(n).dataSync()[0], Array.from(tf.grad(f)(n).dataSync())];
    }) as unknown as [number, number[]];
    expectClose([value], [expected], { atol: 1e-6, rtol: 1e-6 });
    // d/dneg_j = w_j · σ(neg_j) / (2·B) with w held constant.
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const g: number[] = [];
    for (let b = 0; b < 2; b++) {
      const row = neg.slice(b * 3, b * 3 + 3);
      const w = row.map((v) => Math.exp(alpha * v));
      const z = w.reduce((a, c) => a + c, 0);
      row.forEach((v, j) => {
        g.push(((w[j] / z) * sig(v)) / 4);
      });
    }
    expectClose(gNeg, g, { atol: 1e-6, rtol: 1e-5 });
  });
});
