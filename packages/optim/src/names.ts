import { ValidationError } from '@kd/core';

/**
 * Selects parameters by name. A string is a glob (`*` any run of
 * characters, `?` one) that matches the whole name or any trailing part of it
 * that starts after a `.` or `/`: `bias` matches `encoder.layer.0.output.dense.bias`,
 * `LayerNorm.weight` matches every LayerNorm weight, `*.lora_B.*` every LoRA B
 * matrix. A RegExp is tested against the whole name; a function decides
 * itself; an array matches when any of its members does.
 */
export type NameMatcher =
  | string
  | RegExp
  | ((name: string) => boolean)
  | readonly (string | RegExp | ((name: string) => boolean))[];

function globToRegExp(glob: string): RegExp {
  if (glob.length === 0) throw new ValidationError('a name pattern must not be empty');
  let body = '';
  for (const ch of glob) {
    if (ch === '*') body += '.*';
    else if (ch === '?') body += '.';
    else body += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^(?:.*[./])?${body}$`);
}

/** Compiles a matcher into a predicate over parameter names. */
export function nameMatcher(matcher: NameMatcher): (name: string) => boolean {
  if (typeof matcher === 'function') return matcher;
  if (typeof matcher === 'string') {
    const re = globToRegExp(matcher);
    return (name) => re.test(name);
  }
  if (matcher instanceof RegExp) {
    // A global or sticky RegExp keeps `lastIndex` between tests; copy without those flags.
    const re = new RegExp(matcher.source, matcher.flags.replace(/[gy]/g, ''));
    return (name) => re.test(name);
  }
  if (Array.isArray(matcher)) {
    const parts = matcher.map((m) => nameMatcher(m));
    return (name) => parts.some((p) => p(name));
  }
  throw new ValidationError(
    `expected a name pattern (string, RegExp, function or an array of them), got ${typeof matcher}`,
  );
}
