import type { Command } from 'commander';
import { printJson, renderTable } from '../output.js';
import { bundledRecipes } from '../recipes.js';

export function registerRecipes(program: Command): void {
  program
    .command('recipes')
    .description('list the bundled recipes (run one with `kd run <name>`)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const recipes = await bundledRecipes();
      if (opts.json) return printJson(recipes);
      process.stdout.write(
        `${renderTable(
          ['name', 'task', 'description'],
          recipes.map((r) => [r.name, r.task, r.description ?? '']),
        )}\n`,
      );
    });
}
