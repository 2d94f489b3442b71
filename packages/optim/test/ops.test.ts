import { Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nonFiniteNames } from '../src/index.js';
import { maximum, meanAlong, sign } from '../src/ops.js';
import { BACKENDS, useBackend } from './helpers.js';

for (const backend of BACKENDS) {
  describe(`fast exact ops on ${backend}`, () => {
    beforeAll(() => useBackend(backend));
    afterAll(() => {
      expect(tf.memory().numTensors).toBe(0);
    });

    it('maximum and sign equal tf.maximum and tf.sign bit for bit, ties and zeros included', () => {
      const rng = new Rng(1);
      const a = Array.from(rng.normalArray(200));
      const b = a.map((x, i) => (i % 5 === 0 ? x : i % 7 === 0 ? -x : rng.normal()));
      a[3] = 0;
      b[3] = -0;
      a[4] = 0;
      const [ta, tb] = [tf.tensor(a), tf.tensor(b)];
      const tidy = tf.tidy(() => ({
        fast: maximum(ta, tb).dataSync(),
        stock: tf.maximum(ta, tb).dataSync(),
        fastSign: sign(ta).dataSync(),
        stockSign: tf.sign(ta).dataSync(),
      }));
      expect(Array.from(tidy.fast)).toEqual(Array.from(tidy.stock));
      expect(Array.from(tidy.fastSign)).toEqual(Array.from(tidy.stockSign));
      tf.dispose([ta, tb]);
    });

    it('meanAlong equals tf.mean to float32 rounding', () => {
      const x = tf.tensor(new Rng(2).normalArray(6 * 9), [6, 9]);
      for (const axis of [0, 1]) {
        const [got, want] = tf.tidy(() => [
          meanAlong(x, axis).dataSync(),
          tf.mean(x, axis).dataSync(),
        ]);
        expect(got.length).toBe(want.length);
        const worst = Math.max(...Array.from(got, (g, i) => Math.abs(g - want[i])));
        expect(worst).toBeLessThan(1e-6);
      }
      x.dispose();
    });

    it('nonFiniteNames finds NaN and ±Infinity, and does not mistake a finite overflow for one', () => {
      const t = {
        ok: tf.tensor([1, 2]),
        big: tf.tensor([3e38, 3e38]), // sums to Infinity, every element finite
        nan: tf.tensor([0, Number.NaN]),
        inf: tf.tensor([Number.NEGATIVE_INFINITY]),
      };
      expect(nonFiniteNames({ ok: t.ok, big: t.big })).toEqual([]);
      expect(nonFiniteNames(t)).toEqual(['nan', 'inf']);
      tf.dispose(Object.values(t));
    });
  });
}
