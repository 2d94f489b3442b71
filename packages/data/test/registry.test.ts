import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { NotFoundError, Registry, ValidationError } from '@kd/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type GlueHandle,
  type KnowledgeGraphHandle,
  type NerHandle,
  plugin,
  type SquadHandle,
  type TextHandle,
  type TokenizerHandle,
} from '../src/index.js';
import { fixture } from './helpers.js';

let registry: Registry;
beforeAll(() => {
  registry = Registry.isolated();
  registry.register(plugin);
});

describe('dataset: entries', () => {
  it('registers the documented ids', () => {
    const ids = registry.list('dataset').map((e) => e.id);
    for (const id of [
      'glue-sst2',
      'glue-cola',
      'glue-rte',
      'glue-stsb',
      'squad-v1.1',
      'tinyshakespeare',
      'wikitext-2',
      'kg-kinship',
      'kg-umls',
      'kg-nations',
      'kg-wn18rr',
      'kg-fb15k-237',
      'cora',
      'citeseer',
      'conll04',
      'wnut-17',
      'uner-en-ewt',
    ]) {
      expect(ids).toContain(id);
    }
    expect(ids).not.toContain('glue-qqp'); // non-commercial: only in @kd/datasets-nc
    expect(ids).not.toContain('glue-mrpc');
  });

  it('loads bundled samples through the handle', async () => {
    const sst2 = registry.create<GlueHandle>('dataset', 'glue-sst2');
    expect(sst2.bundled).toBe(true);
    expect(sst2.info).toMatchObject({
      task: 'sst2',
      numLabels: 2,
      pair: false,
      metrics: ['accuracy'],
    });
    expect((await sst2.load('validation')).examples).toHaveLength(872);
    const squad = registry.create<SquadHandle>('dataset', 'squad-v1.1');
    expect((await squad.load('validation')).examples.length).toBe(2145);
    const shakespeare = registry.create<TextHandle>('dataset', 'tinyshakespeare');
    expect((await shakespeare.load('train')).length).toBe(1115394);
    const wnut = registry.create<NerHandle>('dataset', 'wnut-17');
    expect(wnut.tagSet).toHaveLength(13);
  });

  it('reads a user folder given as { path } (with .gz fallback) and explains what is not bundled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kd-data-'));
    writeFileSync(join(dir, 'train.txt.gz'), gzipSync(fixture('kg/wn18rr/train.txt')));
    writeFileSync(join(dir, 'valid.txt'), fixture('kg/wn18rr/valid.txt'));
    writeFileSync(join(dir, 'test.txt'), fixture('kg/wn18rr/test.txt'));
    const wn = registry.create<KnowledgeGraphHandle>('dataset', 'kg-wn18rr', { path: dir });
    expect(wn.bundled).toBe(false);
    const kg = await wn.load('all');
    expect(kg.train.length / 3).toBe(300);
    const missing = registry.create<KnowledgeGraphHandle>('dataset', 'kg-fb15k-237');
    await expect(missing.load('all')).rejects.toThrow(ValidationError);
    await expect(missing.load('all')).rejects.toThrow(/not bundled.*pass \{ path/);
    const empty = registry.create<KnowledgeGraphHandle>('dataset', 'kg-fb15k-237', {
      path: join(dir, 'nope'),
    });
    await expect(empty.load('all')).rejects.toThrow(NotFoundError);
    await expect(registry.create<GlueHandle>('dataset', 'glue-sst2').load('test')).rejects.toThrow(
      /no "test" split/,
    );
  });

  it('validates options (unknown keys are errors)', () => {
    expect(() => registry.create('dataset', 'glue-sst2', { pth: '/x' })).toThrow(ValidationError);
  });
});

describe('tokenizer: entries', () => {
  it('creates each tokenizer from the bundled files', async () => {
    const wp = await registry.create<TokenizerHandle>('tokenizer', 'wordpiece').load();
    expect(wp.encodeIds('hello world')).toEqual([101, 7592, 2088, 102]);
    const bpe = await registry.create<TokenizerHandle>('tokenizer', 'byte-level-bpe').load();
    expect(bpe.encodeIds('Hello world')).toEqual([15496, 995]);
    const llama = await registry.create<TokenizerHandle>('tokenizer', 'llama2c').load();
    expect(llama.encodeIds('Once upon a time')).toEqual([1, 403, 407, 261, 378]);
    const chars = await registry.create<TokenizerHandle>('tokenizer', 'char').load();
    expect(chars.vocabSize).toBe(65);
    const custom = await registry
      .create<TokenizerHandle>('tokenizer', 'char', { chars: 'ab' })
      .load();
    expect(custom.encodeIds('ba')).toEqual([1, 0]);
  });
});
