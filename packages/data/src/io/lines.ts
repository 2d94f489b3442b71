import { FormatError } from '@kd/core';
import { jsonErrorOffset } from './json-error.js';

/** One line of a text file: its content (no `\n`/`\r\n`) and 1-based number. */
export interface Line {
  text: string;
  lineNo: number;
}

/**
 * A malformed-input error that names the file and line, says what was
 * expected and shows (a prefix of) what was found.
 */
export function lineError(
  file: string,
  lineNo: number,
  expected: string,
  found?: string,
): FormatError {
  const got =
    found === undefined
      ? ''
      : `, got ${JSON.stringify(found.length > 80 ? `${found.slice(0, 80)}…` : found)}`;
  return new FormatError(`expected ${expected}${got}`, { where: `${file}:${lineNo}` });
}

/** Splits text into lines (LF or CRLF; a leading BOM is dropped; no empty line for a final newline). */
export function splitLines(text: string): Line[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const parts = text.split('\n');
  if (parts.at(-1) === '') parts.pop();
  return parts.map((t, i) => ({ text: t.endsWith('\r') ? t.slice(0, -1) : t, lineNo: i + 1 }));
}

/**
 * Lines from a stream of chunks (bytes or strings), for files too large to
 * hold as one string. UTF-8 sequences split across chunks are decoded
 * correctly; a leading BOM is dropped.
 */
export async function* streamLines(
  chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  let lineNo = 0;
  let first = true;
  for await (const chunk of chunks) {
    let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    carry += text;
    let nl = carry.indexOf('\n');
    let start = 0;
    while (nl >= 0) {
      const line = carry.slice(start, nl);
      yield { text: line.endsWith('\r') ? line.slice(0, -1) : line, lineNo: ++lineNo };
      start = nl + 1;
      nl = carry.indexOf('\n', start);
    }
    carry = carry.slice(start);
  }
  carry += decoder.decode();
  if (carry.length > 0)
    yield { text: carry.endsWith('\r') ? carry.slice(0, -1) : carry, lineNo: ++lineNo };
}

/** Line and column (1-based) of a character index, for JSON parse errors. */
export function lineColumn(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < index && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: index - last };
}

/** JSON.parse with a FormatError naming the file, line and column on failure. */
export function parseJson(text: string, file: string, expected: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (cause) {
    const at = jsonErrorOffset(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    const pos = at >= 0 ? lineColumn(text, at) : undefined;
    const where = pos ? `${file}:${pos.line}:${pos.column}` : file;
    throw new FormatError(`expected ${expected} as valid JSON: ${(cause as Error).message}`, {
      where,
      cause,
    });
  }
}
