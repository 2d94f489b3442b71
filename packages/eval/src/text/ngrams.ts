/**
 * Exact n-gram counting on integer ids without building n-gram strings or
 * tuples. Tokens of one segment get small local ids (0..L-1); the n-gram
 * starting at i gets the key `key[n-1][i] * L + id[i+n-1]`, an exact integer
 * while L^n <= 2^53. Past that (a segment with thousands of distinct tokens,
 * or a CJK paragraph for chrF) each order's keys are renumbered densely, which
 * keeps them below (tokens)^2. Keys of an order are sorted, and counts are
 * compared by merging sorted runs: no hash maps in the hot loop.
 */

const EXACT = 2 ** 53;

/** Reusable buffers for the key arrays of several sequences (hypothesis first). */
export class NgramKeys {
  #cur: Float64Array[] = [];
  #sorted: Float64Array[] = [];
  #lens: number[] = [];
  #ids: Int32Array[] = [];
  #count = 0;
  #vocab = 0;
  #order = 0;
  #dense = false;
  readonly #renumber = new Map<number, number>();

  /**
   * Starts a segment. `ids[s]` holds the local ids of sequence s (first
   * `lens[s]` entries), `vocab` the number of distinct ids, `maxOrder` the
   * highest order that will be asked for.
   */
  begin(
    ids: Int32Array[],
    lens: readonly number[],
    count: number,
    vocab: number,
    maxOrder: number,
  ) {
    this.#count = count;
    this.#vocab = Math.max(vocab, 1);
    this.#order = 0;
    this.#dense = this.#vocab ** maxOrder > EXACT;
    for (let s = 0; s < count; s++) {
      const len = lens[s];
      if (!this.#cur[s] || this.#cur[s].length < len) {
        const cap = Math.max(len, 16, (this.#cur[s]?.length ?? 0) * 2);
        this.#cur[s] = new Float64Array(cap);
        this.#sorted[s] = new Float64Array(cap);
      }
      this.#lens[s] = len;
      this.#ids[s] = ids[s];
    }
  }

  /** Advances to the next order (1, 2, …) and sorts every sequence's keys. */
  next(): number {
    const n = ++this.#order;
    const L = this.#vocab;
    const map = this.#renumber;
    if (n > 1 && this.#dense) map.clear();
    for (let s = 0; s < this.#count; s++) {
      const cur = this.#cur[s];
      const ids = this.#ids[s];
      const m = this.#lens[s] - n + 1;
      if (n === 1) {
        for (let i = 0; i < m; i++) cur[i] = ids[i];
      } else if (!this.#dense) {
        for (let i = 0; i < m; i++) cur[i] = cur[i] * L + ids[i + n - 1];
      } else {
        for (let i = 0; i < m; i++) {
          const v = cur[i] * L + ids[i + n - 1];
          let d = map.get(v);
          if (d === undefined) {
            d = map.size;
            map.set(v, d);
          }
          cur[i] = d;
        }
      }
      if (m > 0) {
        const sorted = this.#sorted[s];
        sorted.set(cur.subarray(0, m));
        sorted.subarray(0, m).sort();
      }
    }
    return n;
  }

  /** Sorted keys of sequence s at the current order (length `lens[s] - n + 1`, maybe <= 0). */
  sorted(s: number): Float64Array {
    return this.#sorted[s];
  }

  /** Number of n-grams of sequence s at the current order. */
  size(s: number): number {
    return Math.max(0, this.#lens[s] - this.#order + 1);
  }
}

/**
 * Matches of the hypothesis (sequence 0) against references 1..count-1 at the
 * current order: sum over distinct hypothesis n-grams of
 * min(count in hypothesis, max count in any one reference) — sacreBLEU's
 * clipping with the max-over-references merge.
 */
export function clippedMatches(keys: NgramKeys, count: number, ptr: Int32Array): number {
  const h = keys.sorted(0);
  const hn = keys.size(0);
  for (let r = 1; r < count; r++) ptr[r] = 0;
  let matches = 0;
  let i = 0;
  while (i < hn) {
    const k = h[i];
    let j = i + 1;
    while (j < hn && h[j] === k) j++;
    const c = j - i;
    let best = 0;
    for (let r = 1; r < count; r++) {
      const rk = keys.sorted(r);
      const rn = keys.size(r);
      let p = ptr[r];
      while (p < rn && rk[p] < k) p++;
      let q = p;
      while (q < rn && rk[q] === k) q++;
      ptr[r] = q;
      if (q - p > best) best = q - p;
    }
    matches += Math.min(c, best);
    i = j;
  }
  return matches;
}

/** Sum over shared n-grams of min(count in a, count in b) for two sequences of `keys`. */
export function pairMatches(keys: NgramKeys, a: number, b: number): number {
  const x = keys.sorted(a);
  const y = keys.sorted(b);
  const xn = keys.size(a);
  const yn = keys.size(b);
  let i = 0;
  let j = 0;
  let matches = 0;
  while (i < xn && j < yn) {
    const kx = x[i];
    const ky = y[j];
    if (kx < ky) i++;
    else if (ky < kx) j++;
    else {
      let ci = i + 1;
      while (ci < xn && x[ci] === kx) ci++;
      let cj = j + 1;
      while (cj < yn && y[cj] === kx) cj++;
      matches += Math.min(ci - i, cj - j);
      i = ci;
      j = cj;
    }
  }
  return matches;
}

/** Assigns small dense ids to strings within one segment. */
export class LocalVocab {
  readonly #map = new Map<string, number>();
  clear(): void {
    this.#map.clear();
  }
  get size(): number {
    return this.#map.size;
  }
  id(token: string): number {
    let id = this.#map.get(token);
    if (id === undefined) {
      id = this.#map.size;
      this.#map.set(token, id);
    }
    return id;
  }
  /** Writes ids of `tokens` into `out` (grown if needed) and returns it. */
  encode(tokens: readonly string[], out: Int32Array): Int32Array {
    const buf =
      out.length >= tokens.length ? out : new Int32Array(Math.max(tokens.length, out.length * 2));
    for (let i = 0; i < tokens.length; i++) buf[i] = this.id(tokens[i]);
    return buf;
  }
}

/** Like LocalVocab, for integers (code points). */
export class LocalIntVocab {
  readonly #map = new Map<number, number>();
  clear(): void {
    this.#map.clear();
  }
  get size(): number {
    return this.#map.size;
  }
  /** Replaces `buf[0..n)` in place by local ids. */
  encodeInPlace(buf: Int32Array, n: number): void {
    const map = this.#map;
    for (let i = 0; i < n; i++) {
      const c = buf[i];
      let id = map.get(c);
      if (id === undefined) {
        id = map.size;
        map.set(c, id);
      }
      buf[i] = id;
    }
  }
}
