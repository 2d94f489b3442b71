import { FormatError, ValidationError } from '@kd/core';
import { BaseTokenizer, type Template } from './base.js';
import { KeyHeap } from './heap.js';
import type { DecodeOptions, Pieces, SpecialTokenIds } from './types.js';
import { splitOnSpecials } from './vocab.js';

export interface ByteLevelBpeOptions {
  /** Prepend a space when the text does not start with one (RoBERTa style). Default false (GPT-2). */
  addPrefixSpace?: boolean;
  /** Special tokens matched whole in the raw text and skipped by `decode`. Default `['<|endoftext|>']` when in the vocabulary. */
  specialTokens?: readonly string[];
  bosToken?: string;
  eosToken?: string;
  unkToken?: string;
  /** GPT-2 has no pad token; padding uses this one (default: the EOS token, masked out). */
  padToken?: string;
  /** Wrap each text as `bos … eos` in `encode` (GPT-2 adds nothing; default false). */
  addBosEos?: boolean;
  where?: string;
}

/** GPT-2's pre-tokenisation pattern (openai/gpt-2 encoder.py), in JS Unicode mode. */
export const GPT2_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's reversible byte → printable-character table: printable Latin-1
 * bytes map to themselves, the rest to U+0100 onward (so a space is `Ġ`).
 */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const table = new Array<string>(256);
  for (const b of bs) table[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + n++);
  }
  return table;
}

const BYTE_CHARS = bytesToUnicode();
const CHAR_BYTES = new Map(BYTE_CHARS.map((c, b) => [c, b]));
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/**
 * Byte-level BPE as in GPT-2 (`vocab.json` + `merges.txt`, or a Hugging Face
 * `tokenizer.json`): the GPT-2 regex splits the text, each piece's UTF-8
 * bytes become printable characters, and ranked merges apply lowest rank
 * first (leftmost on ties), as in `tokenizers`' BPE model.
 */
export class ByteLevelBpeTokenizer extends BaseTokenizer {
  readonly type = 'byte-level-bpe';
  readonly vocabSize: number;
  readonly specialTokens: Readonly<SpecialTokenIds>;
  protected readonly template: Template;
  readonly #index: Map<string, number>;
  readonly #tokens: string[];
  /** (left id, right id) → rank and merged id. */
  readonly #merges = new Map<number, { rank: number; id: number }>();
  readonly #mulKey: number;
  readonly #byteIds: Int32Array;
  readonly #addPrefixSpace: boolean;
  readonly #specials: string[];
  readonly #specialIds: Set<number>;
  readonly #cache = new Map<string, number[]>();
  readonly #heap = new KeyHeap();

  constructor(
    vocab: ReadonlyMap<string, number>,
    merges: readonly (readonly [string, string])[],
    options: ByteLevelBpeOptions = {},
  ) {
    super();
    const where = options.where ?? 'byte-level BPE';
    this.#index = new Map(vocab);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.#tokens = new Array<string>(this.vocabSize);
    for (const [t, id] of vocab) this.#tokens[id] = t;
    this.#mulKey = this.vocabSize;
    this.#byteIds = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = vocab.get(BYTE_CHARS[b]);
      if (id === undefined) {
        throw new FormatError(
          `the vocabulary lacks the byte token ${JSON.stringify(BYTE_CHARS[b])} (byte ${b}); byte-level BPE needs all 256`,
          { where },
        );
      }
      this.#byteIds[b] = id;
    }
    merges.forEach(([a, b], rank) => {
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      const im = vocab.get(a + b);
      if (ia === undefined || ib === undefined || im === undefined) {
        throw new FormatError(
          `merge ${rank + 1} "${a} ${b}": ${[a, b, a + b]
            .filter((t) => !vocab.has(t))
            .map((t) => JSON.stringify(t))
            .join(', ')} not in the vocabulary`,
          { where },
        );
      }
      const key = ia * this.#mulKey + ib;
      if (!this.#merges.has(key)) this.#merges.set(key, { rank, id: im });
    });
    this.#addPrefixSpace = options.addPrefixSpace ?? false;
    const eot = vocab.has('<|endoftext|>') ? '<|endoftext|>' : undefined;
    this.#specials = [...(options.specialTokens ?? (eot ? [eot] : []))].filter((t) => vocab.has(t));
    this.#specialIds = new Set(this.#specials.map((t) => vocab.get(t) as number));
    const id = (t: string | undefined) => (t === undefined ? undefined : vocab.get(t));
    const bos = id(options.bosToken ?? eot);
    const eos = id(options.eosToken ?? eot);
    const pad = id(options.padToken) ?? eos;
    this.specialTokens = { bos, eos, unk: id(options.unkToken ?? eot), pad };
    for (const t of [options.bosToken, options.eosToken, options.padToken, options.unkToken]) {
      if (t !== undefined && !vocab.has(t))
        throw new ValidationError(`special token ${JSON.stringify(t)} is not in the vocabulary`);
    }
    if (options.addBosEos && (bos === undefined || eos === undefined)) {
      throw new ValidationError('addBosEos needs bos and eos tokens in the vocabulary');
    }
    const pre = options.addBosEos ? [{ special: bos as number, typeId: 0 as const }] : [];
    const post = options.addBosEos ? [{ special: eos as number, typeId: 0 as const }] : [];
    this.template = {
      single: [...pre, { sequence: 0 }, ...post],
      pair: [...pre, { sequence: 0 }, ...post, ...pre, { sequence: 1 }, ...post],
    };
  }

