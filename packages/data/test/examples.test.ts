import { readdirSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

// The README's examples are these files; running them keeps the README honest.
const dir = new URL('../examples/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.mjs'));

describe('examples/', () => {
  it.each(files)('%s runs', async (file) => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const mod = await import(new URL(file, dir).href);
      expect(Object.keys(mod).length).toBeGreaterThan(0);
    } finally {
      log.mockRestore();
    }
  });

  it('glue-batches resumes to the same batch', async () => {
    const lines: unknown[][] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args) => {
      lines.push(args);
    });
    try {
      await import(`${new URL('glue-batches.mjs', dir).href}?again`);
    } finally {
      log.mockRestore();
    }
    expect(lines.at(-1)).toEqual([true]);
  });

  it('squad finds the answer text', async () => {
    const lines: unknown[][] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args) => {
      lines.push(args);
    });
    try {
      await import(`${new URL('squad.mjs', dir).href}?again`);
    } finally {
      log.mockRestore();
    }
    expect(lines[0][2]).toBe('Denver Broncos');
  });
});
