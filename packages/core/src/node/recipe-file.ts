import { readFile } from 'node:fs/promises';
import { FormatError } from '../errors.js';
import {
  parseRecipeText,
  type Recipe,
  type ValidateRecipeOptions,
  validateRecipe,
} from '../recipe.js';

/** Reads and validates a recipe file (JSON or YAML); errors name the file. */
export async function loadRecipeFile(
  path: string,
  options: Omit<ValidateRecipeOptions, 'where'> = {},
): Promise<Recipe> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FormatError(code === 'ENOENT' ? 'no such file' : `cannot read: ${String(error)}`, {
      where: path,
      cause: error,
    });
  }
  return validateRecipe(parseRecipeText(text, path), { ...options, where: path });
}
