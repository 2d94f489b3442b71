import { FormatError, ValidationError } from '@kd/core';
import { BaseTokenizer, type Template } from './base.js';
import { KeyHeap } from './heap.js';
import type { DecodeOptions, Pieces, SpecialTokenIds } from './types.js';

export interface Llama2cTokenizerOptions {
  /** Read exactly this many tokens (llama2.c reads `config.vocab_size`); default: to the end of the file. */
  vocabSize?: number;
  /** Prepend BOS (id 1) in `encode`. Default true, as llama2.c's generate does for prompts. */
  addBos?: boolean;
  /** Append EOS (id 2) in `encode`. Default false. */
  addEos?: boolean;
  /** Id used for padding in batches; llama2.c has none, so padding needs this. */
  padTokenId?: number;
  /** Where the bytes came from, for error messages. */
  where?: string;
}

export interface Llama2cDecodeOptions extends DecodeOptions {
  /**
   * Drop what llama2.c's `safe_printf` drops: single-byte pieces that are
   * neither printable ASCII nor whitespace (raw control bytes, and the
   * non-ASCII bytes of `<0xXX>` fallback tokens). Default false: fallback
   * bytes are kept and decoded as UTF-8.
   */
  printable?: boolean;
}

const BOS = 1;
const EOS = 2;
const UNK = 0;
/** llama2.c starts its best-merge search at -1e10 (a float), so lower scores never merge. */
const MIN_SCORE = Math.fround(-1e10);
const BYTE_PIECE = /^<0x([0-9a-fA-F]{1,2})/;

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Bytes as a one-char-per-byte string, so pieces can be concatenated and used as Map keys. */
function binary(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/**
 * The llama2.c tokenizer (`tokenizer.bin`, e.g. stories260K's `tok512.bin`):
 * a SentencePiece BPE vocabulary exported as `int32 max_token_length`, then per
 * token `float32 score, int32 length, bytes`. Encoding is llama2.c's `encode`:
 * a dummy-prefix space, one piece per UTF-8 code point with `<0xXX>` byte
 * fallback (id = byte + 3), then repeatedly merging the adjacent pair whose
 * concatenation is the highest-scoring vocabulary piece (leftmost on ties).
 * Decoding is llama2.c's `decode`: the leading space after BOS is stripped and
 * `<0xXX>` pieces become raw bytes.
 */
export class Llama2cTokenizer extends BaseTokenizer {
  readonly type = 'llama2c';
  readonly vocabSize: number;
  readonly maxTokenLength: number;
  readonly specialTokens: Readonly<SpecialTokenIds>;
  protected readonly template: Template;
  /** Raw piece bytes per id. */
  readonly pieceBytes: readonly Uint8Array[];
  /** float32 merge scores per id. */
  readonly scores: Float32Array;
  readonly #binary: string[];
  readonly #text: string[];
  readonly #lookup = new Map<string, number>();
  readonly #spaceId: number | undefined;
  readonly #byteValue: Int16Array;

  constructor(
    pieces: readonly Uint8Array[],
    scores: Float32Array,
    options: Llama2cTokenizerOptions & { maxTokenLength?: number } = {},
  ) {
    super();
    if (pieces.length !== scores.length) {
      throw new ValidationError(
        `expected one score per piece, got ${pieces.length} pieces and ${scores.length} scores`,
      );
    }
    if (pieces.length < 3 + 256) {
      throw new ValidationError(
        `a llama2.c vocabulary needs <unk>, <s>, </s> and 256 byte pieces (≥ 259 tokens), got ${pieces.length}`,
        [],
        { where: options.where },
      );
    }
    this.vocabSize = pieces.length;
    this.pieceBytes = pieces;
    this.scores = scores;
    this.maxTokenLength =
      options.maxTokenLength ?? pieces.reduce((m, p) => Math.max(m, p.length), 0);
    this.#binary = pieces.map(binary);
    this.#text = pieces.map((p) => utf8Decoder.decode(p));
    // bsearch over a sorted vocabulary in llama2.c; with duplicates it may return
    // either, we keep the first (real vocabularies have none).
    this.#binary.forEach((s, id) => {
      if (!this.#lookup.has(s)) this.#lookup.set(s, id);
    });
    this.#spaceId = this.#lookup.get(' ');
    this.#byteValue = new Int16Array(pieces.length).fill(-1);
    this.#text.forEach((t, id) => {
      const m = BYTE_PIECE.exec(t);
      if (m) this.#byteValue[id] = Number.parseInt(m[1], 16);
    });
    if (
      options.padTokenId !== undefined &&
      (options.padTokenId < 0 || options.padTokenId >= pieces.length)
    ) {
      throw new ValidationError(
        `padTokenId ${options.padTokenId} is outside the vocabulary of ${pieces.length}`,
      );
    }
    this.specialTokens = { unk: UNK, bos: BOS, eos: EOS, pad: options.padTokenId };
    const bos = options.addBos ?? true;
    const eos = options.addEos ?? false;
    const pre = bos ? [{ special: BOS, typeId: 0 as const }] : [];
    const post = eos ? [{ special: EOS, typeId: 0 as const }] : [];
    this.template = {
      single: [...pre, { sequence: 0 }, ...post],
      pair: [...pre, { sequence: 0 }, { sequence: 1 }, ...post],
    };
  }

  /** Parses llama2.c's `tokenizer.bin` layout. */
  static fromBytes(bytes: Uint8Array, options: Llama2cTokenizerOptions = {}): Llama2cTokenizer {
    const where = options.where ?? 'tokenizer.bin';
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < 4) {
      throw new FormatError(
        `expected a 4-byte int32 max_token_length header, file has ${bytes.byteLength} bytes`,
        { where },
      );
    }
    const maxTokenLength = view.getInt32(0, true);
    if (maxTokenLength <= 0 || maxTokenLength > 1 << 16) {
      throw new FormatError(
        `expected max_token_length in 1..65536 at byte 0, got ${maxTokenLength}`,
        { where },
      );
    }
    const pieces: Uint8Array[] = [];
    const scores: number[] = [];
    let off = 4;
    const limit = options.vocabSize ?? Number.POSITIVE_INFINITY;
    while (pieces.length < limit && off < bytes.byteLength) {
      const i = pieces.length;
      if (off + 8 > bytes.byteLength) {
        throw new FormatError(
          `token ${i} at byte ${off}: expected float32 score and int32 length, file ends`,
          { where },
        );
      }
      const score = view.getFloat32(off, true);
      const len = view.getInt32(off + 4, true);
      off += 8;
      if (len < 0 || len > maxTokenLength || off + len > bytes.byteLength) {
        throw new FormatError(
          `token ${i} at byte ${off - 4}: expected a length in 0..${maxTokenLength} with that many bytes left, got ${len} (${bytes.byteLength - off} bytes left)`,
          { where },
        );
      }
      pieces.push(bytes.slice(off, off + len));
      scores.push(score);
      off += len;
    }
    if (options.vocabSize !== undefined && pieces.length < options.vocabSize) {
      throw new FormatError(`expected ${options.vocabSize} tokens, file holds ${pieces.length}`, {
        where,
      });
    }
    return new Llama2cTokenizer(pieces, Float32Array.from(scores), {
      ...options,
      maxTokenLength,
      where,
    });
  }

  /** Serialises back to llama2.c's `tokenizer.bin` layout (round-trips `fromBytes`). */
  toBytes(): Uint8Array {
    const size = 4 + this.pieceBytes.reduce((n, p) => n + 8 + p.length, 0);
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    view.setInt32(0, this.maxTokenLength, true);
    let off = 4;
    this.pieceBytes.forEach((p, i) => {
      view.setFloat32(off, this.scores[i], true);
      view.setInt32(off + 4, p.length, true);
      out.set(p, off + 8);
      off += 8 + p.length;
    });
    return out;
  }

  tokenToId(token: string): number | undefined {
    return this.#lookup.get(binary(utf8Encoder.encode(token)));
  }

  idToToken(id: number): string | undefined {
    return this.#text[id];
  }

  /** llama2.c's encode, without BOS/EOS (the template adds those). */
  pieces(text: string): Pieces {
    const ids: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    if (text.length === 0) return { ids, tokens: [], offsets: [] };
    if (this.#spaceId === undefined) {
      throw new FormatError('the vocabulary has no " " piece for the dummy prefix', {
        where: 'llama2c tokenizer',
      });
    }
    ids.push(this.#spaceId);
    starts.push(0);
    ends.push(0);
    const bytes = utf8Encoder.encode(text);
    // UTF-16 index of each byte's code point, to report offsets in string units.
    const charAt = new Int32Array(bytes.length + 1);
    for (let b = 0, c = 0; b < bytes.length; ) {
      const lead = bytes[b];
      const n = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
      for (let k = 0; k < n && b + k < bytes.length; k++) charAt[b + k] = c;
      b += n;
      c += n === 4 ? 2 : 1;
    }
    charAt[bytes.length] = text.length;
    // One piece per code point (at most 4 bytes, as llama2.c), else one per byte.
    let start = 0;
    let len = 0;
    for (let i = 0; i < bytes.length; i++) {
      if ((bytes[i] & 0xc0) !== 0x80) {
        start = i;
        len = 0;
      }
      len++;
      if (i + 1 < bytes.length && (bytes[i + 1] & 0xc0) === 0x80 && len < 4) continue;
      let key = '';
      for (let k = start; k < start + len; k++) key += String.fromCharCode(bytes[k]);
      const id = this.#lookup.get(key);
      if (id !== undefined) {
        ids.push(id);
        starts.push(start);
        ends.push(start + len);
      } else {
        for (let k = start; k < start + len; k++) {
          ids.push(bytes[k] + 3);
          starts.push(k);
          ends.push(k + 1);
        }
      }
      len = 0;
    }
    this.#merge(ids, starts, ends);
    const tokens = ids.map((id) => this.#text[id]);
    const offsets = ids.map((_, i): [number, number] =>
      i === 0 && ends[0] === 0 ? [0, 0] : [charAt[starts[i]], charAt[ends[i]]],
    );
    return { ids, tokens, offsets };
  }

  /**
   * Merges in place. Equivalent to llama2.c's rescan-everything loop (best
   * score, leftmost on ties) but with a heap of candidate pairs over a linked
   * list, so long texts cost O(n log n) instead of O(n²).
   */
  #merge(ids: number[], starts: number[], ends: number[]): void {
    const n = ids.length;
    if (n < 2) return;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const version = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    next[n - 1] = -1;
    const cur = ids.slice();
    const eLeft: number[] = [];
    const eId: number[] = [];
    const eVerL: number[] = [];
    const eVerR: number[] = [];
    const heap = new KeyHeap();
    const consider = (left: number) => {
      const right = next[left];
      if (right < 0) return;
      const id = this.#lookup.get(this.#binary[cur[left]] + this.#binary[cur[right]]);
      if (id === undefined || !(this.scores[id] > MIN_SCORE)) return;
      const e = eLeft.length;
      eLeft.push(left);
      eId.push(id);
      eVerL.push(version[left]);
      eVerR.push(version[right]);
      // Min-heap: negate the score; ties resolve to the leftmost node.
      heap.push(-this.scores[id], left, e);
    };
    for (let i = 0; i < n - 1; i++) consider(i);
    while (heap.size > 0) {
      const e = heap.pop() as number;
      const left = eLeft[e];
      const right = next[left];
      if (
        version[left] !== eVerL[e] ||
        right < 0 ||
        version[right] !== eVerR[e] ||
        version[left] < 0
      )
        continue;
      cur[left] = eId[e];
      ends[left] = ends[right];
      version[left]++;
      version[right] = -1;
      const after = next[right];
      next[left] = after;
      if (after >= 0) prev[after] = left;
      if (prev[left] >= 0) consider(prev[left]);
      consider(left);
    }
    let w = 0;
    for (let i = 0; i >= 0; i = next[i]) {
      ids[w] = cur[i];
      starts[w] = starts[i];
      ends[w] = ends[i];
      w++;
    }
    ids.length = w;
    starts.length = w;
    ends.length = w;
  }

  /**
   * llama2.c's `decode(prev_token, token)`: the piece's bytes, without the
   * leading space right after BOS, and `<0xXX>` pieces as the raw byte.
   */
  decodePiece(prevId: number, id: number): Uint8Array {
    this.#checkId(id);
    const b = this.#byteValue[id];
    if (b >= 0) return Uint8Array.of(b);
    const piece = this.pieceBytes[id];
    return prevId === BOS && piece[0] === 0x20 ? piece.subarray(1) : piece;
  }

  decode(ids: ArrayLike<number>, options: Llama2cDecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (skip && (id === BOS || id === EOS || id === this.specialTokens.pad)) continue;
      const piece = this.decodePiece(i > 0 ? ids[i - 1] : -1, id);
      if (options.printable && piece.length === 1 && !isPrintableOrSpace(piece[0])) continue;
      if (piece.length === 0) continue;
      parts.push(piece);
      total += piece.length;
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return utf8Decoder.decode(out);
  }

  #checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new ValidationError(
        `token id ${id} is outside the vocabulary 0..${this.vocabSize - 1}`,
      );
    }
  }
}

/** C's `isprint(c) || isspace(c)` in the "C" locale. */
function isPrintableOrSpace(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || (c >= 0x09 && c <= 0x0d);
}
