import { readdirSync, readFileSync } from 'node:fs';
import { initBackend } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

/** Every example runs here, and the README shows each one verbatim. */
const dir = new URL('../examples/', import.meta.url);
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const files = readdirSync(dir).filter((f) => f.endsWith('.mjs'));

beforeAll(async () => {
  // The examples initialise the same backend; doing it first lets `run` count tensors from zero.
  await initBackend({ backend: 'cpu' });
});

const ran = new Set<string>();
/**
 * Runs an example (its module body) and counts the tensors it left
 * allocated. A module runs once per test file, so each example is run by
 * exactly one test; a second `run` would count nothing and is refused.
 */
async function run(name: string) {
  if (ran.has(name)) throw new Error(`${name} already ran in this file; its tensors were counted`);
  ran.add(name);
  const before = tf.memory().numTensors;
  // biome-ignore lint/suspicious/noExplicitAny: example modules are untyped JavaScript.
  const exports: Record<string, any> = await import(`../examples/${name}.mjs`);
  return { exports, leaked: tf.memory().numTensors - before };
}

describe('examples', () => {
  it.each(files)('README shows %s verbatim', (file) => {
    const source = readFileSync(new URL(file, dir), 'utf8').trim();
    expect(readme.includes(source), `${file} is not in README.md as written`).toBe(true);
  });

  it('train-and-save.mjs: only the adapter and head train; PEFT file names', async () => {
    const { exports, leaked } = await run('train-and-save');
    const { counts, files: out } = exports;
    expect(leaked, 'tensors left allocated').toBe(0);
    expect(counts.trainable).toBe(2 * 2 * (8 * 32 + 32 * 8) + (2 * 32 + 2));
    expect(Object.keys(out)).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  });

  it('load-and-merge.mjs: merged logits equal the unmerged ones', async () => {
    // It imports train-and-save.mjs, which the test above ran (and counted) already.
    const { exports, leaked } = await run('load-and-merge');
    const { unmerged, mergedLogits, hf } = exports;
    expect(leaked, 'tensors left allocated').toBe(0);
    for (let i = 0; i < unmerged.length; i++) expect(mergedLogits[i]).toBeCloseTo(unmerged[i], 5);
    expect(Object.keys(hf)).toEqual(['config.json', 'model.safetensors']);
  });

  it('variants.mjs: LoRA+ groups, switching, a combined adapter', async () => {
    const { exports, leaked } = await run('variants');
    const { groups, trainable, adapters } = exports;
    expect(leaked, 'tensors left allocated').toBe(0);
    expect(groups[0].lrScale).toBe(16);
    expect(groups[0].params.some((n: string) => n.includes('lora_magnitude_vector'))).toBe(true);
    expect(trainable).toBe(2 * 2 * 2);
    expect(adapters).toEqual(['dora', 'attn', 'mlp', 'mix']);
  });
});
