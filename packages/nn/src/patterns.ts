import { ValidationError } from '@kd/core';

/**
 * Selects parameters or modules by dotted name. A string is a glob: `*`
 * matches within one dotted segment, `**` across segments, `?` one character
 * (`encoder.layer.*.attention.**`). A glob without wildcards also selects
 * everything below the module it names (`bert.embeddings`). A RegExp is tested
 * against the whole dotted name as written (anchor it yourself).
 */
export type NamePattern = string | RegExp;

const cache = new Map<string, RegExp>();

function globToRegExp(glob: string, descendants: boolean): RegExp {
  const key = `${descendants ? 'd' : 'x'}${glob}`;
  let cached = cache.get(key);
  if (cached) return cached;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `a.**.b` also matches `a.b`, as in gitignore globs.
        if (glob[i + 2] === '.') {
          src += '(?:.*\\.)?';
          i += 2;
        } else {
          src += '.*';
          i += 1;
        }
      } else {
        src += '[^.]*';
      }
    } else if (c === '?') {
      src += '[^.]';
    } else {
      src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  // A plain module path selects itself and everything under it.
  cached = new RegExp(descendants ? `^${src}(?:\\..*)?$` : `^${src}$`);
  cache.set(key, cached);
  return cached;
}

/**
 * True when `name` is selected by `pattern` (see {@link NamePattern}). With
 * `exact`, a glob must match the whole name (no "everything below" rule).
 */
export function matchesName(name: string, pattern: NamePattern, exact = false): boolean {
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0;
    return pattern.test(name);
  }
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new ValidationError(
      `a name pattern is a non-empty glob string or a RegExp, got ${JSON.stringify(pattern)}`,
    );
  }
  return globToRegExp(pattern, !exact).test(name);
}

/** True when any pattern selects `name`. */
export function matchesAny(name: string, patterns: readonly NamePattern[], exact = false): boolean {
  return patterns.some((p) => matchesName(name, p, exact));
}

export function asPatternList(patterns: NamePattern | readonly NamePattern[]): NamePattern[] {
  return Array.isArray(patterns) ? [...patterns] : [patterns as NamePattern];
}
