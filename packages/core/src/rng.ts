import { ValidationError } from './errors.js';

/** Serialisable RNG state, stored in checkpoints so a resumed run draws the same numbers. */
export interface RngState {
  s: [number, number, number, number];
  /** Second Box–Muller value, kept so a restore mid-pair replays exactly. */
  spare: number | null;
}

/** splitmix32: spreads a 32-bit seed (and stream labels) over the state words. */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [x, (z ^ (z >>> 16)) >>> 0];
}

function hashString(label: string): number {
  // FNV-1a: stable across platforms, enough to separate named streams.
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * xoshiro128** — small, fast and well tested; deterministic across engines
 * because it only uses 32-bit integer ops. Every random thing in kd takes one
 * of these (or a seed that makes one).
 */
export class Rng {
  #s: [number, number, number, number];
  #spare: number | null = null;

  constructor(seed: number | string = 0) {
    if (typeof seed === 'number' && !Number.isFinite(seed)) {
      throw new ValidationError(`seed must be a finite number, got ${seed}`);
    }
    let x = typeof seed === 'string' ? hashString(seed) : (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    const s: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [nx, z] = splitmix32(x);
      x = nx;
      s.push(z);
    }
    if (!s.some((v) => v !== 0)) s[0] = 1;
    this.#s = s as [number, number, number, number];
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(mean = 0, std = 1): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return mean + std * v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) {
      throw new ValidationError(`int(n) needs an integer 1 ≤ n ≤ 2^32, got ${n}`);
    }
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** Float32Array of normals (weights init, noise). */
  normalArray(size: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Float32Array uniform in [low, high). */
  uniformArray(size: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.uniformIn(low, high);
    return out;
  }

  /**
   * An independent stream derived from this one's current state and a label,
   * without advancing this one: `rng.fork('dropout')` gives the same stream
   * every time from the same state.
   */
  fork(label: string): Rng {
    const child = new Rng(0);
    const h = hashString(label);
    let x = (this.#s[0] ^ h) >>> 0;
    const s: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [nx, z] = splitmix32(x ^ this.#s[i]);
      x = nx;
      s.push(z);
    }
    if (!s.some((v) => v !== 0)) s[0] = 1;
    child.#s = s as [number, number, number, number];
    return child;
  }

  getState(): RngState {
    return { s: [...this.#s], spare: this.#spare };
  }

  setState(state: RngState): this {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4) {
      throw new ValidationError('RNG state must be { s: [4 uint32], spare }');
    }
    this.#s = state.s.map((v) => v >>> 0) as [number, number, number, number];
    this.#spare = state.spare ?? null;
    return this;
  }

  static fromState(state: RngState): Rng {
    return new Rng(0).setState(state);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
