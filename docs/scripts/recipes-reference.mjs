// The recipes reference: every registry entry the `kd` command can use, one
// page per kind, each entry with its id, package, description and an option
// table generated from its zod schema (zod 4's z.toJSONSchema).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KINDS, parseRecipeText, Registry } from '@kd/core';
import { z } from 'zod';
import { optionTable, prose } from './schema-table.mjs';
import { docsDir, publishedPackages, repoDir } from './workspace.mjs';

const require = createRequire(join(docsDir, 'package.json'));

/** What each kind is for and how a recipe or program names one. */
export const KIND_INTROS = {
  task: "A **task** is what a recipe runs: the recipe's `task:` key names one, and every other top-level key of the recipe (after `profiles` are merged) is validated against the task's options below.",
  loss: "A **loss** is a differentiable objective (distillation terms, cross-entropy). Distillation recipes list them with weights; in code, `registry.create('loss', id, options)` returns the loss.",
  adapter:
    'An **adapter** is a parameter-efficient fine-tuning method wrapped around a frozen model (LoRA and its variants).',
  optimizer:
    "An **optimizer** is named in a recipe as `optimizer: { id, options }` (or just the id). Option names are torch's, in camelCase; every optimizer also takes the shared options `schedule`, `clipGradNorm`, `clipGradValue`, `accumulateSteps`, `emaDecay`, `nonFinite` and `groups`.",
  schedule:
    "A **schedule** shapes an optimizer's learning rate: `schedule: { id, options }` inside the optimizer's options. Registry schedules take the optimizer's `lr` as their base value.",
  transform:
    'A **transform** is one optax-style gradient transformation that optimizers are chained from.',
  layer: 'A **layer** is a building block registered for recipes that assemble models.',
  model:
    'A **model** is an architecture whose options are its Hugging Face config fields (in camelCase) plus `seed`.',
  metric:
    "A **metric** is computed from `{ predictions, references }` (Hugging Face `evaluate` names); `kd metric <id> --options '{...}'` and recipes use the options below.",
  dataset:
    'A **dataset** entry creates a handle whose `load(split)` reads the bundled sample, or the full dataset from the folder given as `path`.',
  tokenizer:
    'A **tokenizer** entry creates `{ id, load() }`; `load()` resolves to the tokenizer, from the bundled vocabulary files unless paths are given.',
  kernel:
    'A **kernel** provider installs faster kernels into a tfjs backend when `initBackend` starts it.',
};

/** One line per kind for the index table. */
const KIND_SUMMARIES = {
  task: 'what a recipe runs (`task:`)',
  loss: 'distillation and training objectives',
  adapter: 'parameter-efficient fine-tuning methods',
  optimizer: 'optimisers, torch option names',
  schedule: 'learning-rate schedules',
  transform: 'gradient transformations',
  layer: 'model building blocks',
  model: 'architectures, Hugging Face config fields',
  metric: 'evaluation metrics, HF `evaluate` names',
  dataset: 'dataset readers, bundled samples',
  tokenizer: 'tokenizers',
  kernel: 'backend kernel providers',
};

/** Plugins the CLI registers, plus those the bundled recipes load (their task entries). */
export async function cliRegistry() {
  const { builtinPlugins, bundledRecipes } = await import('@kd/cli');
  const registry = Registry.isolated();
  for (const plugin of builtinPlugins) registry.register(plugin);
  const recipes = await bundledRecipes();
  for (const recipe of recipes) {
    const data = parseRecipeText(await readFile(recipe.path, 'utf8'), recipe.path);
    const plugins = Array.isArray(data.plugins) ? data.plugins.map(String) : [];
    for (const spec of plugins) registry.register(await importPlugin(spec, recipe.path));
  }
  // Tasks the packages export from `<pkg>/tasks` that neither the CLI nor a
  // recipe registers are documented too, and reported (kd run cannot reach them).
  const unreachable = recipes.filter((r) => !registry.has('task', r.task));
  const taskModules = publishedPackages()
    .flatMap((p) => p.modules)
    .filter((m) => m.specifier.endsWith('/tasks'));
  for (const m of taskModules) {
    const mod = await import(pathToFileURL(require.resolve(m.specifier)).href);
    const plugins = Object.values(mod).filter((v) => Array.isArray(v?.provides) && v.meta);
    for (const plugin of new Set(plugins)) registry.register(plugin);
  }
  return { registry, recipes, builtinPlugins, unreachable };
}

/**
 * A recipe's `plugins:` module, resolved as the package that ships the recipe
 * resolves it (the CLI imports it the same way when it runs the recipe).
 */
