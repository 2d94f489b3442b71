/**
 * Hits, substitutions, deletions and insertions of one alignment, chosen
 * exactly as RapidFuzz's `Levenshtein.opcodes(reference, hypothesis)` (which
 * jiwer 4 counts): strip the common prefix and suffix, run Hyyrö's
 * bit-parallel edit distance (2003) keeping each column's vertical deltas
 * (VP/VN), then walk back from the end preferring a deletion, then an
 * insertion, then the diagonal. The distance is unique; this tie-breaking
 * decides how it splits into S/D/I, and so MER, WIL and WIP.
 *
 * Words are 32-bit (JavaScript bitwise ops), blocks are chained with the
 * carries of the addition and of the two shifts, so memory is
 * O(m · ⌈n/32⌉) words and time O(m · ⌈n/32⌉) for n reference and m
 * hypothesis symbols left after stripping.
 */
import { ValidationError } from '@kd/core';

/** Largest bit matrix kept for the walk-back: 2^25 words per VP/VN array (128 MiB each). */
const MAX_WORDS = 2 ** 25;

export interface EditCounts {
  hits: number;
  substitutions: number;
  deletions: number;
  insertions: number;
}

export class Aligner {
  /** Per symbol: the stamp of the pair that last used it, and its row in `#pm`. */
  #stamp = new Int32Array(256);
  #slot = new Int32Array(256);
  #pair = 0;
  #pm = new Int32Array(256);
  #vp = new Int32Array(1024);
  #vn = new Int32Array(1024);
  #colVP = new Int32Array(8);
  #colVN = new Int32Array(8);

  #ensureSymbols(max: number): void {
    if (max < this.#stamp.length) return;
    let cap = this.#stamp.length;
    while (cap <= max) cap *= 2;
    const s = new Int32Array(cap);
    s.set(this.#stamp);
    const t = new Int32Array(cap);
    t.set(this.#slot);
    this.#stamp = s;
    this.#slot = t;
  }

  /** Adds the counts of aligning `ref[0..n)` with `hyp[0..m)` into `out`. Symbols are non-negative ints. */
  add(ref: Int32Array, n: number, hyp: Int32Array, m: number, out: EditCounts): void {
    let p = 0;
    while (p < n && p < m && ref[p] === hyp[p]) p++;
    let s = 0;
    while (s < n - p && s < m - p && ref[n - 1 - s] === hyp[m - 1 - s]) s++;
    const la = n - p - s;
    const lb = m - p - s;
    let subs = 0;
    let dels = 0;
    let ins = 0;
    if (la === 0) ins = lb;
    else if (lb === 0) dels = la;
    else {
      const W = (la + 31) >>> 5;
      if (lb * W > MAX_WORDS) {
        throw new ValidationError(
          `aligning ${n} reference with ${m} hypothesis symbols needs a ${lb}x${W}-word bit matrix (over ${MAX_WORDS} words); split long texts into sentences`,
          [],
          { where: 'wer/cer' },
        );
      }
      // Pattern masks of the reference: one W-word row per distinct symbol.
      const pair = ++this.#pair;
      let max = 0;
      for (let i = 0; i < la; i++) if (ref[p + i] > max) max = ref[p + i];
      for (let j = 0; j < lb; j++) if (hyp[p + j] > max) max = hyp[p + j];
      this.#ensureSymbols(max);
      const stamp = this.#stamp;
      const slot = this.#slot;
      let rows = 0;
      for (let i = 0; i < la; i++) {
        const c = ref[p + i];
        if (stamp[c] !== pair) {
          stamp[c] = pair;
          slot[c] = rows++;
        }
      }
      if (this.#pm.length < rows * W)
        this.#pm = new Int32Array(Math.max(rows * W, this.#pm.length * 2));
      const pm = this.#pm;
      pm.fill(0, 0, rows * W);
      for (let i = 0; i < la; i++) {
        const r = slot[ref[p + i]] * W + (i >>> 5);
        pm[r] |= 1 << (i & 31);
      }
      if (this.#vp.length < lb * W) {
        this.#vp = new Int32Array(Math.max(lb * W, this.#vp.length * 2));
        this.#vn = new Int32Array(this.#vp.length);
      }
      if (this.#colVP.length < W) {
        this.#colVP = new Int32Array(W * 2);
        this.#colVN = new Int32Array(W * 2);
      }
      const VPm = this.#vp;
      const VNm = this.#vn;
      const VP = this.#colVP;
      const VN = this.#colVN;
      for (let w = 0; w < W; w++) {
        VP[w] = -1;
        VN[w] = 0;
      }
      for (let j = 0; j < lb; j++) {
        const c = hyp[p + j];
        const base = stamp[c] === pair ? slot[c] * W : -1;
        let addCarry = 0;
        let hpCarry = 1; // row 0 grows by one per column
        let hnCarry = 0;
        const col = j * W;
        for (let w = 0; w < W; w++) {
          const pmw = base >= 0 ? pm[base + w] : 0;
          const vp = VP[w];
          const vn = VN[w];
          const X = pmw | vn;
          const sum = ((X & vp) >>> 0) + (vp >>> 0) + addCarry;
          addCarry = sum > 0xffffffff ? 1 : 0;
          const D0 = (sum ^ vp) | X;
          let HP = vn | ~(D0 | vp);
          let HN = D0 & vp;
          const hpOut = HP >>> 31;
          const hnOut = HN >>> 31;
          HP = (HP << 1) | hpCarry;
          HN = (HN << 1) | hnCarry;
          hpCarry = hpOut;
          hnCarry = hnOut;
          const nvp = HN | ~(D0 | HP);
          const nvn = HP & D0;
          VP[w] = nvp;
          VN[w] = nvn;
          VPm[col + w] = nvp;
          VNm[col + w] = nvn;
        }
      }
      // Walk back (RapidFuzz's editops): bit (col-1) of column (row-1).
      let col = la;
      let row = lb;
      const bitAt = (m: Int32Array, r: number, c: number) =>
        (m[r * W + (c >>> 5)] >>> (c & 31)) & 1;
      while (row !== 0 && col !== 0) {
        if (bitAt(VPm, row - 1, col - 1)) {
          dels++;
          col--;
        } else {
          row--;
          if (row !== 0 && bitAt(VNm, row - 1, col - 1)) {
            ins++;
          } else {
            col--;
            if (ref[p + col] !== hyp[p + row]) subs++;
          }
        }
      }
      dels += col;
      ins += row;
    }
    out.substitutions += subs;
    out.deletions += dels;
    out.insertions += ins;
    out.hits += n - subs - dels;
  }
}