  /** From GPT-2's `vocab.json` (a.k.a. encoder.json) and `merges.txt` (vocab.bpe). */
  static fromFiles(
    vocabJson: string,
    mergesTxt: string,
    options: ByteLevelBpeOptions = {},
  ): ByteLevelBpeTokenizer {
    return new ByteLevelBpeTokenizer(
      parseVocabJson(vocabJson, 'vocab.json'),
      parseMergesTxt(mergesTxt),
      options,
    );
  }

  /**
   * From a Hugging Face `tokenizer.json` with a BPE model (merges as `"a b"`
   * strings or `[a, b]` pairs); its added special tokens become specials.
   */
  static fromTokenizerJson(
    json: string | object,
    options: ByteLevelBpeOptions = {},
  ): ByteLevelBpeTokenizer {
    const where = options.where ?? 'tokenizer.json';
    let data: {
      model?: {
        type?: string;
        vocab?: Record<string, number>;
        merges?: (string | [string, string])[];
      };
      added_tokens?: { id: number; content: string; special?: boolean }[];
      pre_tokenizer?: { add_prefix_space?: boolean };
    };
    try {
      data = typeof json === 'string' ? JSON.parse(json) : (json as typeof data);
    } catch (cause) {
      throw new FormatError('expected JSON', { where, cause });
    }
    const model = data.model;
    if (model?.type !== 'BPE' || !model.vocab || !Array.isArray(model.merges)) {
      throw new FormatError(
        `expected model.type "BPE" with vocab and merges, got ${JSON.stringify(model?.type)}`,
        { where },
      );
    }
    const vocab = new Map(Object.entries(model.vocab));
    for (const t of data.added_tokens ?? []) vocab.set(t.content, t.id);
    const merges = model.merges.map((m, i): [string, string] => {
      if (Array.isArray(m) && m.length === 2) return [m[0], m[1]];
      if (typeof m === 'string') return splitMerge(m, i + 1, where);
      throw new FormatError(`merge ${i + 1}: expected "a b" or [a, b]`, { where });
    });
    const specials = (data.added_tokens ?? []).filter((t) => t.special).map((t) => t.content);
    return new ByteLevelBpeTokenizer(vocab, merges, {
      addPrefixSpace: data.pre_tokenizer?.add_prefix_space ?? false,
      specialTokens: specials,
      ...options,
    });
  }

  tokenToId(token: string): number | undefined {
    return this.#index.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.#tokens[id];
  }

