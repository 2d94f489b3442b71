import { ValidationError } from '@kd/core';
import { lineError, splitLines } from '../io/lines.js';

/**
 * Splits a character corpus into train/validation by position (nanoGPT's
 * Shakespeare recipe: the first 90 % trains, the rest validates).
 */
export function splitTrainVal(text: string, trainFraction = 0.9): { train: string; val: string } {
  if (!(trainFraction > 0 && trainFraction < 1)) {
    throw new ValidationError(`trainFraction must be in (0, 1), got ${trainFraction}`);
  }
  const n = Math.floor(text.length * trainFraction);
  return { train: text.slice(0, n), val: text.slice(n) };
}

export interface WikiTextArticle {
  title: string;
  /** The article's lines (headings included), as in the file. */
  lines: string[];
}

/**
 * Parses tokenised WikiText (-2 or -103, the `wiki.*.tokens` layout): each
 * non-empty line starts with a space, articles open with a level-1 heading
 * ` = Title = `, and rare words are `<unk>`. A line without the leading space
 * is not WikiText and is rejected.
 */
export function parseWikiText(
  text: string,
  options: { file?: string } = {},
): { lines: string[]; articles: WikiTextArticle[] } {
  const file = options.file ?? 'wikitext.tokens';
  const lines: string[] = [];
  const articles: WikiTextArticle[] = [];
  for (const line of splitLines(text)) {
    if (line.text !== '' && line.text[0] !== ' ') {
      throw lineError(
        file,
        line.lineNo,
        'an empty line or one starting with a space (tokenised WikiText)',
        line.text,
      );
    }
    lines.push(line.text);
    const m = /^ = ([^=].*[^=]|[^=]) = $/.exec(line.text);
    if (m) articles.push({ title: m[1], lines: [] });
    if (articles.length > 0) articles[articles.length - 1].lines.push(line.text);
  }
  return { lines, articles };
}

/**
 * Word-level tokens of a tokenised corpus the way PyTorch's
 * word_language_model reads WikiText: whitespace-split words of every line,
 * each line closed by `<eos>` (empty lines included).
 */
export function wordLevelTokens(text: string, eos = '<eos>'): string[] {
  const out: string[] = [];
  for (const line of splitLines(text)) {
    for (const w of line.text.split(/\s+/)) if (w) out.push(w);
    out.push(eos);
  }
  return out;
}

/** A word vocabulary in order of first appearance (PyTorch's `Dictionary`), and the corpus as ids. */
export function buildWordVocab(tokens: readonly string[]): {
  words: string[];
  index: Map<string, number>;
  ids: Int32Array;
} {
  const index = new Map<string, number>();
  const words: string[] = [];
  const ids = new Int32Array(tokens.length);
  tokens.forEach((t, i) => {
    let id = index.get(t);
    if (id === undefined) {
      id = words.length;
      index.set(t, id);
      words.push(t);
    }
    ids[i] = id;
  });
  return { words, index, ids };
}
