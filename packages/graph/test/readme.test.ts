// Runs every ```js example of README.md, so the README cannot drift from the API.
import * as core from '@kd/core';
import * as data from '@kd/data';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { readmeJsBlocks, runReadmeExample } from '../../../scripts/readme-examples.mjs';
import * as graph from '../src/index.js';

const modules: Record<string, unknown> = {
  '@kd/core': core,
  '@kd/data': data,
  '@kd/graph': graph,
  '@tensorflow/tfjs-core': tf,
};

const blocks = readmeJsBlocks(new URL('../README.md', import.meta.url));
const run = (code: string) => runReadmeExample(code, modules);

describe('README examples', () => {
  beforeAll(async () => {
    await core.initBackend({ backend: 'cpu' });
  });

  it('has the examples this test expects', () => {
    expect(blocks.length).toBe(4);
  });

  it('1: layers on a graph', async () => {
    const before = tf.memory().numTensors;
    const logs = await run(blocks[0]);
    expect(logs).toEqual(['[4,2] [4,4] [8,2] [4,2]', 'att_src att_dst bias lin.weight']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('2: a custom MessagePassing layer', async () => {
    expect(await run(blocks[1])).toEqual(['[0.5,4,0,0,3,2]']);
  });

  it('3: GCN on Cora', async () => {
    const [line] = await run(blocks[2]);
    const [, acc] = line.split(' ').map(Number);
    expect(acc).toBeGreaterThan(0.78);
  });

  it('4: ComplEx on Nations', async () => {
    const [line] = await run(blocks[3]);
    const [mrr, hits10, count] = line.split(' ').map(Number);
    expect(mrr).toBeGreaterThan(0.6);
    expect(hits10).toBeGreaterThan(0.9);
    expect(count).toBe(402);
  });
});
