import { Rng, ValidationError, zodIssues } from '@kd/core';
import type { z } from 'zod';

/** Validates a model config (camelCase keys), filling Hugging Face's defaults. */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: string,
): z.output<S> {
  const result = schema.safeParse(input ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const issues = zodIssues(result.error, where);
  throw new ValidationError(
    `invalid ${where}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    issues,
  );
}

export function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Reads a Hugging Face `config.json` object into camelCase config input:
 * keys the schema knows are converted (`hidden_size` → `hiddenSize`), the
 * rest are kept verbatim in `extra` so saving writes them back.
 */
export function fromHFConfig(
  json: Record<string, unknown>,
  known: readonly string[],
): Record<string, unknown> & { extra: Record<string, unknown> } {
  const out: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  const knownSet = new Set(known);
  for (const [k, v] of Object.entries(json)) {
    const camel = snakeToCamel(k);
    if (knownSet.has(camel)) out[camel] = v;
    else extra[k] = v;
  }
  return { ...out, extra };
}

/** camelCase config → Hugging Face `config.json` keys, `extra` merged back. */
export function toHFConfig(
  config: Record<string, unknown>,
  head: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...head };
  const { extra, ...rest } = config as { extra?: Record<string, unknown> };
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined) continue;
    out[camelToSnake(k)] = v;
  }
  for (const [k, v] of Object.entries(extra ?? {})) if (!(k in out)) out[k] = v;
  return out;
}

/** How a model is built: a seed (or an Rng) for initial weights and dropout streams. */
export interface ModelOptions {
  /** Default 0. */
  seed?: number;
  /** Takes precedence over `seed`; consumed for the initial weights. */
  rng?: Rng;
}

export function modelRng(options: ModelOptions | undefined): Rng {
  return options?.rng ?? new Rng(options?.seed ?? 0);
}

/** Label names for classification heads: config `id2label`, or `LABEL_i`. */
export function labelCount(config: {
  numLabels?: number;
  id2label?: Record<string, string>;
}): number {
  if (config.id2label && Object.keys(config.id2label).length > 0) {
    return Object.keys(config.id2label).length;
  }
  return config.numLabels ?? 2;
}

export function defaultId2Label(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), `LABEL_${i}`]));
}
