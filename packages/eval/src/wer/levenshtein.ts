import { ValidationError } from '@kd/core';

/**
 * Hits, substitutions, deletions and insertions of one alignment, chosen
 * exactly as RapidFuzz's `Levenshtein.opcodes(reference, hypothesis)` (which
 * jiwer 4 counts): strip the common prefix and suffix, fill the edit-distance
 * table, then walk back from the end preferring a deletion, then an
 * insertion, then the diagonal. The distance is unique; this tie-breaking
 * decides how it splits into S/D/I, and so MER, WIL and WIP.
 */
export interface EditCounts {
  hits: number;
  substitutions: number;
  deletions: number;
  insertions: number;
}

/** Largest table (cells) filled for one pair: 2^26 cells of 16 or 32 bits. */
const MAX_CELLS = 2 ** 26;

export class Aligner {
  #table16 = new Uint16Array(1024);
  #table32 = new Int32Array(0);

  /** Adds the counts of aligning `ref[0..n)` with `hyp[0..m)` into `out`. */
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
      const w = lb + 1;
      const cells = (la + 1) * w;
      if (cells > MAX_CELLS) {
        throw new ValidationError(
          `a reference/hypothesis pair of ${n} and ${m} tokens needs a ${la + 1}x${lb + 1} alignment table (over ${MAX_CELLS} cells); split long texts into sentences`,
          [],
          { where: 'wer/cer' },
        );
      }
      const small = la < 0xffff && lb < 0xffff;
      let t: Uint16Array | Int32Array;
      if (small) {
        if (this.#table16.length < cells)
          this.#table16 = new Uint16Array(Math.max(cells, this.#table16.length * 2));
        t = this.#table16;
      } else {
        if (this.#table32.length < cells) this.#table32 = new Int32Array(cells);
        t = this.#table32;
      }
      for (let j = 0; j <= lb; j++) t[j] = j;
      for (let i = 1; i <= la; i++) {
        const base = i * w;
        const prev = base - w;
        const a = ref[p + i - 1];
        t[base] = i;
        let left = i;
        for (let j = 1; j <= lb; j++) {
          const diag = t[prev + j - 1] + (a === hyp[p + j - 1] ? 0 : 1);
          const up = t[prev + j] + 1;
          let v = left + 1;
          if (up < v) v = up;
          if (diag < v) v = diag;
          t[base + j] = v;
          left = v;
        }
      }
      let i = la;
      let j = lb;
      while (i !== 0 && j !== 0) {
        if (t[i * w + j] - t[(i - 1) * w + j] === 1) {
          dels++;
          i--;
        } else {
          j--;
          if (j !== 0 && t[i * w + j] - t[(i - 1) * w + j] === -1) {
            ins++;
          } else {
            i--;
            if (ref[p + i] !== hyp[p + j]) subs++;
          }
        }
      }
      dels += i;
      ins += j;
    }
    out.substitutions += subs;
    out.deletions += dels;
    out.insertions += ins;
    out.hits += n - subs - dels;
  }
}
