// Recipes are validated against the task's schema, and through `entryRef`
// against the schemas of the entries they name, before anything runs.
import {
  defineEntry,
  definePlugin,
  entryRef,
  parseRecipeText,
  Registry,
  type Task,
  ValidationError,
  validateRecipe,
} from '@kd/core';
import { plugin as optim } from '@kd/optim';
import { z } from 'zod';

const registry = Registry.isolated();
registry.register(optim); // optimizer:* and schedule:* entries

// A task whose `optimizer` option names a registry entry.
registry.register(
  definePlugin({
    meta: { name: 'my-tasks', version: '1.0.0', apiVersion: '1.0.0' },
    provides: [
      defineEntry({
        kind: 'task',
        id: 'fit-line',
        description: 'fits y = ax + b',
        options: z.strictObject({
          steps: z.number().int().positive(),
          optimizer: entryRef('optimizer', registry),
        }),
        create: (options): Task => ({
          run: async () => ({
            task: 'fit-line',
            title: 'fit',
            summary: { steps: options.steps },
            tables: [],
            plots: [],
          }),
        }),
      }),
    ],
  }),
);

const text = `
task: fit-line
seed: 7
steps: 500
optimizer: { id: adamw, options: { lr: 0.001, weightDecay: 0.01 } }
profiles:
  quick: { steps: 20 }
`;
const recipe = validateRecipe(parseRecipeText(text, 'fit-line.yaml'), {
  registry,
  profile: 'quick',
  where: 'fit-line.yaml',
});
export const options = recipe.options as {
  steps: number;
  optimizer: { id: string; options: Record<string, unknown> };
};
console.log(
  recipe.task,
  recipe.seed,
  options.steps,
  options.optimizer.id,
  options.optimizer.options.betas,
);
// fit-line 7 20 adamw [ 0.9, 0.999 ]   (profile applied, defaults filled in)

export let message = '';
try {
  validateRecipe(parseRecipeText(text.replace('lr: 0.001', 'lr: fast'), 'fit-line.yaml'), {
    registry,
    where: 'fit-line.yaml',
  });
} catch (error) {
  if (!(error instanceof ValidationError)) throw error;
  message = error.message;
}
console.log(message);
// invalid recipe for task "fit-line":
//   optimizer.options.lr: expected number, received string
