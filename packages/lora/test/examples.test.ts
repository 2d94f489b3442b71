import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Every example runs here, and the README shows each one verbatim. */
const dir = new URL('../examples/', import.meta.url);
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const files = readdirSync(dir).filter((f) => f.endsWith('.mjs'));
// biome-ignore lint/suspicious/noExplicitAny: example modules are untyped JavaScript.
const run = (name: string): Promise<Record<string, any>> => import(`../examples/${name}.mjs`);

describe('examples', () => {
  it.each(files)('README shows %s verbatim', (file) => {
    const source = readFileSync(new URL(file, dir), 'utf8').trim();
    expect(readme.includes(source), `${file} is not in README.md as written`).toBe(true);
  });

  it('train-and-save.mjs: only the adapter and head train; PEFT file names', async () => {
    const { counts, files: out } = await run('train-and-save');
    expect(counts.trainable).toBe(2 * 2 * (8 * 32 + 32 * 8) + (2 * 32 + 2));
    expect(Object.keys(out)).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  });

  it('load-and-merge.mjs: merged logits equal the unmerged ones', async () => {
    const { unmerged, mergedLogits, hf } = await run('load-and-merge');
    for (let i = 0; i < unmerged.length; i++) expect(mergedLogits[i]).toBeCloseTo(unmerged[i], 5);
    expect(Object.keys(hf)).toEqual(['config.json', 'model.safetensors']);
  });

  it('variants.mjs: LoRA+ groups, switching, a combined adapter', async () => {
    const { groups, trainable, adapters } = await run('variants');
    expect(groups[0].lrScale).toBe(16);
    expect(groups[0].params.some((n: string) => n.includes('lora_magnitude_vector'))).toBe(true);
    expect(trainable).toBe(2 * 2 * 2);
    expect(adapters).toEqual(['dora', 'attn', 'mlp', 'mix']);
  });
});
