import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  deepMerge,
  defineEntry,
  definePlugin,
  entryRef,
  FormatError,
  parseRecipeText,
  Registry,
  ValidationError,
  validateRecipe,
} from '../src/index.js';

function setup() {
  const reg = Registry.isolated();
  reg.register(
    definePlugin({
      meta: { name: 'test', version: '1.0.0', apiVersion: '1.0.0' },
      provides: [
        defineEntry({
          kind: 'optimizer',
          id: 'adamw',
          description: 'd',
          options: z.strictObject({
            lr: z.number().positive(),
            betas: z.tuple([z.number(), z.number()]).default([0.9, 0.999]),
          }),
          create: (o) => o,
        }),
        defineEntry({
          kind: 'task',
          id: 'train',
          description: 'd',
          options: z.strictObject({
            steps: z.number().int().positive(),
            optimizer: entryRef('optimizer', reg),
            arms: z
              .array(z.strictObject({ name: z.string(), weight: z.number().min(0) }))
              .default([]),
          }),
          create: (o) => o,
        }),
      ],
    }),
  );
  return reg;
}

describe('recipes', () => {
  it('validates a YAML recipe, fills defaults and applies the profile', () => {
    const reg = setup();
    const text = `
task: train
seed: 3
steps: 1000
optimizer: { id: adamw, options: { lr: 0.001 } }
profiles:
  quick: { steps: 10, optimizer: { options: { lr: 0.01 } } }
`;
    const quick = validateRecipe(parseRecipeText(text, 'r.yaml'), { registry: reg });
    expect(quick.seed).toBe(3);
    expect(quick.profile).toBe('quick');
    expect(quick.options).toEqual({
      steps: 10,
      optimizer: { id: 'adamw', options: { lr: 0.01, betas: [0.9, 0.999] } },
      arms: [],
    });
    const full = validateRecipe(parseRecipeText(text, 'r.yaml'), {
      registry: reg,
      profile: 'full',
      seed: 9,
    });
    expect((full.options as { steps: number }).steps).toBe(1000);
    expect(full.seed).toBe(9);
  });

  it('accepts a bare id for an entry reference', () => {
    const reg = setup();
    expect(() =>
      validateRecipe({ task: 'train', steps: 1, optimizer: 'adamw' }, { registry: reg }),
    ).toThrow(/optimizer\.options\.lr: expected number, got undefined/);
  });

  it('names every problem by path, with the expectation and the value', () => {
    const reg = setup();
    let error: ValidationError | undefined;
    try {
      validateRecipe(
        {
          task: 'train',
          steps: 'many',
          optimizer: { id: 'adamw', options: { lr: 'fast' } },
          arms: [
            { name: 'a', weight: 1 },
            { name: 'b', weight: -2 },
          ],
          colour: 'red',
        },
        { registry: reg, where: 'my.yaml' },
      );
    } catch (e) {
      error = e as ValidationError;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const byPath = Object.fromEntries(error!.issues.map((i) => [i.path, i.message]));
    expect(byPath).toEqual({
      steps: 'expected number, got "many"',
      'optimizer.options.lr': 'expected number, got "fast"',
      'arms[1].weight': 'expected number >= 0, got -2',
      '(root)': 'unknown option "colour"',
    });
    expect(error!.message.startsWith('my.yaml: invalid recipe for task "train"')).toBe(true);
  });

  it('an unknown plugin id lists the registered ones with a suggestion', () => {
    const reg = setup();
    expect(() =>
      validateRecipe({ task: 'train', steps: 1, optimizer: 'adamx' }, { registry: reg }),
    ).toThrow(
      /optimizer: no optimizer "adamx" is registered\. Did you mean "adamw"\? Registered: adamw/,
    );
    expect(() => validateRecipe({ task: 'trian' }, { registry: reg })).toThrow(
      /task: no task "trian" is registered\. Did you mean "train"\?/,
    );
  });

  it('checks the recipe header itself', () => {
    const reg = setup();
    expect(() => validateRecipe({ steps: 1 }, { registry: reg })).toThrow(/task: expected string/);
    expect(() => validateRecipe({ task: 'train', seed: -1 }, { registry: reg })).toThrow(
      /seed: expected number >= 0, got -1/,
    );
  });

  it('malformed text is a FormatError with the line', () => {
    expect(() => parseRecipeText('task: [unclosed', 'bad.yaml')).toThrow(FormatError);
    expect(() => parseRecipeText('task: a\n  - b: [', 'bad.yaml')).toThrow(
      /bad\.yaml: not valid YAML: line \d+/,
    );
    expect(() => parseRecipeText('{"task": }', 'bad.json')).toThrow(/bad\.json: not valid JSON/);
    expect(() => parseRecipeText('- a\n- b', 'list.yaml')).toThrow(/a recipe is a mapping/);
  });

  it('deepMerge merges objects and replaces everything else', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).toEqual({
      a: { b: 1, c: [3] },
      d: 1,
      e: 2,
    });
  });
});
