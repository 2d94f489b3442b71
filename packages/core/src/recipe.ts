import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { FormatError, ValidationError } from './errors.js';
import { registry as globalRegistry, type Registry } from './registry.js';
import type { Profile } from './task.js';
import { zodIssues } from './zod-issues.js';

/**
 * A recipe names a `task` entry and gives its options at the top level:
 *
 * ```yaml
 * task: optim-compare
 * seed: 0
 * optimizer: { id: adamw, options: { lr: 0.001 } }
 * profiles:
 *   quick: { steps: 50 }
 * ```
 *
 * `task`, `seed`, `name`, `description`, `plugins` and `profiles` are the
 * recipe's own keys; everything else is validated by the task's schema.
 */
const RESERVED = ['task', 'seed', 'name', 'description', 'plugins', 'profiles'] as const;

const recipeHeader = z.object({
  task: z.string().min(1),
  seed: z.number().int().nonnegative().default(0),
  name: z.string().optional(),
  description: z.string().optional(),
  /** Modules to import before validation (third-party plugins). */
  plugins: z.array(z.string()).default([]),
  /** Per-profile overrides, deep-merged over the task options. */
  profiles: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
});

export interface Recipe {
  task: string;
  seed: number;
  name?: string;
  description?: string;
  plugins: string[];
  profile: Profile;
  /** Task options after profile overrides and schema validation (defaults filled). */
  options: unknown;
  /** The recipe as written, for provenance. */
  source: Record<string, unknown>;
}

/** Parses recipe text; `.json` is strict JSON, anything else is YAML (a superset). */
export function parseRecipeText(text: string, where = 'recipe'): Record<string, unknown> {
  let data: unknown;
  try {
    data = where.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const detail =
      error instanceof YAMLParseError && error.linePos
        ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`
        : error instanceof Error
          ? error.message
          : String(error);
    throw new FormatError(`not valid ${where.endsWith('.json') ? 'JSON' : 'YAML'}: ${detail}`, {
      where,
      cause: error,
    });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new FormatError('a recipe is a mapping with at least a "task" key', { where });
  }
  return data as Record<string, unknown>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge for profile overrides: objects merge, everything else replaces. */
export function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] =
      isPlainObject(v) && isPlainObject(out[k])
        ? deepMerge(out[k] as Record<string, unknown>, v)
        : v;
  }
  return out;
}

export interface ValidateRecipeOptions {
  profile?: Profile;
  /** Overrides `seed` from the recipe (the CLI's `--seed`). */
  seed?: number;
  registry?: Registry;
  where?: string;
}

/**
 * Validates a parsed recipe against the registry before anything runs:
 * the task must exist and its options must pass the task's schema. Every
 * problem is reported with its path (`optimizer.options.lr: expected number
 * > 0, got "fast"`).
 */
export function validateRecipe(
  data: Record<string, unknown>,
  options: ValidateRecipeOptions = {},
): Recipe {
  const reg = options.registry ?? globalRegistry;
  const where = options.where ?? 'recipe';
  const header = recipeHeader.safeParse(
    Object.fromEntries(RESERVED.filter((k) => k in data).map((k) => [k, data[k]])),
    { reportInput: true },
  );
  if (!header.success) {
    const issues = zodIssues(header.error);
    throw new ValidationError(
      `invalid recipe:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
      issues,
      { where },
    );
  }
  const profile = options.profile ?? 'quick';
  const taskOptions = Object.fromEntries(
    Object.entries(data).filter(([k]) => !(RESERVED as readonly string[]).includes(k)),
  );
  const merged = deepMerge(taskOptions, header.data.profiles[profile] ?? {});
  let parsed: unknown;
  try {
    parsed = reg.parseOptions('task', header.data.task, merged);
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new ValidationError(
        `invalid recipe for task "${header.data.task}":\n${error.issues
          .map((i) => `  ${i.path}: ${i.message}`)
          .join('\n')}`,
        error.issues,
        { where },
      );
    }
    // A missing task: say where, keep the "did you mean" and the list of ids.
    if (error instanceof Error && 'available' in error) {
      throw new ValidationError(
        `task: ${error.message}`,
        [{ path: 'task', message: error.message }],
        {
          where,
          cause: error,
        },
      );
    }
    throw error;
  }
  return {
    task: header.data.task,
    seed: options.seed ?? header.data.seed,
    name: header.data.name,
    description: header.data.description,
    plugins: header.data.plugins,
    profile,
    options: parsed,
    source: data,
  };
}