  pieces(text: string): Pieces {
    const out: Pieces = { ids: [], tokens: [], offsets: [] };
    let shift = 0;
    if (this.#addPrefixSpace && text.length > 0 && text[0] !== ' ') {
      text = ` ${text}`;
      shift = 1;
    }
    for (const seg of splitOnSpecials(text, this.#specials)) {
      if (seg.special) {
        out.ids.push(this.#index.get(seg.text) as number);
        out.tokens.push(seg.text);
        out.offsets.push(clampOffsets(seg.start, seg.start + seg.text.length, shift));
        continue;
      }
      for (const m of seg.text.matchAll(GPT2_PATTERN)) {
        const word = m[0];
        const start = seg.start + (m.index as number);
        const ids = this.#wordIds(word);
        if (ids.length === 1) {
          out.ids.push(ids[0]);
          out.tokens.push(this.#tokens[ids[0]]);
          out.offsets.push(clampOffsets(start, start + word.length, shift));
          continue;
        }
        // Map each token's byte span back to UTF-16 offsets within the word.
        const charOfByte = byteToCharIndex(word);
        let byte = 0;
        for (const id of ids) {
          const len = this.#tokens[id].length; // one char per byte
          out.ids.push(id);
          out.tokens.push(this.#tokens[id]);
          out.offsets.push(
            clampOffsets(start + charOfByte[byte], start + charOfByte[byte + len], shift),
          );
          byte += len;
        }
      }
    }
    return out;
  }

  #wordIds(word: string): number[] {
    const hit = this.#cache.get(word);
    if (hit) return hit;
    const bytes = encoder.encode(word);
    const ids = Array.from(bytes, (b) => this.#byteIds[b]);
    this.#bpe(ids);
    if (this.#cache.size > 100_000) this.#cache.clear();
    this.#cache.set(word, ids);
    return ids;
  }

  /** Lowest-rank merges first, leftmost on ties, over a linked list; in place. */
  #bpe(ids: number[]): void {
    const n = ids.length;
    if (n < 2) return;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    next[n - 1] = -1;
    const heap = this.#heap;
    heap.clear();
    // Heap value packs (left node, expected left id, expected right id) via side arrays.
    const eLeft: number[] = [];
    const eA: number[] = [];
    const eB: number[] = [];
    const eId: number[] = [];
    const consider = (left: number) => {
      const right = next[left];
      if (right < 0) return;
      const m = this.#merges.get(ids[left] * this.#mulKey + ids[right]);
      if (!m) return;
      const e = eLeft.length;
      eLeft.push(left);
      eA.push(ids[left]);
      eB.push(ids[right]);
      eId.push(m.id);
      heap.push(m.rank, left, e);
    };
    for (let i = 0; i < n - 1; i++) consider(i);
    while (heap.size > 0) {
      const e = heap.pop() as number;
      const left = eLeft[e];
      if (!alive[left]) continue;
      const right = next[left];
      if (right < 0 || ids[left] !== eA[e] || ids[right] !== eB[e]) continue;
      ids[left] = eId[e];
      alive[right] = 0;
      const after = next[right];
      next[left] = after;
      if (after >= 0) prev[after] = left;
      if (prev[left] >= 0) consider(prev[left]);
      consider(left);
    }
    let w = 0;
    for (let i = 0; i >= 0; i = next[i]) ids[w++] = ids[i];
    ids.length = w;
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    const bytes: number[] = [];
    let text = '';
    const flush = () => {
      text += decoder.decode(Uint8Array.from(bytes));
      bytes.length = 0;
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const t = this.#tokens[id];
      if (t === undefined)
        throw new ValidationError(
          `token id ${id} is outside the vocabulary 0..${this.vocabSize - 1}`,
        );
      if (this.#specialIds.has(id)) {
        if (skip) continue;
        flush();
        text += t;
        continue;
      }
      for (const ch of t) {
        const b = CHAR_BYTES.get(ch);
        if (b === undefined) {
          flush();
          text += ch;
        } else {
          bytes.push(b);
        }
      }
    }
    flush();
    return text;
  }
}

function clampOffsets(a: number, b: number, shift: number): [number, number] {
  return [Math.max(0, a - shift), Math.max(0, b - shift)];
}

/** For each UTF-8 byte index of `s` (and one past the end), the UTF-16 index of its character. */
function byteToCharIndex(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    const cp = s.codePointAt(i) as number;
    const nb = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < nb; k++) out.push(i);
    i += cp > 0xffff ? 2 : 1;
  }
  out.push(s.length);
  return out;
}

/** Parses GPT-2's `vocab.json` (token → id). */
export function parseVocabJson(text: string, where = 'vocab.json'): Map<string, number> {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (cause) {
    throw new FormatError('expected a JSON object of token → id', { where, cause });
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new FormatError('expected a JSON object of token → id', { where });
  }
  const map = new Map<string, number>();
  for (const [t, id] of Object.entries(obj as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new FormatError(
        `token ${JSON.stringify(t)}: expected a non-negative integer id, got ${JSON.stringify(id)}`,
        { where },
      );
    }
    map.set(t, id);
  }
  return map;
}

/** Parses `merges.txt`: an optional `#version` line, then `left right` per line. */
export function parseMergesTxt(text: string, where = 'merges.txt'): [string, string][] {
  const merges: [string, string][] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    merges.push(splitMerge(line, i + 1, where));
  });
  return merges;
}

function splitMerge(line: string, lineNo: number, where: string): [string, string] {
  const parts = line.split(' ');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new FormatError(
      `line ${lineNo}: expected two space-separated tokens "left right", got ${JSON.stringify(line.slice(0, 60))}`,
      { where },
    );
  }
  return [parts[0], parts[1]];
}
