/**
 * A strict RFC 8259 JSON parser for safetensors headers. `JSON.parse` is not
 * enough here: it silently keeps the last of duplicate keys (two readers could
 * then disagree about the same file), rounds integers above 2^53 (offsets and
 * shapes are u64), and lets `__proto__` keys reach plain objects. This parser
 * returns objects as `Map`s, numbers as their source text, rejects duplicate
 * keys and lone surrogates, and bounds nesting depth like serde_json (128),
 * so hostile headers cannot overflow the stack.
 */

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

/** A number kept as its source text, so u64 values survive exactly. */
export class JsonNumber {
  constructor(readonly text: string) {}

  /**
   * The value as an unsigned 64-bit integer (a number when it is at most
   * 2^53 - 1, else a bigint), or undefined if it is not one: only a plain
   * integer literal counts (serde rejects `4.0`, `1e2` and `-0` for usize).
   */
  toU64(): number | bigint | undefined {
    const t = this.text;
    const n = t.length;
    if (n === 0 || n > 20 || (n > 1 && t.charCodeAt(0) === 0x30)) return undefined;
    for (let i = 0; i < n; i++) {
      const c = t.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return undefined;
    }
    // Fifteen digits are below 2^53: exact as a number.
    if (n <= 15) return Number(t);
    const v = BigInt(t);
    if (v > 0xffffffffffffffffn) return undefined;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const MAX_DEPTH = 128;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function parseStrictJson(text: string): JsonValue {
  let i = 0;
  const n = text.length;

  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(message, at);
  };
  const describe = (at: number): string => {
    if (at >= n) return 'end of input';
    const cp = text.codePointAt(at)!;
    return cp >= 0x20 && cp < 0x7f
      ? `'${String.fromCodePoint(cp)}'`
      : `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  };
  const skipWs = () => {
    while (i < n && isWs(text.charCodeAt(i))) i++;
  };

  const parseString = (): string => {
    // Caller checked the opening quote.
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail(`control character ${describe(i)} in string`);
      if (c === 0x5c) {
        out += text.slice(start, i);
        i++;
        const e = text.charCodeAt(i);
        switch (e) {
          case 0x22:
            out += '"';
            break;
          case 0x5c:
            out += '\\';
            break;
          case 0x2f:
            out += '/';
            break;
          case 0x62:
            out += '\b';
            break;
          case 0x66:
            out += '\f';
            break;
          case 0x6e:
            out += '\n';
            break;
          case 0x72:
            out += '\r';
            break;
          case 0x74:
            out += '\t';
            break;
          case 0x75: {
            const hi = readHex4(i + 1);
            i += 4;
            if (hi >= 0xd800 && hi <= 0xdbff) {
              if (text.charCodeAt(i + 1) !== 0x5c || text.charCodeAt(i + 2) !== 0x75) {
                fail('lone leading surrogate in \\u escape');
              }
              const lo = readHex4(i + 3);
              if (lo < 0xdc00 || lo > 0xdfff) fail('lone leading surrogate in \\u escape');
              i += 6;
              out += String.fromCharCode(hi, lo);
            } else if (hi >= 0xdc00 && hi <= 0xdfff) {
              fail('lone trailing surrogate in \\u escape');
            } else {
              out += String.fromCharCode(hi);
            }
            break;
          }
          default:
            fail(`invalid escape \\${describe(i)}`);
        }
        i++;
        start = i;
        continue;
      }
      i++;
    }
  };

  const readHex4 = (at: number): number => {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = text.charCodeAt(at + k);
      const d =
        c >= 0x30 && c <= 0x39
          ? c - 0x30
          : c >= 0x61 && c <= 0x66
            ? c - 0x57
            : c >= 0x41 && c <= 0x46
              ? c - 0x37
              : -1;
      if (d < 0) fail('invalid \\u escape', at + k);
      v = v * 16 + d;
    }
    return v;
  };

  const digits = (): number => {
    const s = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      i++;
    }
    return i - s;
  };

  const parseNumber = (): JsonNumber => {
    const start = i;
    if (text.charCodeAt(i) === 0x2d) i++;
    const c = text.charCodeAt(i);
    if (c === 0x30) i++;
    else if (c >= 0x31 && c <= 0x39) digits();
    else fail(`invalid number: expected a digit, found ${describe(i)}`);
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (digits() === 0) fail('invalid number: expected a digit after the decimal point');
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const s = text.charCodeAt(i);
      if (s === 0x2b || s === 0x2d) i++;
      if (digits() === 0) fail('invalid number: expected a digit in the exponent');
    }
    return new JsonNumber(text.slice(start, i));
  };

  const literal = (word: string, value: JsonValue): JsonValue => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return value;
    }
    return fail(`unexpected ${describe(i)}`);
  };

  const parseValue = (depth: number): JsonValue => {
    skipWs();
    if (i >= n) fail('unexpected end of input: expected a value');
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      if (depth >= MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
      return c === 0x7b ? parseObject(depth + 1) : parseArray(depth + 1);
    }
    if (c === 0x22) return parseString();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return parseNumber();
    if (c === 0x74) return literal('true', true);
    if (c === 0x66) return literal('false', false);
    if (c === 0x6e) return literal('null', null);
    return fail(`unexpected ${describe(i)}: expected a value`);
  };

  const parseObject = (depth: number): JsonObject => {
    i++;
    const map: JsonObject = new Map();
    skipWs();
    if (text.charCodeAt(i) === 0x7d) {
      i++;
      return map;
    }
    for (;;) {
      skipWs();
      if (text.charCodeAt(i) !== 0x22)
        fail(`expected a key in double quotes, found ${describe(i)}`);
      const keyAt = i;
      const key = parseString();
      if (map.has(key)) fail(`duplicate key ${JSON.stringify(key)}`, keyAt);
      skipWs();
      if (text.charCodeAt(i) !== 0x3a) fail(`expected ':' after a key, found ${describe(i)}`);
      i++;
      map.set(key, parseValue(depth));
      skipWs();
      const c = text.charCodeAt(i);
      if (c === 0x2c) {
        i++;
        continue;
      }
      if (c === 0x7d) {
        i++;
        return map;
      }
      fail(`expected ',' or '}' in an object, found ${describe(i)}`);
    }
  };

  const parseArray = (depth: number): JsonValue[] => {
    i++;
    const out: JsonValue[] = [];
    skipWs();
    if (text.charCodeAt(i) === 0x5d) {
      i++;
      return out;
    }
    for (;;) {
      out.push(parseValue(depth));
      skipWs();
      const c = text.charCodeAt(i);
      if (c === 0x2c) {
        i++;
        continue;
      }
      if (c === 0x5d) {
        i++;
        return out;
      }
      fail(`expected ',' or ']' in an array, found ${describe(i)}`);
    }
  };

  const value = parseValue(0);
  skipWs();
  if (i < n) fail(`trailing characters after the JSON value: ${describe(i)}`);
  return value;
}
