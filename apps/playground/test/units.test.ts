// The page's plain parts, in Node: the zip writer, recipe preparation, number
// formatting and the dev/preview server headers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '@kd/core';
import { describe, expect, it } from 'vitest';
import { RECIPES } from '../src/recipes/catalogue.js';
import { parseOverrides, prepareRecipe } from '../src/recipes/prepare.js';
import { createRegistry } from '../src/registry.js';
import { formatBytes, formatCell, formatDuration } from '../src/ui/format.js';
import { crc32, zip } from '../src/zip.js';
import config, { ISOLATION_HEADERS, recipesDir } from '../vite.config.js';
import { unzip, zlibCrc32 } from './unzip.js';

describe('zip', () => {
  it('CRC-32 equals zlib’s', () => {
    const data = new Uint8Array(100_003).map((_, i) => (i * 7919) & 0xff);
    expect(crc32(data)).toBe(zlibCrc32(data));
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the check value
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it('writes stored entries that read back byte for byte, in order, with UTF-8 names', () => {
    const weights = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
    const bytes = zip(
      [
        { name: 'adapter/adapter_config.json', data: '{"r": 8}\n' },
        { name: 'adapter/adapter_model.safetensors', data: weights },
        { name: 'adapter/ünïcode.txt', data: 'é' },
      ],
      new Date(2024, 4, 17, 13, 45, 30),
    );
    const entries = unzip(bytes);
    expect(entries.map((e) => e.name)).toEqual([
      'adapter/adapter_config.json',
      'adapter/adapter_model.safetensors',
      'adapter/ünïcode.txt',
    ]);
    expect(entries.every((e) => e.method === 0)).toBe(true);
    expect(new TextDecoder().decode(entries[0].data)).toBe('{"r": 8}\n');
    expect(Buffer.from(entries[1].data).equals(Buffer.from(weights))).toBe(true);
    // DOS time and date of the first local header: 13:45:30, 2024-05-17.
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getUint16(10, true)).toBe((13 << 11) | (45 << 5) | 15);
    expect(view.getUint16(12, true)).toBe(((2024 - 1980) << 9) | (5 << 5) | 17);
  });

  it('writes an empty archive as just the end record', () => {
    const bytes = zip([]);
    expect(bytes.length).toBe(22);
    expect(unzip(bytes)).toEqual([]);
  });
});

describe('recipes', () => {
  const registry = createRegistry();
  const text = (file: string) => {
    const [pkg, name] = file.split('/') as ['graph', string];
    return readFileSync(join(recipesDir(pkg), name), 'utf8');
  };

  it('every catalogue recipe exists and validates with its quick profile', () => {
    for (const r of RECIPES) {
      const recipe = prepareRecipe({ text: text(r.file), where: r.file }, registry);
      expect(recipe.profile).toBe('quick');
      expect(registry.has('task', recipe.task)).toBe(true);
    }
  });

  it('merges overrides over the quick profile (arrays replace) and takes the seed', () => {
    const recipe = prepareRecipe(
      {
        text: text('graph/planetoid.yaml'),
        where: 'graph/planetoid.yaml',
        overrides: { seeds: 1, models: [{ model: 'gcn', lr: 0.02, epochs: 3 }] },
        seed: 7,
      },
      registry,
    );
    expect(recipe.seed).toBe(7);
    const options = recipe.options as {
      seeds: number;
      datasets: { name: string }[];
      models: { model: string; lr: number; epochs: number }[];
    };
    expect(options.seeds).toBe(1);
    expect(options.datasets.map((d) => d.name)).toEqual(['cora']); // from the quick profile
    expect(options.models).toHaveLength(1);
    expect(options.models[0]).toMatchObject({ model: 'gcn', lr: 0.02, epochs: 3 });
  });

  it('rejects bad overrides with the path of the problem, before anything runs', () => {
    const spec = { text: text('graph/planetoid.yaml'), where: 'graph/planetoid.yaml' };
    expect(() => prepareRecipe({ ...spec, overrides: { seeds: 0 } }, registry)).toThrow(
      ValidationError,
    );
    expect(() => prepareRecipe({ ...spec, overrides: { seeds: 0 } }, registry)).toThrow(/seeds/);
    expect(() => prepareRecipe({ ...spec, overrides: [] as never }, registry)).toThrow(
      /overrides must be a mapping/,
    );
  });

  it('parses the overrides box as YAML or JSON; empty means none', () => {
    expect(parseOverrides('  \n')).toBeUndefined();
    expect(parseOverrides('steps: 4\nseeds: [0]')).toEqual({ steps: 4, seeds: [0] });
    expect(parseOverrides('{"steps": 4}')).toEqual({ steps: 4 });
    expect(() => parseOverrides('steps: [4')).toThrow(/YAML/);
  });
});

describe('formatting', () => {
  it('formats cells as the CLI does, with a percent sign and mean ± std over seeds', () => {
    expect(formatCell(0.8134, 'pct', 1)).toBe('81.3 %');
    expect(formatCell({ mean: 0.8, std: 0.01, n: 3 }, 'pct', 1)).toBe('80.0 % ± 1.0 %');
    expect(formatCell({ mean: 0.8, std: 0, n: 1 }, 'pct', 1)).toBe('80.0 %');
    expect(formatCell(12345.6, 'int')).toBe('12,346');
    expect(formatCell(1.23456, 'float', 2)).toBe('1.23');
    expect(formatCell(12.34, 'ms')).toBe('12.3 ms');
    expect(formatCell(null)).toBe('—');
    expect(formatCell(Number.NaN)).toBe('NaN');
    expect(formatCell(Number.NEGATIVE_INFINITY)).toBe('−∞');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
    expect(formatDuration(950)).toBe('950 ms');
    expect(formatDuration(61_000)).toBe('1 min 1 s');
  });
});

describe('vite config', () => {
  it('serves dev and preview cross-origin isolated', () => {
    expect(ISOLATION_HEADERS).toEqual({
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    expect(config.server?.headers).toEqual(ISOLATION_HEADERS);
    expect(config.preview?.headers).toEqual(ISOLATION_HEADERS);
  });
});
