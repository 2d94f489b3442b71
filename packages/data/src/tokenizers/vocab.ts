import { FormatError } from '@kd/core';

/**
 * Parses a WordPiece `vocab.txt`: one token per line, the line number is the
 * id (as `transformers.load_vocab`: only the newline is stripped, and a final
 * newline does not add an empty token).
 */
export function parseVocabTxt(text: string, where = 'vocab.txt'): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const tokens = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (tokens.length === 0)
    throw new FormatError('expected one token per line, the file is empty', { where });
  const seen = new Map<string, number>();
  tokens.forEach((t, i) => {
    const prev = seen.get(t);
    if (prev !== undefined && t !== '') {
      throw new FormatError(
        `line ${i + 1}: token ${JSON.stringify(t)} already appears on line ${prev + 1}; ids would be ambiguous`,
        { where },
      );
    }
    seen.set(t, i);
  });
  return tokens;
}

/** Token → id map of a vocabulary array. */
export function vocabIndex(tokens: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (!m.has(t)) m.set(t, i);
  });
  return m;
}

/**
 * Splits `text` around occurrences of `specials` (longest match first), so
 * `"[CLS] hi"` keeps `[CLS]` whole, as Hugging Face's added-token splitter does
 * before normalisation. Returns segments with their start index in `text`.
 */
export function splitOnSpecials(
  text: string,
  specials: readonly string[],
): { text: string; start: number; special: boolean }[] {
  if (specials.length === 0 || !specials.some((s) => text.includes(s))) {
    return [{ text, start: 0, special: false }];
  }
  const sorted = [...specials].sort((a, b) => b.length - a.length);
  const out: { text: string; start: number; special: boolean }[] = [];
  let last = 0;
  let i = 0;
  while (i < text.length) {
    const hit = sorted.find((s) => text.startsWith(s, i));
    if (hit) {
      if (i > last) out.push({ text: text.slice(last, i), start: last, special: false });
      out.push({ text: hit, start: i, special: true });
      i += hit.length;
      last = i;
    } else {
      i++;
    }
  }
  if (last < text.length) out.push({ text: text.slice(last), start: last, special: false });
  return out;
}
