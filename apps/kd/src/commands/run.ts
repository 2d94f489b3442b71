import type { BackendName, Profile } from '@kd/core';
import { type Command, Option } from 'commander';
import { withInterrupt } from '../interrupt.js';
import { printJson, renderResultTable } from '../output.js';
import { createProgress } from '../progress.js';
import { resolveRecipe } from '../recipes.js';
import { prepareRecipe, runRecipe } from '../runner.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('validate and run a recipe (a file, or a bundled recipe name from `kd recipes`)')
    .argument('<recipe>', 'recipe file (.yaml, .yml, .json) or bundled recipe name')
    .addOption(
      new Option('--profile <profile>', 'profile overrides to apply')
        .choices(['quick', 'full'])
        .default('quick'),
    )
    .option('--seed <n>', 'override the recipe seed', (v) => Number.parseInt(v, 10))
    .option(
      '--out <dir>',
      'output directory (results.json, checkpoints; rerun to resume)',
      'kd-runs/latest',
    )
    .addOption(
      new Option('--backend <name>', 'tensor backend')
        .choices(['auto', 'wasm', 'cpu', 'webgpu', 'webgl'])
        .default('wasm'),
    )
    .option('--threads <n>', 'threads for kernels that use them', (v) => Number.parseInt(v, 10))
    .option('--plugin <module...>', 'plugin modules to load before validating')
    .option('--validate-only', 'check the recipe and stop')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        recipeArg: string,
        opts: {
          profile: Profile;
          seed?: number;
          out: string;
          backend: BackendName;
          threads?: number;
          plugin?: string[];
          validateOnly?: boolean;
          json?: boolean;
        },
      ) => {
        const path = await resolveRecipe(recipeArg);
        const recipe = await prepareRecipe(path, {
          profile: opts.profile,
          seed: opts.seed,
          plugins: opts.plugin,
        });
        if (opts.validateOnly) {
          if (opts.json) printJson({ valid: true, task: recipe.task, options: recipe.options });
          else process.stderr.write(`${path}: valid (task ${recipe.task})\n`);
          return;
        }
        const progress = createProgress(process.stderr);
        const result = await withInterrupt(progress, (signal) =>
          runRecipe(path, recipe, { ...opts, progress, signal }),
        );
        if (opts.json) return printJson(result);
        for (const table of result.tables) process.stdout.write(`\n${renderResultTable(table)}\n`);
        for (const note of result.notes ?? []) process.stdout.write(`note: ${note}\n`);
        process.stdout.write(`\nresults: ${opts.out}/results.json\n`);
      },
    );
}
