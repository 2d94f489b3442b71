import { porterStem } from './porter.js';

/**
 * rouge_score's default tokenizer (`rouge_score/tokenize.py`): lowercase,
 * every run of characters outside [a-z0-9] becomes a space (so accented and
 * non-Latin letters are dropped, as in the reference), split, optionally
 * Porter-stem tokens longer than 3 characters, keep non-empty tokens.
 */

const NON_ALPHANUM = /[^a-z0-9]+/g;
const VALID = /^[a-z0-9]+$/;

/** Stems are cached: the stemmer is pure and text repeats words constantly. */
const stemCache = new Map<string, string>();
const STEM_CACHE_LIMIT = 1 << 17;

export function cachedStem(token: string): string {
  let s = stemCache.get(token);
  if (s === undefined) {
    s = porterStem(token);
    if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
    stemCache.set(token, s);
  }
  return s;
}

export function rougeTokenize(text: string, useStemmer = false): string[] {
  const cleaned = text.toLowerCase().replace(NON_ALPHANUM, ' ');
  const out: string[] = [];
  // After the substitution only [a-z0-9] and single spaces remain, so a plain
  // split on ' ' equals re.split(r"\s+") followed by dropping empty tokens.
  for (const raw of cleaned.split(' ')) {
    if (raw.length === 0) continue;
    const tok = useStemmer && raw.length > 3 ? cachedStem(raw) : raw;
    if (VALID.test(tok)) out.push(tok);
  }
  return out;
}
