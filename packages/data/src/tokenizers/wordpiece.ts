import { FormatError, ValidationError } from '@kd/core';
import { BaseTokenizer, type Template } from './base.js';
import type { DecodeOptions, Pieces, SpecialTokenIds } from './types.js';
import { parseVocabTxt, splitOnSpecials, vocabIndex } from './vocab.js';

export interface WordPieceOptions {
  /** Lowercase the input (uncased BERT). Default true. */
  lowercase?: boolean;
  /** Remove accents (NFD, then drop nonspacing marks). Default: same as `lowercase`, as in BERT. */
  stripAccents?: boolean;
  /** Put spaces around CJK ideographs so each is its own word. Default true. */
  handleChineseChars?: boolean;
  /** Drop control characters and map every whitespace to a space. Default true. */
  cleanText?: boolean;
  /** Longer words become `[UNK]` (BERT: 100 characters). */
  maxInputCharsPerWord?: number;
  continuingSubwordPrefix?: string;
  unkToken?: string;
  clsToken?: string;
  sepToken?: string;
  padToken?: string;
  maskToken?: string;
  /** Tidy spaces before punctuation and contractions in `decode` (transformers' default for BERT). */
  cleanUpTokenizationSpaces?: boolean;
}

const ASCII_PUNCT = new Uint8Array(128);
for (const c of '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~') ASCII_PUNCT[c.charCodeAt(0)] = 1;
const UNICODE_PUNCT = /\p{P}/u;
const WHITESPACE = /\p{White_Space}/u;
const CONTROL = /\p{C}/u;
const NONSPACING = /\p{Mn}/gu;

/** `char::is_ascii_punctuation || char::is_punctuation` of the Rust BertPreTokenizer. */
function isPunct(cp: number): boolean {
  if (cp < 128) return ASCII_PUNCT[cp] === 1;
  return UNICODE_PUNCT.test(String.fromCodePoint(cp));
}

/** The CJK blocks BERT isolates (its `_is_chinese_char`). */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/**
 * BERT's WordPiece tokenizer from a `vocab.txt`, with the normaliser and
 * pre-tokeniser of Hugging Face's `BertTokenizerFast`: clean text, isolate CJK
 * ideographs, strip accents, lowercase, split on whitespace and punctuation,
 * then greedy longest-match-first word pieces (`##` continuations; a word with
 * no full cover becomes `[UNK]`). Offsets point into the original text.
 */
export class WordPieceTokenizer extends BaseTokenizer {
  readonly type = 'wordpiece';
  readonly vocabSize: number;
  readonly specialTokens: Readonly<SpecialTokenIds>;
  protected readonly template: Template;
  readonly vocab: readonly string[];
  readonly #index: Map<string, number>;
  readonly #opts: Required<WordPieceOptions>;
  readonly #specialStrings: string[];
  readonly #specialIds: Set<number>;
  readonly #cache = new Map<string, { ids: number[]; ends: number[] }>();
  readonly #charCache = new Map<number, string>();

