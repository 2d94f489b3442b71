// Runs every ```js example of README.md, so the README cannot drift from the API.
import * as fsPromises from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as core from '@kd/core';
import * as data from '@kd/data';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeJsBlocks, runReadmeExample } from '../../../scripts/readme-examples.mjs';
import * as nn from '../src/index.js';
import * as nnNode from '../src/node/index.js';

const modules: Record<string, unknown> = {
  '@kd/core': core,
  '@kd/data': data,
  '@kd/nn': nn,
  '@kd/nn/node': nnNode,
  '@tensorflow/tfjs-core': tf,
  'node:fs/promises': fsPromises,
  'node:os': os,
  'node:path': path,
};

const blocks = readmeJsBlocks(new URL('../README.md', import.meta.url));

afterAll(() => core.disposeBackend());

describe('README examples', () => {
  it('has the examples this test expects', () => {
    expect(blocks.length).toBe(6);
  });

  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs (${code
      .split('\n')
      .find((l) => l.startsWith('import {') && l.includes('@kd/nn'))
      ?.slice(0, 60)})`, async () => {
      await core.initBackend({ backend: 'cpu' });
      const before = tf.memory().numTensors;
      const logs = await runReadmeExample(code, modules);
      expect(tf.memory().numTensors).toBe(before);
      if (i === 0) {
        expect(logs[0].startsWith('Once upon a time, there was a little girl named Lily.')).toBe(
          true,
        );
      }
      if (i === 1) {
        expect(logs.slice(0, 3)).toEqual([
          '5 [2,4,32]',
          '4 [2,4,4,4]',
          'encoder.layer.0.attention.self',
        ]);
      }
      if (i === 2) expect(logs[2]).toBe('true true');
      if (i === 3) {
        expect(logs[0]).toBe('GPT2LMHeadModel [] []');
        expect(logs[1]).toBe('["classifier.weight","classifier.bias"]');
      }
      if (i === 5) {
        const [first, , last] = logs[0].split(' ');
        expect(Number(last)).toBeLessThan(Number(first));
      }
    });
  });
});
