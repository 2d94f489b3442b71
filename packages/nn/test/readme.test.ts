// Runs every ```js example of README.md, so the README cannot drift from the API.
import { readFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as core from '@kd/core';
import * as data from '@kd/data';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
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

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

/** `import { a, b as c } from 'm'` → `const { a, b: c } = modules['m']`. */
function toScript(code: string): string {
  return code
    .replace(
      /^import \* as (\w+) from '([^']+)';$/gm,
      (_, name, mod) => `const ${name} = __modules[${JSON.stringify(mod)}];`,
    )
    .replace(/^import \{([^}]+)\} from '([^']+)';$/gm, (_, names: string, mod) => {
      const parts = names
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
        .map((n) => n.replace(/ as /, ': '));
      return `const { ${parts.join(', ')} } = __modules[${JSON.stringify(mod)}];`;
    });
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...a: unknown[]) => Promise<void>;

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
      const logs: string[] = [];
      const log = (...args: unknown[]) =>
        logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      const before = tf.memory().numTensors;
      await new AsyncFunction('__modules', 'console', toScript(code))(modules, { log });
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
