import { type Line, lineError, splitLines, streamLines } from '../io/lines.js';

/** A tagged sentence of a CoNLL-style file. */
export interface TaggedSentence {
  tokens: string[];
  tags: string[];
  /** `# sent_id = …` when the file has CoNLL-U comments (UNER). */
  id?: string;
  /** `# text = …` when present. */
  text?: string;
}

export interface ConllOptions {
  file?: string;
  /** Column of the token and of the tag (0-based). Default: detected from the first token line — 2 columns → 0/1 (WNUT-17), 5 → 1/2 (UNER). */
  tokenColumn?: number;
  tagColumn?: number;
}

const TAG = /^(O|[BI]-\S+)$/;

/**
 * Incremental parser for CoNLL-style IOB2 files: one token per line
 * (tab-separated columns), sentences separated by blank (or whitespace-only)
 * lines, `#` lines without a TAB are CoNLL-U comments. Tags must be `O`,
 * `B-type` or `I-type`.
 */
export class ConllParser {
  readonly #file: string;
  #tokenCol: number | undefined;
  #tagCol: number | undefined;
  #width: number | undefined;
  #cur: TaggedSentence = { tokens: [], tags: [] };

  constructor(options: ConllOptions = {}) {
    this.#file = options.file ?? 'data.conll';
    this.#tokenCol = options.tokenColumn;
    this.#tagCol = options.tagColumn;
  }

  /** Feeds a line; returns a sentence when this line closes one. */
  push(line: Line): TaggedSentence | undefined {
    const t = line.text;
    if (t.trim() === '') return this.flush();
    if (t.startsWith('#') && !t.includes('\t')) {
      const m = /^#\s*(sent_id|text)\s*=\s*(.*)$/.exec(t);
      if (m) this.#cur[m[1] === 'sent_id' ? 'id' : 'text'] = m[2];
      return undefined;
    }
    const f = t.split('\t');
    if (this.#width === undefined) {
      this.#width = f.length;
      this.#tokenCol ??= f.length >= 5 ? 1 : 0;
      this.#tagCol ??= f.length >= 5 ? 2 : f.length - 1;
    }
    if (f.length !== this.#width) {
      throw lineError(
        this.#file,
        line.lineNo,
        `${this.#width} tab-separated columns like the first token line`,
        t,
      );
    }
    const tag = f[this.#tagCol as number];
    if (!TAG.test(tag))
      throw lineError(this.#file, line.lineNo, 'an IOB2 tag (O, B-type or I-type)', tag);
    this.#cur.tokens.push(f[this.#tokenCol as number]);
    this.#cur.tags.push(tag);
    return undefined;
  }

  /** Closes the sentence in progress (call at end of input). */
  flush(): TaggedSentence | undefined {
    const s = this.#cur;
    this.#cur = { tokens: [], tags: [] };
    return s.tokens.length > 0 ? s : undefined;
  }
}

/** Parses a whole IOB2 file (WNUT-17 `token<TAB>tag`, UNER `idx<TAB>token<TAB>tag<TAB>-<TAB>-`). */
export function parseConll(text: string, options: ConllOptions = {}): TaggedSentence[] {
  const p = new ConllParser(options);
  const out: TaggedSentence[] = [];
  for (const line of splitLines(text)) {
    const s = p.push(line);
    if (s) out.push(s);
  }
  const last = p.flush();
  if (last) out.push(last);
  return out;
}

export async function* streamConll(
  chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options: ConllOptions = {},
): AsyncGenerator<TaggedSentence> {
  const p = new ConllParser(options);
  for await (const line of streamLines(chunks)) {
    const s = p.push(line);
    if (s) yield s;
  }
  const last = p.flush();
  if (last) yield last;
}

/** The tag set of a corpus: `O` first, then types sorted, each as B- then I- (stable label ids). */
export function tagVocabulary(sentences: readonly TaggedSentence[]): string[] {
  const types = new Set<string>();
  for (const s of sentences) for (const t of s.tags) if (t !== 'O') types.add(t.slice(2));
  return ['O', ...[...types].sort().flatMap((t) => [`B-${t}`, `I-${t}`])];
}

/**
 * Entity spans `[start, end)` of an IOB2 tag sequence. An `I-` that does not
 * continue a span of its type starts a new one (seqeval's default, lenient mode).
 */
export function iob2Spans(tags: readonly string[]): { type: string; start: number; end: number }[] {
  const spans: { type: string; start: number; end: number }[] = [];
  let cur: { type: string; start: number; end: number } | undefined;
  tags.forEach((tag, i) => {
    if (tag === 'O') {
      cur = undefined;
      return;
    }
    const kind = tag[0];
    const type = tag.slice(2);
    if (kind === 'B' || !cur || cur.type !== type) {
      cur = { type, start: i, end: i + 1 };
      spans.push(cur);
    } else {
      cur.end = i + 1;
    }
  });
  return spans;
}
