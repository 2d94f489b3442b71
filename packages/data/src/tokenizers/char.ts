import { ValidationError } from '@kd/core';
import { BaseTokenizer, type Template } from './base.js';
import type { DecodeOptions, Pieces, SpecialTokenIds } from './types.js';

export interface CharTokenizerOptions {
  /**
   * Special tokens placed before the characters, ids 0..n-1, e.g.
   * `['<pad>', '<unk>', '<bos>', '<eos>']`. Default none (nanoGPT/char-rnn style).
   */
  specials?: readonly string[];
  /** Which of `specials` plays each role. */
  padToken?: string;
  unkToken?: string;
  bosToken?: string;
  eosToken?: string;
  /** Wrap `encode` output in bos … eos. Default false. */
  addBosEos?: boolean;
}

/**
 * One token per Unicode code point. `fromCorpus` builds the vocabulary as the
 * sorted set of a corpus's characters (the char-rnn / nanoGPT Shakespeare
 * setup). Characters outside the vocabulary map to `unkToken`, or are an error
 * when there is none.
 */
export class CharTokenizer extends BaseTokenizer {
  readonly type = 'char';
  readonly vocabSize: number;
  readonly specialTokens: Readonly<SpecialTokenIds>;
  protected readonly template: Template;
  readonly vocab: readonly string[];
  readonly #index: Map<string, number>;
  readonly #specialIds: Set<number>;

  constructor(chars: readonly string[], options: CharTokenizerOptions = {}) {
    super();
    const specials = options.specials ?? [];
    for (const c of chars) {
      if ([...c].length !== 1)
        throw new ValidationError(`expected single characters, got ${JSON.stringify(c)}`);
    }
    this.vocab = [...specials, ...chars];
    this.vocabSize = this.vocab.length;
    this.#index = new Map();
    this.vocab.forEach((t, i) => {
      if (this.#index.has(t))
        throw new ValidationError(`token ${JSON.stringify(t)} appears twice in the vocabulary`);
      this.#index.set(t, i);
    });
    const role = (t: string | undefined) => {
      if (t === undefined) return undefined;
      if (!specials.includes(t))
        throw new ValidationError(
          `${JSON.stringify(t)} is not one of the specials ${JSON.stringify(specials)}`,
        );
      return this.#index.get(t);
    };
    this.specialTokens = {
      pad: role(options.padToken),
      unk: role(options.unkToken),
      bos: role(options.bosToken),
      eos: role(options.eosToken),
    };
    this.#specialIds = new Set(specials.map((s) => this.#index.get(s) as number));
    const { bos, eos } = this.specialTokens;
    if (options.addBosEos && (bos === undefined || eos === undefined)) {
      throw new ValidationError('addBosEos needs bosToken and eosToken');
    }
    const pre = options.addBosEos ? [{ special: bos as number, typeId: 0 as const }] : [];
    const post = options.addBosEos ? [{ special: eos as number, typeId: 0 as const }] : [];
    this.template = {
      single: [...pre, { sequence: 0 }, ...post],
      pair: [...pre, { sequence: 0 }, { sequence: 1 }, ...post],
    };
  }

  /** Vocabulary = the sorted distinct characters of `corpus` (code-point order). */
  static fromCorpus(corpus: string, options: CharTokenizerOptions = {}): CharTokenizer {
    const set = new Set<string>();
    for (const c of corpus) set.add(c);
    const chars = [...set].sort(
      (a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number),
    );
    return new CharTokenizer(chars, options);
  }

  tokenToId(token: string): number | undefined {
    return this.#index.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }

  pieces(text: string): Pieces {
    const out: Pieces = { ids: [], tokens: [], offsets: [] };
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i) as number;
      const w = cp > 0xffff ? 2 : 1;
      const ch = w === 1 ? text[i] : text.slice(i, i + 2);
      let id = this.#index.get(ch);
      if (id === undefined || this.#specialIds.has(id)) {
        id = this.specialTokens.unk;
        if (id === undefined) {
          throw new ValidationError(
            `character ${JSON.stringify(ch)} (U+${cp.toString(16).toUpperCase().padStart(4, '0')}) at index ${i} is not in the vocabulary and there is no unkToken`,
          );
        }
      }
      out.ids.push(id);
      out.tokens.push(this.vocab[id]);
      out.offsets.push([i, i + w]);
      i += w;
    }
    return out;
  }

  /** Fast path for language-model corpora: ids only, no offsets or token strings. */
  encodeToInt32(text: string): Int32Array {
    const bmp = this.#bmpTable();
    const out = new Int32Array(text.length);
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const id = bmp[text.charCodeAt(i)];
      // Surrogates, unknown characters and specials take the general path.
      if (id < 0) return Int32Array.from(this.pieces(text).ids);
      out[n++] = id;
    }
    return out;
  }

  #bmp: Int32Array | undefined;
  /** Id per UTF-16 code unit for single-unit, non-special vocabulary characters; -1 elsewhere. */
  #bmpTable(): Int32Array {
    if (this.#bmp) return this.#bmp;
    const table = new Int32Array(65536).fill(-1);
    this.vocab.forEach((t, id) => {
      if (t.length === 1 && !this.#specialIds.has(id)) {
        const c = t.charCodeAt(0);
        if (c < 0xd800 || c > 0xdfff) table[c] = id;
      }
    });
    this.#bmp = table;
    return table;
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const t = this.vocab[ids[i]];
      if (t === undefined)
        throw new ValidationError(
          `token id ${ids[i]} is outside the vocabulary 0..${this.vocabSize - 1}`,
        );
      if (skip && this.#specialIds.has(ids[i])) continue;
      s += t;
    }
    return s;
  }
}
