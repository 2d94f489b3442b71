import { describe, expect, it } from 'vitest';
import { packInstall, runModule } from '../../../scripts/pack-install.mjs';

describe('kd-plugin-example installed from its tarball beside @kd/core', () => {
  it('registers through the shared registry and its task trains to beat the majority class', () => {
    const dir = packInstall(
      ['packages/core', 'examples/kd-plugin-example'],
      ['@tensorflow/tfjs-core@4.22.0', 'zod@4.6.7'],
    );
    const out = runModule(
      dir,
      `
      import { registry, initBackend, MemoryCheckpointStore, silentProgress } from '@kd/core';
      import plugin from 'kd-plugin-example';
      await initBackend({ backend: 'wasm' });
      registry.register(plugin);
      registry.register(plugin); // idempotent
      const entry = registry.get('task', 'bow-sentiment');
      const task = registry.create('task', 'bow-sentiment', { epochs: 40 });
      const result = await task.run({ seed: 0, profile: 'quick', registry, progress: silentProgress,
        signal: new AbortController().signal, checkpoints: new MemoryCheckpointStore() });
      let unknown = '';
      try { registry.create('task', 'bow-sentiment', { epochz: 1 }); } catch (e) { unknown = e.message; }
      console.log(JSON.stringify({ plugin: entry.plugin.name, summary: result.summary,
        losses: result.plots[0].lines[0].y.length, unknown }));
    `,
    );
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(r.plugin).toBe('kd-plugin-example');
    expect(r.losses).toBe(40);
    // 218 held-out SST-2 sentences: a bag of words learns real signal.
    expect(r.summary.accuracy).toBeGreaterThan(r.summary.majority_accuracy + 0.1);
    expect(r.unknown).toMatch(/unknown option "epochz"/);
  });
});
