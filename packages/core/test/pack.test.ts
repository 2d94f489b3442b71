import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packInstall, runModule } from '../../../scripts/pack-install.mjs';

describe('@kd/core installed alone from its packed tarball', () => {
  it('imports from plain Node ESM, trains a gather on wasm, and ships no workspace specifiers', () => {
    const dir = packInstall(['packages/core'], ['@tensorflow/tfjs-core@4.22.0']);
    const manifest = JSON.parse(
      readFileSync(join(dir, 'node_modules/@kd/core/package.json'), 'utf8'),
    );
    expect(JSON.stringify(manifest)).not.toMatch(/workspace:|catalog:/);
    expect(manifest.peerDependencies['@tensorflow/tfjs-core']).toBe('4.22.0');
    const out = runModule(
      dir,
      `
      import * as tf from '@tensorflow/tfjs-core';
      import { initBackend, registry, Rng, KINDS } from '@kd/core';
      import { writeFileAtomic } from '@kd/core/node';
      const info = await initBackend({ backend: 'wasm' });
      const x = tf.tensor2d(new Rng(1).normalArray(12), [4, 3]);
      const g = tf.grad((v) => tf.gather(v, tf.tensor1d([0, 2, 2], 'int32')).sum())(x);
      console.log(JSON.stringify({ backend: info.backend, simd: info.simd, grad: Array.from(g.dataSync()),
        kinds: KINDS.length, atomic: typeof writeFileAtomic, entries: registry.list().length }));
    `,
    );
    const result = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(result.backend).toBe('wasm');
    expect(result.simd).toBe(true);
    expect(result.grad).toEqual([1, 1, 1, 0, 0, 0, 2, 2, 2, 0, 0, 0]);
    expect(result.kinds).toBe(12);
    expect(result.atomic).toBe('function');
  });
});
