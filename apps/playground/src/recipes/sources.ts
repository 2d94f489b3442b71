// The recipe files themselves, bundled into the page as text.
import planetoid from '@kd-recipes/graph/planetoid.yaml?raw';
import tinystories from '@kd-recipes/lora/tinystories.yaml?raw';
import kdGenerative from '@kd-recipes/losses/kd-generative.yaml?raw';
import type { PlaygroundRecipe } from './catalogue.js';

const TEXTS: Record<PlaygroundRecipe['file'], string> = {
  'graph/planetoid.yaml': planetoid,
  'lora/tinystories.yaml': tinystories,
  'losses/kd-generative.yaml': kdGenerative,
};

export function recipeText(recipe: PlaygroundRecipe): string {
  const text = TEXTS[recipe.file];
  if (text === undefined) throw new Error(`no bundled text for ${recipe.file}`);
  return text;
}
