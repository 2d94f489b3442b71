import type { z } from 'zod';
import { describeValue } from './errors.js';

export interface Issue {
  path: string;
  message: string;
}

/** Dotted path with array indices in brackets: `arms[2].loss.weight`. */
export function formatPath(path: readonly PropertyKey[], prefix?: string): string {
  let out = prefix ?? '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

/**
 * zod issues as `{ path, message }` with messages that say what was expected
 * and what was found (`expected number > 0, got -1`). Parse with
 * `{ reportInput: true }` so the offending value is available.
 */
export function zodIssues(error: z.ZodError, prefix?: string): Issue[] {
  const out: Issue[] = [];
  for (const issue of error.issues) {
    const raw = issue as z.core.$ZodIssue & { input?: unknown; errors?: z.core.$ZodIssue[][] };
    let message = raw.message.replace(/^Invalid input: /, '');
    if (raw.code === 'unrecognized_keys') {
      message = `unknown option${raw.keys.length > 1 ? 's' : ''} ${raw.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    } else if (raw.code === 'too_small' || raw.code === 'too_big') {
      const op =
        raw.code === 'too_small' ? (raw.inclusive ? '>=' : '>') : raw.inclusive ? '<=' : '<';
      const bound = String(raw.code === 'too_small' ? raw.minimum : raw.maximum);
      const unit =
        raw.origin === 'array' || raw.origin === 'set'
          ? ' items'
          : raw.origin === 'string'
            ? ' characters'
            : '';
      message = unit
        ? `expected ${raw.origin} with ${op} ${bound}${unit}`
        : `expected ${raw.origin} ${op} ${bound}`;
    } else {
      message = message.replace(/, received \w+$/, '');
    }
    const received = (raw as { received?: unknown }).received;
    if (typeof received === 'string' && received === 'NaN') message += ', got NaN';
    else if ('input' in raw && raw.code !== 'unrecognized_keys' && raw.code !== 'custom') {
      message += `, got ${describeValue(raw.input)}`;
    }
    out.push({ path: formatPath(raw.path, prefix), message });
  }
  return out;
}
