import { z } from 'zod';
import { registry as globalRegistry, type Kind, type Registry } from './registry.js';
import { didYouMean } from './suggest.js';

/** A validated reference to a registry entry with its parsed options. */
export interface EntryRef {
  id: string;
  options: unknown;
}

/**
 * Schema for a recipe field that names a registry entry: either `"adamw"`
 * or `{ id: "adamw", options: { lr: 1e-3 } }`. Validates the id against the
 * registry and the options against that entry's schema, so an error points
 * at `optimizer.options.lr`, not at the task.
 */
export function entryRef(kind: Kind, reg: Registry = globalRegistry) {
  return z
    .union([
      z.string(),
      z.strictObject({ id: z.string(), options: z.record(z.string(), z.unknown()).optional() }),
    ])
    .transform((value, ctx): EntryRef => {
      const id = typeof value === 'string' ? value : value.id;
      const raw = typeof value === 'string' ? {} : (value.options ?? {});
      if (!reg.has(kind, id)) {
        const ids = reg.list(kind).map((e) => e.id);
        ctx.addIssue({
          code: 'custom',
          message: `no ${kind} "${id}" is registered.${didYouMean(id, ids)} Registered: ${ids.join(', ') || '(none)'}`,
          path: typeof value === 'string' ? [] : ['id'],
        });
        return z.NEVER;
      }
      const parsed = reg.get(kind, id).options.safeParse(raw, { reportInput: true });
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          ctx.addIssue({ ...issue, path: ['options', ...issue.path] } as z.core.$ZodRawIssue);
        }
        return z.NEVER;
      }
      return { id, options: parsed.data };
    });
}
