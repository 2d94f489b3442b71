import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng } from '../src/index.js';

const rng = new Rng(21);
const t = (shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
const maxDiff = (a: tf.Tensor, b: tf.Tensor) =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe.each(['cpu', 'wasm'] as const)('gradient fixes on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend });
  });

  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])(
    'BatchMatMul with a broadcast operand sums its gradient over the batch (transposeA=%s, transposeB=%s)',
    (ta, tb) => {
      tf.tidy(() => {
        const a = t(ta ? [2, 3, 4, 6] : [2, 3, 6, 4]);
        for (const bShape of [
          tb ? [5, 4] : [4, 5],
          tb ? [1, 5, 4] : [1, 4, 5],
          tb ? [3, 5, 4] : [3, 4, 5],
        ]) {
          const b = t(bShape);
          const w = t([2, 3, 6, 5]);
          const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(w, tf.matMul(x, y, ta, tb)));
          const [ga, gb] = tf.grads(f)([a, b]);
          // Reference: make the broadcast explicit with tile, whose gradient sums correctly.
          const tiled = (y: tf.Tensor) =>
            bShape.length === 2
              ? tf.tile(tf.reshape(y, [1, 1, ...bShape]), [2, 3, 1, 1])
              : tf.tile(tf.reshape(y, [1, ...bShape]), [2, bShape[0] === 1 ? 3 : 1, 1, 1]);
          const [ra, rb] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
            tf.sum(tf.mul(w, tf.matMul(x, tiled(y), ta, tb))),
          )([a, b]);
          expect(gb.shape).toEqual(bShape);
          expect(maxDiff(ga, ra)).toBeLessThan(1e-4);
          expect(maxDiff(gb, rb)).toBeLessThan(1e-4);
        }
      });
    },
  );

  it.each([
    [0, false, false],
    [0, true, false],
    [0, false, true],
    [1, true, true],
    [1, false, false],
  ])(
    'Cumsum gradient along axis %i (exclusive=%s, reverse=%s) equals the plain-JS derivative',
    (axis, exclusive, reverse) => {
      const rows = 3;
      const cols = 4;
      const x = t([rows, cols]);
      const w = Array.from(rng.normalArray(rows * cols));
      const g = tf.tidy(() =>
        Array.from(
          tf
            .grad((v) =>
              tf.sum(tf.mul(tf.tensor2d(w, [rows, cols]), tf.cumsum(v, axis, exclusive, reverse))),
            )(x)
            .dataSync(),
        ),
      );
      // d/dx[r][c] = Σ over outputs o that include x[r][c] of w[o].
      const expected = new Array(rows * cols).fill(0);
      const len = axis === 0 ? rows : cols;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const pos = axis === 0 ? r : c;
          for (let o = 0; o < len; o++) {
            const includes = reverse
              ? exclusive
                ? o < pos
                : o <= pos
              : exclusive
                ? o > pos
                : o >= pos;
            if (!includes) continue;
            expected[r * cols + c] += axis === 0 ? w[o * cols + c] : w[r * cols + o];
          }
        }
      }
      for (const [i, v] of g.entries()) expect(v).toBeCloseTo(expected[i], 5);
      x.dispose();
    },
  );
});
