// The real pretrained teacher: Karpathy's stories260K (llama2.c), bundled by
// @kd/data. Its reference generations come from llama2.c itself.
import { disposeBackend, FormatError, initBackend } from '@kd/core';
import { loadStories260K, loadStories260KTokenizer, type Stories260KFiles } from '@kd/data';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generate,
  type LlamaForCausalLM,
  llama2cSampler,
  loadLlama2c,
  readLlama2c,
  readLlama2cHeader,
  saveLlama2c,
} from '../src/index.js';

let files: Stories260KFiles;
let tokenizer: Awaited<ReturnType<typeof loadStories260KTokenizer>>;

beforeAll(async () => {
  files = await loadStories260K();
  tokenizer = await loadStories260KTokenizer();
});
afterAll(() => disposeBackend());

/** llama2.c's generate: BOS + prompt, `steps` positions, stop at BOS. */
async function llama2cGenerate(model: LlamaForCausalLM, c: Stories260KFiles['expected'][number]) {
  const prompt = c.prompt ? tokenizer.encode(c.prompt).ids : [1];
  expect(prompt[0]).toBe(1);
  const sampler = llama2cSampler({ temperature: c.temperature, topp: c.topp, seed: c.seed ?? 0 });
  const out = await generate(model, prompt, {
    maxNewTokens: c.steps - prompt.length + 1,
    sampler,
    stopTokens: [1],
  });
  return tokenizer.decode(out.sequences[0]);
}

describe('stories260K checkpoints', () => {
  it('headers: legacy (7 int32, shared classifier) and v1 (ak42)', () => {
    const legacy = readLlama2cHeader(files.legacy);
    const v1 = readLlama2cHeader(files.v1);
    const dims = {
      dim: 64,
      hiddenDim: 172,
      nLayers: 5,
      nHeads: 8,
      nKvHeads: 4,
      vocabSize: 512,
      seqLen: 512,
      sharedClassifier: true,
    };
    expect(legacy).toEqual({ version: 0, ...dims });
    expect(v1).toEqual({ version: 1, ...dims });
  });

  it('both formats hold the same weights; v1 saves back byte for byte', async () => {
    await initBackend({ backend: 'cpu' });
    const a = readLlama2c(files.legacy).state;
    const b = readLlama2c(files.v1).state;
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    for (const k of Object.keys(a)) expect(Array.from(a[k].data)).toEqual(Array.from(b[k].data));
    const model = loadLlama2c(files.v1);
    expect(model.parameterCount()).toBe(260032);
    expect(model.config.numKeyValueHeads).toBe(4);
    expect(model.tiedParameters()).toEqual({ 'lm_head.weight': 'model.embed_tokens.weight' });
    expect(Buffer.from(saveLlama2c(model, { version: 1 })).equals(Buffer.from(files.v1))).toBe(
      true,
    );
    // Legacy: identical except the unused freq_cis tables, which export.py computed in float32 torch.
    const legacy = saveLlama2c(model, { version: 0 });
    expect(legacy.length).toBe(files.legacy.length);
    const weightsEnd = files.legacy.length - 2 * 512 * 4 * 4;
    expect(
      Buffer.from(legacy.subarray(0, weightsEnd)).equals(
        Buffer.from(files.legacy.subarray(0, weightsEnd)),
      ),
    ).toBe(true);
    const ours = new Float32Array(legacy.slice(weightsEnd).buffer);
    const theirs = new Float32Array(files.legacy.slice(weightsEnd).buffer);
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i] - theirs[i])).toBeLessThan(1e-4);
    model.dispose();
  });

  it('truncated or foreign files fail with a FormatError that says what was expected', () => {
    expect(() => readLlama2c(files.v1.subarray(0, files.v1.length - 4))).toThrow(FormatError);
    expect(() => readLlama2c(files.v1.subarray(0, files.v1.length - 4))).toThrow(
      /expected 1040384 bytes/,
    );
    expect(() => readLlama2c(files.tokenizer)).toThrow(/implausible header|expected/);
    const v2 = files.v1.slice(0, 300);
    new DataView(v2.buffer).setInt32(4, 2, true);
    expect(() => readLlama2c(v2)).toThrow(/version 2 is not supported|only 1/);
  });
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`stories260K generation on ${backend}`, () => {
    it('greedy decoding reproduces llama2.c token for token', async () => {
      await initBackend({ backend });
      const model = loadLlama2c(files.legacy);
      // Cases 0 and 4 are both greedy with the same text; run it once.
      const greedy = files.expected.filter((c) => c.temperature === 0);
      expect(greedy.map((c) => c.text)).toEqual([greedy[0].text, greedy[0].text]);
      const text = await llama2cGenerate(model, greedy[0]);
      expect(text.startsWith('Once upon a time, there was a little girl named Lily.')).toBe(true);
      expect(text).toBe(greedy[0].text);
      model.dispose();
    });

    it("llama2.c's sampled cases (temperature 1, top-p 0.95, seed 42, with and without a prompt) reproduce too", async () => {
      await initBackend({ backend });
      const model = loadLlama2c(files.v1);
      const sampled = files.expected.filter((c) => c.temperature > 0);
      expect(sampled.length).toBe(3);
      expect(sampled.some((c) => c.prompt === 'There was a big')).toBe(true);
      for (const c of sampled) expect(await llama2cGenerate(model, c)).toBe(c.text);
      model.dispose();
    });

    it('cached and uncached greedy decoding agree, and memory is released', async () => {
      await initBackend({ backend });
      const model = loadLlama2c(files.v1);
      const before = tf.memory().numTensors;
      const a = await generate(model, [1], { maxNewTokens: 24 });
      const b = await generate(model, [1], { maxNewTokens: 24, useCache: false });
      expect(a.sequences).toEqual(b.sequences);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  });
}
