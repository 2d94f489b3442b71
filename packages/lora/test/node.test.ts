import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, initBackend, NotFoundError } from '@kd/core';
import { BertForSequenceClassification } from '@kd/nn';
import { loadHFDirectory, saveHFDirectory } from '@kd/nn/node';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoraModel } from '../src/index.js';
import {
  inspectAdapterDirectory,
  loadAdapterDirectory,
  mergeAdapterDirectories,
  readAdapterDirectory,
  saveAdapterDirectory,
} from '../src/node/index.js';
import { maxAbsDiff } from './helpers/plain.js';

const dir = mkdtempSync(join(tmpdir(), 'kd-lora-'));
beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = {
  vocabSize: 40,
  hiddenSize: 8,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 16,
  maxPositionEmbeddings: 12,
  numLabels: 3,
};
const ids = [[2, 7, 9, 11, 3]];

describe('adapter directories and `kd lora merge`', () => {
  it('train-like change → save dir → merge with the base dir → a plain HF model with the same outputs', async () => {
    const base = new BertForSequenceClassification(config, { seed: 3 });
    base.eval();
    await saveHFDirectory(base, join(dir, 'base'));
    const lora = LoraModel.wrap(
      base,
      { r: 2, targetModules: 'all-linear', taskType: 'SEQ_CLS', initLoraWeights: false },
      { seed: 9 },
    );
    base.getParameter('classifier.bias').assign(tf.tensor1d([0.5, -0.5, 0.25]));
    const want = base.forward({ inputIds: ids }).logits.dataSync();
    await saveAdapterDirectory(lora, join(dir, 'adapter'));
    const info = await inspectAdapterDirectory(join(dir, 'adapter'));
    expect(info.modules).toHaveLength(2 * 6 + 1);
    expect(info.saved.map((s) => s.name).sort()).toEqual(['classifier.bias', 'classifier.weight']);

    const { model, loaded } = await mergeAdapterDirectories({
      base: join(dir, 'base'),
      adapter: join(dir, 'adapter'),
      out: join(dir, 'merged'),
    });
    expect(loaded.report.modules).toHaveLength(13);
    model.dispose();
    const { model: merged } = await loadHFDirectory(join(dir, 'merged'));
    const got = (merged as BertForSequenceClassification)
      .forward({ inputIds: ids })
      .logits.dataSync();
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    expect(
      Object.keys(JSON.parse(readFileSync(join(dir, 'merged', 'config.json'), 'utf8'))),
    ).toContain('architectures');

    // Load the directory onto a fresh base: same outputs, unmerged.
    const { model: fresh } = await loadHFDirectory(join(dir, 'base'));
    const again = await loadAdapterDirectory(fresh, join(dir, 'adapter'));
    expect(
      maxAbsDiff(
        (fresh as BertForSequenceClassification).forward({ inputIds: ids }).logits.dataSync(),
        want,
      ),
    ).toBeLessThan(1e-5);
    again.lora.dispose();
  });

  it('missing files and pickle-only adapters are clear errors', async () => {
    await expect(readAdapterDirectory(join(dir, 'nope'))).rejects.toThrowError(NotFoundError);
    const pickle = join(dir, 'pickle');
    await saveAdapterDirectory(
      LoraModel.wrap(new BertForSequenceClassification(config, { seed: 1 }), { r: 1 }),
      pickle,
    );
    rmSync(join(pickle, 'adapter_model.safetensors'));
    writeFileSync(join(pickle, 'adapter_model.bin'), 'PK');
    await expect(readAdapterDirectory(pickle)).rejects.toThrowError(FormatError);
    await expect(readAdapterDirectory(pickle)).rejects.toThrowError(
      /safetensors\.torch\.save_file/,
    );
  });
});
