import { ValidationError, zodIssues } from '@kd/core';
import type { z } from 'zod';
import type { NameMatcher } from './names.js';
import type { ScalarOrSchedule } from './types.js';

/**
 * The options an optimiser function takes in code: its JSON options, except
 * that `lr` may be a schedule and `noDecay` any name matcher.
 */
export type CodeOptions<S extends z.ZodType> = Partial<Omit<z.input<S>, 'lr' | 'noDecay'>> & {
  lr?: ScalarOrSchedule;
  noDecay?: NameMatcher;
};

export type Resolved<S extends z.ZodType> = Omit<z.output<S>, 'lr' | 'noDecay'> & {
  lr: ScalarOrSchedule;
  noDecay?: NameMatcher;
};

/** Validates and defaults options against an optimiser's schema (one source for code and registry). */
export function resolveOptions<S extends z.ZodType>(
  id: string,
  schema: S,
  options: CodeOptions<S> = {} as CodeOptions<S>,
): Resolved<S> {
  const { lr, noDecay, ...rest } = options as Record<string, unknown>;
  const json: Record<string, unknown> = { ...rest };
  if (typeof lr !== 'function' && lr !== undefined) json.lr = lr;
  const jsonPatterns = Array.isArray(noDecay) && noDecay.every((p) => typeof p === 'string');
  if (noDecay !== undefined && jsonPatterns) json.noDecay = noDecay;
  const parsed = schema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new ValidationError(
      `invalid options for optimizer:${id}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
      issues,
    );
  }
  const out = { ...(parsed.data as Record<string, unknown>) };
  if (typeof lr === 'function') out.lr = lr;
  if (noDecay !== undefined && !jsonPatterns) out.noDecay = noDecay;
  return out as Resolved<S>;
}

/** Validates and defaults `value` against `schema`, with errors that name `label` (`schedule:one-cycle`). */
export function parseWith<S extends z.ZodType>(
  label: string,
  schema: S,
  value: unknown,
): z.output<S> {
  const parsed = schema.safeParse(value ?? {}, { reportInput: true });
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new ValidationError(
      `invalid options for ${label}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
      issues,
    );
  }
  return parsed.data;
}
