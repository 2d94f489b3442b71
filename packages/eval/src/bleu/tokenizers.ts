import { pySplit } from '../text/python.js';

/**
 * sacreBLEU's tokenizers, ported pattern for pattern from sacrebleu 2.x
 * (`tokenizers/tokenizer_13a.py`, `tokenizer_re.py`, `tokenizer_intl.py`,
 * `tokenizer_char.py`). Each returns the tokenized line with single spaces,
 * as sacreBLEU does, and the caller splits it on Python whitespace.
 */
export type BleuTokenizer = '13a' | 'intl' | 'char' | 'none';

export const BLEU_TOKENIZERS: readonly BleuTokenizer[] = ['13a', 'intl', 'char', 'none'];

// mteval-v13a's four substitutions, in order (TokenizerRegexp).
// 1: the characters {|}~ [\]^_` space!"#$%& ()*+ :;<=>?@ / become separate tokens.
const RE_PUNCT = /([{-~\x5B-\x60 -&(-+:-@/])/gu;
// 2 and 3: '.' and ',' are split off unless they sit between digits.
const RE_PERIOD_COMMA_AFTER = /([^0-9])([.,])/gu;
const RE_PERIOD_COMMA_BEFORE = /([.,])([^0-9])/gu;
// 4: a dash after a digit.
const RE_DASH = /([0-9])(-)/gu;

function joinSplit(line: string): string {
  return pySplit(line).join(' ');
}

/** The tokenizer that `mteval-v13a.pl` uses (sacreBLEU's default). */
export function tokenize13a(line: string): string {
  return joinSplit(pre13a(line));
}

/** 13a up to the final whitespace split. */
function pre13a(line: string): string {
  if (line.includes('<skipped>')) line = line.replaceAll('<skipped>', '');
  if (line.includes('\n')) line = line.replaceAll('-\n', '').replaceAll('\n', ' ');
  if (line.includes('&')) {
    line = line
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  }
  line = ` ${line} `;
  line = line.replace(RE_PUNCT, ' $1 ');
  line = line.replace(RE_PERIOD_COMMA_AFTER, '$1 $2 ');
  line = line.replace(RE_PERIOD_COMMA_BEFORE, ' $1 $2');
  return line.replace(RE_DASH, '$1 $2 ');
}

// mteval-v14's international tokenization: punctuation not between digits,
// and every symbol, become tokens (Unicode categories P, N and S).
const RE_INTL_1 = /(\P{N})(\p{P})/gu;
const RE_INTL_2 = /(\p{P})(\P{N})/gu;
const RE_INTL_3 = /(\p{S})/gu;

/** sacreBLEU's `intl` tokenizer (mteval-v14 `--international-tokenization`). */
export function tokenizeIntl(line: string): string {
  return joinSplit(preIntl(line));
}

function preIntl(line: string): string {
  line = line.replace(RE_INTL_1, '$1 $2 ');
  line = line.replace(RE_INTL_2, ' $1 $2');
  return line.replace(RE_INTL_3, ' $1 ');
}

/** Every code point is a token (sacreBLEU `char`; whitespace becomes separators). */
export function tokenizeChar(line: string): string {
  return Array.from(line).join(' ');
}

/** The tokenizer as a function from a line to its tokenized form (single spaces). */
export function bleuTokenizer(name: BleuTokenizer): (line: string) => string {
  switch (name) {
    case '13a':
      return tokenize13a;
    case 'intl':
      return tokenizeIntl;
    case 'char':
      return tokenizeChar;
    case 'none':
      return (line) => line;
  }
}

/** The tokenizer as a function from a line to its tokens (what BLEU counts). */
export function bleuTokens(name: BleuTokenizer): (line: string) => string[] {
  switch (name) {
    case '13a':
      return (line) => pySplit(pre13a(line));
    case 'intl':
      return (line) => pySplit(preIntl(line));
    case 'char':
      return (line) => pySplit(tokenizeChar(line));
    case 'none':
      return pySplit;
  }
}
