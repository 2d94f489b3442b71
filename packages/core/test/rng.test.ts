import { describe, expect, it } from 'vitest';
import { Rng, ValidationError } from '../src/index.js';

describe('Rng (xoshiro128**)', () => {
  it('matches the reference xoshiro128** output for a known state', () => {
    // Reference: xoshiro128** by Blackman & Vigna (prng.di.unimi.it), computed
    // here with an independent BigInt implementation of the C code.
    const s = [1, 2, 3, 4];
    const ref: number[] = [];
    const st = s.map(BigInt);
    const M = 0xffffffffn;
    const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
    for (let i = 0; i < 6; i++) {
      ref.push(Number((rotl((st[1] * 5n) & M, 7n) * 9n) & M));
      const t = (st[1] << 9n) & M;
      st[2] ^= st[0];
      st[3] ^= st[1];
      st[1] ^= st[2];
      st[0] ^= st[3];
      st[2] ^= t;
      st[3] = rotl(st[3], 11n);
    }
    const rng = Rng.fromState({ s: [1, 2, 3, 4], spare: null });
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual(ref);
    // First output of xoshiro128** from state {1,2,3,4} is 11520 (5*2 rotl 7 * 9).
    expect(ref[0]).toBe(11520);
  });

  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs);
    expect(new Rng('data').nextUint32()).toBe(new Rng('data').nextUint32());
  });

  it('uniform and normal have the right moments (tolerance 3 sigma of the estimator)', () => {
    const rng = new Rng(7);
    const n = 200_000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      su += u;
      const z = rng.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(3 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sn / n)).toBeLessThan(3 / Math.sqrt(n));
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(3 * Math.sqrt(2 / n));
  });

  it('int(n) is unbiased over small ranges (chi-square, 6 bins)', () => {
    const rng = new Rng(1);
    const counts = new Array(6).fill(0);
    const n = 60_000;
    for (let i = 0; i < n; i++) counts[rng.int(6)]++;
    const chi = counts.reduce((a, c) => a + (c - n / 6) ** 2 / (n / 6), 0);
    expect(chi).toBeLessThan(20.5); // p ≈ 0.001 for 5 degrees of freedom
    expect(() => rng.int(0)).toThrow(ValidationError);
    expect(() => rng.int(2.5)).toThrow(ValidationError);
  });

  it('state round-trips, including a pending Box–Muller value', () => {
    const rng = new Rng(9);
    rng.normal(); // leaves a spare
    const state = rng.getState();
    const expected = [rng.normal(), rng.normal(), rng.uniform()];
    const restored = Rng.fromState(JSON.parse(JSON.stringify(state)));
    expect([restored.normal(), restored.normal(), restored.uniform()]).toEqual(expected);
  });

  it('fork gives a stable independent stream without advancing the parent', () => {
    const rng = new Rng(3);
    const before = rng.getState();
    const f1 = rng.fork('dropout').nextUint32();
    const f2 = rng.fork('dropout').nextUint32();
    const g = rng.fork('data').nextUint32();
    expect(f1).toBe(f2);
    expect(g).not.toBe(f1);
    expect(rng.getState()).toEqual(before);
  });

  it('shuffle is a permutation and seeded', () => {
    const p = new Rng(5).permutation(100);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(new Rng(5).permutation(100)).toEqual(p);
    expect(p).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('rejects non-finite seeds and malformed states', () => {
    expect(() => new Rng(Number.NaN)).toThrow(ValidationError);
    expect(() => Rng.fromState({ s: [1, 2] } as never)).toThrow(ValidationError);
  });
});