export async function importPlugin(spec, recipePath) {
  let resolved;
  for (const from of [recipePath, join(docsDir, 'package.json')]) {
    try {
      resolved = createRequire(from).resolve(spec);
      break;
    } catch {}
  }
  if (!resolved) throw new Error(`${recipePath}: cannot resolve its plugin "${spec}"`);
  const mod = await import(pathToFileURL(resolved).href);
  const plugin = mod.default?.provides ? mod.default : mod.plugin;
  if (!plugin?.provides) throw new Error(`${recipePath}: "${spec}" exports no plugin`);
  return plugin;
}

function jsonSchema(entry) {
  return z.toJSONSchema(entry.options, { io: 'input', unrepresentable: 'any' });
}

function entrySection(entry) {
  const schema = jsonSchema(entry);
  const { $schema, ...shown } = schema;
  return [
    `## \`${entry.id}\``,
    '',
    `\`${entry.kind}:${entry.id}\` · from \`${entry.plugin.name}\` ${entry.plugin.version}`,
    '',
    prose(entry.description),
    '',
    optionTable(schema),
    '',
    '<details><summary>JSON Schema</summary>',
    '',
    '```json',
    JSON.stringify(shown, null, 2),
    '```',
    '',
    '</details>',
    '',
  ].join('\n');
}

const GENERATED =
  '<!-- Generated by docs/scripts/recipes-reference.mjs from the registry; do not edit. -->';

export async function generateRecipesReference({
  out = join(docsDir, 'reference', 'recipes'),
} = {}) {
  const { registry, recipes, builtinPlugins, unreachable } = await cliRegistry();
  for (const r of unreachable) {
    console.warn(
      `warning: bundled recipe ${r.name} names task "${r.task}", which the kd command does not register (kd run ${r.name} fails)`,
    );
  }
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const entries = registry.list();
  const kinds = KINDS.filter((k) => entries.some((e) => e.kind === k));

  for (const kind of kinds) {
    const list = entries.filter((e) => e.kind === kind).sort((a, b) => a.id.localeCompare(b.id));
    const page = [
      '---',
      `title: ${kind} entries`,
      'outline: [2, 2]',
      '---',
      GENERATED,
      '',
      `# \`${kind}\` entries`,
      '',
      KIND_INTROS[kind] ?? '',
      '',
      `${list.length} ${kind} entr${list.length === 1 ? 'y' : 'ies'}: ${list.map((e) => `[\`${e.id}\`](#${e.id.toLowerCase().replace(/[^a-z0-9]+/g, '-')})`).join(', ')}.`,
      '',
      '::: v-pre',
      '',
      ...list.map(entrySection),
      ':::',
      '',
    ];
    await writeFile(join(out, `${kind}.md`), page.join('\n'));
  }

  const taskIds = new Set(entries.filter((e) => e.kind === 'task').map((e) => e.id));
  const index = [
    '---',
    'title: Recipes reference',
    '---',
    GENERATED,
    '',
    '# Recipes reference',
    '',
    'Everything a recipe can name, generated from the registry at build time: the entries of the',
    `plugins the \`kd\` command registers (${builtinPlugins.map((p) => `\`${p.meta.name}\``).join(', ')})`,
    "and of the plugins its bundled recipes load. Each option table is the entry's zod schema, as",
    'validated before anything runs; defaults are filled in for options you leave out. How recipes',
    'are written is in [Recipes](/guide/recipes).',
    '',
    '| kind | entries | |',
    '| --- | ---: | --- |',
    ...kinds.map((k) => {
      const n = entries.filter((e) => e.kind === k).length;
      return `| [\`${k}\`](./${k}) | ${n} | ${KIND_SUMMARIES[k] ?? ''} |`;
    }),
    '',
    '## Bundled recipes',
    '',
    '`kd recipes` lists these; `kd run <name>` runs one (add `--profile full` for the experiment as',
    'reported, `--validate-only` to check it).',
    '',
    '| name | task | description |',
    '| --- | --- | --- |',
    ...recipes.map((r) => {
      const task = taskIds.has(r.task) ? `[\`${r.task}\`](./task#${r.task})` : `\`${r.task}\``;
      const note = unreachable.includes(r) ? ' (not yet registered by `kd`)' : '';
      return `| \`${r.name}\` | ${task}${note} | ${prose(r.description ?? '').replaceAll('|', '\\|')} |`;
    }),
    '',
    `Recipe files: ${recipes.map((r) => `\`${relative(repoDir, r.path).replaceAll('\\', '/')}\``).join(', ')}.`,
    '',
  ];
  await writeFile(join(out, 'index.md'), index.join('\n'));
  return { kinds: kinds.length, entries: entries.length, recipes: recipes.length };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await generateRecipesReference());
}