  constructor(vocab: readonly string[], options: WordPieceOptions = {}) {
    super();
    const lowercase = options.lowercase ?? true;
    this.#opts = {
      lowercase,
      stripAccents: options.stripAccents ?? lowercase,
      handleChineseChars: options.handleChineseChars ?? true,
      cleanText: options.cleanText ?? true,
      maxInputCharsPerWord: options.maxInputCharsPerWord ?? 100,
      continuingSubwordPrefix: options.continuingSubwordPrefix ?? '##',
      unkToken: options.unkToken ?? '[UNK]',
      clsToken: options.clsToken ?? '[CLS]',
      sepToken: options.sepToken ?? '[SEP]',
      padToken: options.padToken ?? '[PAD]',
      maskToken: options.maskToken ?? '[MASK]',
      cleanUpTokenizationSpaces: options.cleanUpTokenizationSpaces ?? true,
    };
    this.vocab = vocab;
    this.vocabSize = vocab.length;
    this.#index = vocabIndex(vocab);
    const id = (name: keyof WordPieceOptions) => this.#index.get(this.#opts[name] as string);
    const cls = id('clsToken');
    const sep = id('sepToken');
    const unk = id('unkToken');
    if (cls === undefined || sep === undefined || unk === undefined) {
      throw new ValidationError(
        `a WordPiece vocabulary needs ${this.#opts.clsToken}, ${this.#opts.sepToken} and ${this.#opts.unkToken}; missing: ${[
          [cls, this.#opts.clsToken],
          [sep, this.#opts.sepToken],
          [unk, this.#opts.unkToken],
        ]
          .filter(([v]) => v === undefined)
          .map(([, n]) => n)
          .join(', ')}`,
      );
    }
    this.specialTokens = { cls, sep, unk, pad: id('padToken'), mask: id('maskToken') };
    this.#specialStrings = (['clsToken', 'sepToken', 'unkToken', 'padToken', 'maskToken'] as const)
      .map((k) => this.#opts[k])
      .filter((t) => this.#index.has(t));
    this.#specialIds = new Set(this.#specialStrings.map((t) => this.#index.get(t) as number));
    this.template = {
      single: [{ special: cls, typeId: 0 }, { sequence: 0 }, { special: sep, typeId: 0 }],
      pair: [
        { special: cls, typeId: 0 },
        { sequence: 0 },
        { special: sep, typeId: 0 },
        { sequence: 1 },
        { special: sep, typeId: 1 },
      ],
    };
  }

  /** From the text of a `vocab.txt`. */
  static fromVocabTxt(
    text: string,
    options: WordPieceOptions & { where?: string } = {},
  ): WordPieceTokenizer {
    return new WordPieceTokenizer(parseVocabTxt(text, options.where), options);
  }

  /**
   * From a Hugging Face `tokenizer.json` whose model is WordPiece (what
   * `BertTokenizerFast.save_pretrained` writes): vocabulary, unknown token,
   * continuation prefix and the BertNormalizer settings.
   */
  static fromTokenizerJson(
    json: string | object,
    options: WordPieceOptions & { where?: string } = {},
  ): WordPieceTokenizer {
    const where = options.where ?? 'tokenizer.json';
    let data: {
      model?: {
        type?: string;
        vocab?: Record<string, number>;
        unk_token?: string;
        continuing_subword_prefix?: string;
        max_input_chars_per_word?: number;
      };
      normalizer?: {
        type?: string;
        lowercase?: boolean;
        strip_accents?: boolean | null;
        handle_chinese_chars?: boolean;
        clean_text?: boolean;
      } | null;
    };
    try {
      data = typeof json === 'string' ? JSON.parse(json) : (json as typeof data);
    } catch (cause) {
      throw new FormatError('expected JSON', { where, cause });
    }
    const model = data.model;
    if (model?.type !== 'WordPiece' || !model.vocab) {
      throw new FormatError(
        `expected model.type "WordPiece" with a vocab, got ${JSON.stringify(model?.type)}`,
        { where },
      );
    }
    const vocab: string[] = [];
    for (const [t, id] of Object.entries(model.vocab)) {
      if (!Number.isInteger(id) || id < 0)
        throw new FormatError(
          `token ${JSON.stringify(t)}: expected a non-negative integer id, got ${id}`,
          { where },
        );
      vocab[id] = t;
    }
    for (let i = 0; i < vocab.length; i++) {
      if (vocab[i] === undefined)
        throw new FormatError(`vocabulary ids must be contiguous; id ${i} is missing`, { where });
    }
    const norm = data.normalizer?.type === 'BertNormalizer' ? data.normalizer : undefined;
    return new WordPieceTokenizer(vocab, {
      lowercase: norm?.lowercase ?? false,
      stripAccents: norm?.strip_accents ?? undefined,
      handleChineseChars: norm?.handle_chinese_chars,
      cleanText: norm?.clean_text,
      unkToken: model.unk_token,
      continuingSubwordPrefix: model.continuing_subword_prefix,
      maxInputCharsPerWord: model.max_input_chars_per_word,
      ...options,
    });
  }

  tokenToId(token: string): number | undefined {
    return this.#index.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }

  pieces(text: string): Pieces {
    const out: Pieces = { ids: [], tokens: [], offsets: [] };
    for (const seg of splitOnSpecials(text, this.#specialStrings)) {
      if (seg.special) {
        out.ids.push(this.#index.get(seg.text) as number);
        out.tokens.push(seg.text);
        out.offsets.push([seg.start, seg.start + seg.text.length]);
      } else {
        this.#piecesOf(seg.text, seg.start, out);
      }
    }
    return out;
  }

  #piecesOf(text: string, base: number, out: Pieces): void {
    const { norm, from, to } = this.#normalize(text);
    // Pre-tokenise: words split on whitespace, each punctuation char on its own.
    let wordStart = -1;
    const flush = (end: number) => {
      if (wordStart < 0) return;
      this.#wordPieces(norm, wordStart, end, from, to, base, out);
      wordStart = -1;
    };
    for (let i = 0; i < norm.length; ) {
      const cp = norm.codePointAt(i) as number;
      const w = cp > 0xffff ? 2 : 1;
      if (cp === 32 || (cp > 127 && WHITESPACE.test(String.fromCodePoint(cp)))) {
        flush(i);
      } else if (isPunct(cp)) {
        flush(i);
        wordStart = i;
        flush(i + w);
      } else if (wordStart < 0) {
        wordStart = i;
      }
      i += w;
    }
    flush(norm.length);
  }

  #wordPieces(
    norm: string,
    start: number,
    end: number,
    from: number[],
    to: number[],
    base: number,
    out: Pieces,
  ): void {
    const word = norm.slice(start, end);
    let hit = this.#cache.get(word);
    if (!hit) {
      hit = this.#wordPiece(word);
      if (this.#cache.size > 100_000) this.#cache.clear();
      this.#cache.set(word, hit);
    }
    let s = 0;
    for (let k = 0; k < hit.ids.length; k++) {
      const e = hit.ends[k];
      out.ids.push(hit.ids[k]);
      out.tokens.push(this.vocab[hit.ids[k]]);
      out.offsets.push([base + from[start + s], base + to[start + e - 1]]);
      s = e;
    }
  }

  /** Greedy longest-match-first over code points; `ends` are UTF-16 ends within the word. */
  #wordPiece(word: string): { ids: number[]; ends: number[] } {
    const chars = Array.from(word);
    const unk = { ids: [this.specialTokens.unk as number], ends: [word.length] };
    if (chars.length > this.#opts.maxInputCharsPerWord) return unk;
    const units: number[] = [0];
    for (const c of chars) units.push(units[units.length - 1] + c.length);
    const ids: number[] = [];
    const ends: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        let sub = word.slice(units[start], units[end]);
        if (start > 0) sub = this.#opts.continuingSubwordPrefix + sub;
        found = this.#index.get(sub);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) return unk;
      ids.push(found);
      ends.push(units[end]);
      start = end;
    }
    return { ids, ends };
  }

  /**
   * The BertNormalizer, applied per code point so each normalised UTF-16 unit
   * knows the original span it came from (`from`/`to`, in units of `text`).
   */
  #normalize(text: string): { norm: string; from: number[]; to: number[] } {
    const { cleanText, handleChineseChars, lowercase } = this.#opts;
    let norm = '';
    const from: number[] = [];
    const to: number[] = [];
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i) as number;
      const w = cp > 0xffff ? 2 : 1;
      let out: string;
      if (cp < 128) {
        if (cleanText && (cp === 9 || cp === 10 || cp === 13)) out = ' ';
        else if (cleanText && (cp === 0 || cp < 32 || cp === 127)) out = '';
        else out = lowercase && cp >= 65 && cp <= 90 ? String.fromCharCode(cp + 32) : text[i];
      } else {
        let cached = this.#charCache.get(cp);
        if (cached === undefined) {
          cached = this.#normalizeChar(cp);
          this.#charCache.set(cp, cached);
        }
        out = cached;
        // Σ lowercases by context (Final_Sigma), which a per-character cache cannot see.
        if (cp === 0x3a3 && lowercase) out = finalSigma(text, i) ? 'ς' : 'σ';
      }
      if (handleChineseChars && cp >= 0x3400 && isChineseChar(cp)) out = ` ${out} `;
      for (let k = 0; k < out.length; k++) {
        from.push(i);
        to.push(i + w);
      }
      norm += out;
      i += w;
    }
    return { norm, from, to };
  }

  #normalizeChar(cp: number): string {
    const { cleanText, stripAccents, lowercase } = this.#opts;
    let s = String.fromCodePoint(cp);
    if (cleanText) {
      if (cp === 0xfffd || CONTROL.test(s)) return '';
      if (WHITESPACE.test(s)) return ' ';
    }
    if (stripAccents) s = s.normalize('NFD').replace(NONSPACING, '');
    if (lowercase) s = s.toLowerCase();
    return s;
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (skip && this.#specialIds.has(id) && id !== this.specialTokens.unk) continue;
      const t = this.vocab[id];
      if (t === undefined)
        throw new ValidationError(
          `token id ${id} is outside the vocabulary 0..${this.vocabSize - 1}`,
        );
      tokens.push(t);
    }
    const prefix = this.#opts.continuingSubwordPrefix;
    let text = tokens.join(' ').split(` ${prefix}`).join('');
    if (this.#opts.cleanUpTokenizationSpaces) text = cleanUpTokenization(text);
    return text;
  }
}

/** Unicode's Final_Sigma condition, as String.prototype.toLowerCase applies it to a whole string. */
function finalSigma(text: string, i: number): boolean {
  return (
    text
      .slice(0, i + 1)
      .toLowerCase()
      .endsWith('ς') && !/^\p{L}/u.test(text.slice(i + 1))
  );
}

/** transformers' `clean_up_tokenization`. */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
