// Turning a bundled recipe (YAML text) plus the page's overrides into a validated
// recipe. Pure and DOM-free: the Web Worker runs it, and so do the tests in Node
// to train the very same options there for comparison.
import {
  deepMerge,
  parseRecipeText,
  type Recipe,
  type Registry,
  ValidationError,
  validateRecipe,
} from '@kd/core';

export interface RecipeSpec {
  /** The recipe file's text (YAML or JSON). */
  text: string;
  /** Its name for error messages, e.g. `graph/planetoid.yaml`. */
  where: string;
  /**
   * Deep-merged over the quick profile (arrays replace), exactly like a
   * profile: `{ models: [{ model: gcn, lr: 0.01, epochs: 10 }] }`.
   */
  overrides?: Record<string, unknown>;
  /** Replaces the recipe's seed. */
  seed?: number;
}

/**
 * Parses the recipe, folds `overrides` into its quick profile and validates
 * the result against the task's schema in `registry`: every problem is a
 * `ValidationError` naming its path, before anything is trained.
 */
export function prepareRecipe(spec: RecipeSpec, registry: Registry): Recipe {
  const data = parseRecipeText(spec.text, spec.where);
  const profiles = (data.profiles ?? {}) as Record<string, Record<string, unknown>>;
  if (spec.overrides !== undefined) {
    if (
      typeof spec.overrides !== 'object' ||
      spec.overrides === null ||
      Array.isArray(spec.overrides)
    ) {
      throw new ValidationError('overrides must be a mapping of recipe options', [], {
        where: `${spec.where} (overrides)`,
      });
    }
    data.profiles = { ...profiles, quick: deepMerge(profiles.quick ?? {}, spec.overrides) };
  }
  return validateRecipe(data, {
    profile: 'quick',
    seed: spec.seed,
    registry,
    where: spec.where,
  });
}

/** Parses the overrides box (YAML or JSON; empty means none). */
export function parseOverrides(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return undefined;
  const data = parseRecipeText(text, 'overrides');
  return data;
}
