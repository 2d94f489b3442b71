import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  API_VERSION,
  ApiVersionError,
  defineEntry,
  definePlugin,
  isApiCompatible,
  NotFoundError,
  parseEntryKey,
  Registry,
  RegistryConflictError,
  ValidationError,
} from '../src/index.js';

const adamw = defineEntry({
  kind: 'optimizer',
  id: 'adamw',
  description: 'decoupled weight decay',
  options: z.strictObject({ lr: z.number().positive().default(1e-3) }),
  create: (o) => ({ name: 'adamw', lr: o.lr }),
});

function pluginWith(name: string, version: string, entries = [adamw], apiVersion = '1.0.0') {
  return definePlugin({ meta: { name, version, apiVersion }, provides: entries });
}

describe('registry', () => {
  it('registers, gets, creates with validated defaults and lists by kind', () => {
    const reg = Registry.isolated();
    reg.register(pluginWith('@kd/optim', '1.0.0'));
    expect(reg.get('optimizer', 'adamw').plugin.name).toBe('@kd/optim');
    expect(reg.create('optimizer', 'adamw', {})).toEqual({ name: 'adamw', lr: 1e-3 });
    expect(reg.create('optimizer', 'adamw', { lr: 0.5 })).toEqual({ name: 'adamw', lr: 0.5 });
    expect(reg.list('optimizer').map((e) => e.key)).toEqual(['optimizer:adamw']);
    expect(reg.list('loss')).toEqual([]);
  });

  it('re-registering the same plugin object is a no-op', () => {
    const reg = Registry.isolated();
    const p = pluginWith('@kd/optim', '1.0.0');
    reg.register(p);
    reg.register(p);
    expect(reg.list()).toHaveLength(1);
    expect(reg.plugins()).toHaveLength(1);
  });

  it('the same plugin name and version with new objects (a duplicate install) is a no-op', () => {
    const reg = Registry.isolated();
    reg.register(pluginWith('@kd/optim', '1.0.0'));
    const copy = { ...adamw, create: () => ({ copy: true }) } as unknown as typeof adamw;
    reg.register(pluginWith('@kd/optim', '1.0.0', [copy]));
    expect(reg.create('optimizer', 'adamw')).toEqual({ name: 'adamw', lr: 1e-3 });
  });

  it('a different object under a taken key is a clash naming both plugins, and registers nothing', () => {
    const reg = Registry.isolated();
    reg.register(pluginWith('@kd/optim', '1.0.0'));
    const other = { ...adamw, create: () => ({ other: true }) } as unknown as typeof adamw;
    const sgd = defineEntry({ ...adamw, id: 'sgd' });
    const clash = pluginWith('third-party', '2.0.0', [sgd, other]);
    expect(() => reg.register(clash)).toThrow(RegistryConflictError);
    expect(() => reg.register(clash)).toThrow(
      /optimizer:adamw .*@kd\/optim@1\.0\.0.*third-party@2\.0\.0/,
    );
    expect(reg.has('optimizer', 'sgd')).toBe(false);
  });

  it('override replaces the entry', () => {
    const reg = Registry.isolated();
    reg.register(pluginWith('@kd/optim', '1.0.0'));
    const other = { ...adamw, create: () => ({ other: true }) } as unknown as typeof adamw;
    reg.register(pluginWith('third-party', '2.0.0', [other]), { override: true });
    expect(reg.create('optimizer', 'adamw')).toEqual({ other: true });
    expect(reg.get('optimizer', 'adamw').plugin.name).toBe('third-party');
  });

  it('rejects an incompatible apiVersion naming both versions', () => {
    const reg = Registry.isolated();
    const p = pluginWith('old-plugin', '0.3.0', [adamw], '2.0.0');
    expect(() => reg.register(p)).toThrow(ApiVersionError);
    expect(() => reg.register(p)).toThrow(
      new RegExp(
        `old-plugin@0\\.3\\.0 needs registry API 2\\.0\\.0.*implements API ${API_VERSION.replace(/\./g, '\\.')}`,
      ),
    );
  });

  it('semver compatibility follows caret rules', () => {
    expect(isApiCompatible('1.2.0', '1.0.0')).toBe(true);
    expect(isApiCompatible('1.0.0', '1.2.0')).toBe(false);
    expect(isApiCompatible('1.2.3', '1.2.4')).toBe(false);
    expect(isApiCompatible('2.0.0', '1.9.9')).toBe(false);
    expect(isApiCompatible('0.3.1', '0.3.0')).toBe(true);
    expect(isApiCompatible('0.4.0', '0.3.0')).toBe(false);
    expect(() => isApiCompatible('1.0', '1.0.0')).toThrow(ValidationError);
  });

  it('a miss lists the ids that exist and suggests the closest', () => {
    const reg = Registry.isolated();
    reg.register(pluginWith('@kd/optim', '1.0.0', [adamw, defineEntry({ ...adamw, id: 'adam' })]));
    let error: unknown;
    try {
      reg.get('optimizer', 'adamv');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).available).toEqual(['adam', 'adamw']);
    expect((error as Error).message).toMatch(/Did you mean "adam(w)?" or "adam(w)?"\?/);
    expect((error as Error).message).toMatch(/Registered optimizer ids: adam, adamw\./);
    expect(() => reg.get('loss', 'kl')).toThrow(/No loss is registered/);
  });

  it('invalid options name the path, the expectation and the value', () => {
    const reg = Registry.isolated();
    reg.register(pluginWith('@kd/optim', '1.0.0'));
    expect(() => reg.create('optimizer', 'adamw', { lr: 'fast' })).toThrow(
      /lr: expected number, got "fast"/,
    );
    expect(() => reg.create('optimizer', 'adamw', { lr: -1 })).toThrow(
      /lr: expected number > 0, got -1/,
    );
    expect(() => reg.create('optimizer', 'adamw', { lrr: 1 })).toThrow(/unknown option "lrr"/);
  });

  it('rejects malformed plugins and unknown kinds', () => {
    const reg = Registry.isolated();
    expect(() => reg.register({} as never)).toThrow(ValidationError);
    const bad = defineEntry({ ...adamw, kind: 'gizmo' as never });
    expect(() => reg.register(pluginWith('x', '1.0.0', [bad]))).toThrow(/unknown kind "gizmo"/);
  });

  it('parses kind:id references', () => {
    expect(parseEntryKey('optimizer:adamw')).toEqual({ kind: 'optimizer', id: 'adamw' });
    expect(parseEntryKey('adamw', 'optimizer')).toEqual({ kind: 'optimizer', id: 'adamw' });
    expect(() => parseEntryKey('gizmo:x')).toThrow(ValidationError);
    expect(() => parseEntryKey('loss:')).toThrow(/missing id/);
  });

  it('unregister removes a plugin and its entries', () => {
    const reg = Registry.isolated();
    reg.register(pluginWith('@kd/optim', '1.0.0'));
    reg.unregister('@kd/optim');
    expect(reg.list()).toEqual([]);
    expect(reg.plugins()).toEqual([]);
  });

  it('two separately loaded copies of @kd/core share one global registry', () => {
    // The built dist and a second copy of it under another path are two module
    // instances, as when a plugin bundles its own @kd/core.
    const script = `
      import { cpSync, mkdtempSync } from 'node:fs';
      import { join } from 'node:path';
      import { tmpdir } from 'node:os';
      import { pathToFileURL } from 'node:url';
      const dist = ${JSON.stringify(fileURLToPath(new URL('../dist/', import.meta.url)))};
      const copy = join(mkdtempSync(join(tmpdir(), 'kd-core-copy-')), 'dist');
      cpSync(dist, copy, { recursive: true });
      const a = await import(pathToFileURL(join(dist, 'registry.js')).href);
      const b = await import(pathToFileURL(join(copy, 'registry.js')).href);
      if (a.Registry === b.Registry) throw new Error('not two copies');
      const { z } = await import('zod');
      a.registry.register({ meta: { name: 'p', version: '1.0.0', apiVersion: '1.0.0' }, provides: [
        { kind: 'loss', id: 'mse', description: 'd', options: z.object({}), create: () => 42 } ] });
      console.log(JSON.stringify({ seen: b.registry.has('loss', 'mse'), made: b.registry.create('loss', 'mse') }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    }).toString();
    expect(JSON.parse(out)).toEqual({ seen: true, made: 42 });
  });
});
