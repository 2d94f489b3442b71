/**
 * A binary min-heap over numeric keys with an integer payload, stored in flat
 * arrays (no per-entry objects): the BPE merge loops push and pop many
 * candidates per word, and object churn dominated their profile.
 */
export class KeyHeap {
  #keys: number[] = [];
  #tie: number[] = [];
  #vals: number[] = [];

  get size(): number {
    return this.#keys.length;
  }

  clear(): void {
    this.#keys.length = 0;
    this.#tie.length = 0;
    this.#vals.length = 0;
  }

  /** Smaller `key` first; equal keys: smaller `tie` first. */
  push(key: number, tie: number, value: number): void {
    const k = this.#keys;
    const t = this.#tie;
    const v = this.#vals;
    let i = k.length;
    k.push(key);
    t.push(tie);
    v.push(value);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (k[p] < key || (k[p] === key && t[p] <= tie)) break;
      k[i] = k[p];
      t[i] = t[p];
      v[i] = v[p];
      i = p;
    }
    k[i] = key;
    t[i] = tie;
    v[i] = value;
  }

  /** Removes the top entry and returns its value (undefined when empty). */
  pop(): number | undefined {
    const k = this.#keys;
    const t = this.#tie;
    const v = this.#vals;
    const n = k.length;
    if (n === 0) return undefined;
    const top = v[0];
    const lastK = k.pop() as number;
    const lastT = t.pop() as number;
    const lastV = v.pop() as number;
    if (n === 1) return top;
    let i = 0;
    const m = n - 1;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= m) break;
      const r = l + 1;
      let c = l;
      if (r < m && (k[r] < k[l] || (k[r] === k[l] && t[r] < t[l]))) c = r;
      if (lastK < k[c] || (lastK === k[c] && lastT <= t[c])) break;
      k[i] = k[c];
      t[i] = t[c];
      v[i] = v[c];
      i = c;
    }
    k[i] = lastK;
    t[i] = lastT;
    v[i] = lastV;
    return top;
  }

  /** Key of the top entry, for callers that must check before popping. */
  peekKey(): number {
    return this.#keys[0];
  }
}
