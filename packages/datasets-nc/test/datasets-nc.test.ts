import { readFileSync } from 'node:fs';
import { Registry } from '@kd/core';
import { plugin as dataPlugin, type GlueHandle } from '@kd/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { plugin } from '../src/index.js';

let registry: Registry;
beforeAll(() => {
  registry = Registry.isolated();
  registry.register(dataPlugin);
  registry.register(plugin);
});

describe('@kd/datasets-nc', () => {
  it('stays private so the non-commercial data is never published', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.private).toBe(true);
  });

  it('MRPC: full train (3,668) and dev (408) through the BOM-prefixed header', async () => {
    const mrpc = registry.create<GlueHandle>('dataset', 'glue-mrpc');
    expect(mrpc.info).toMatchObject({
      task: 'mrpc',
      numLabels: 2,
      pair: true,
      metrics: ['accuracy', 'f1'],
    });
    const train = await mrpc.load('train');
    expect(train.examples).toHaveLength(3668);
    expect(train.examples[0]).toMatchObject({
      text: 'Amrozi accused his brother, whom he called "the witness", of deliberately distorting his evidence.',
      label: 1,
    });
    const dev = await mrpc.load('validation');
    expect(dev.examples).toHaveLength(408);
    expect(dev.examples.filter((e) => e.label === 1).length).toBe(279); // MRPC dev: 68 % positive
  });

  it('QQP: headerless train sample with the space-before-label row repaired, and the dev sample', async () => {
    const qqp = registry.create<GlueHandle>('dataset', 'glue-qqp');
    const train = await qqp.load('train');
    expect(train.examples).toHaveLength(5000);
    expect(train.repairs).toEqual([{ lineNo: 1, note: 'space instead of TAB before the label' }]);
    expect(train.examples[0]).toMatchObject({
      text: 'How is the life of a math student? Could you describe your own experiences?',
      pair: 'Which level of prepration is enough for the exam jlpt5?',
      label: 0,
    });
    const dev = await qqp.load('validation');
    expect(dev.examples).toHaveLength(9);
    expect(dev.examples[0]).toMatchObject({
      text: 'Why are African-Americans so beautiful?',
      label: 0,
    });
    await expect(qqp.load('test')).rejects.toThrow(/no "test" split/);
  });
});
