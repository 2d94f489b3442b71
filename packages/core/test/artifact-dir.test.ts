import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../src/index.js';
import { DirectoryArtifactSink } from '../src/node/index.js';

describe('DirectoryArtifactSink', () => {
  it('writes every file of an artefact under <dir>/<name>/', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kd-art-'));
    const sink = new DirectoryArtifactSink(dir);
    await sink.save('adapter', {
      'adapter_config.json': '{"r":8}',
      'weights/a.bin': new Uint8Array([1, 2, 3]),
    });
    expect(readFileSync(join(dir, 'adapter', 'adapter_config.json'), 'utf8')).toBe('{"r":8}');
    expect([...readFileSync(join(dir, 'adapter', 'weights', 'a.bin'))]).toEqual([1, 2, 3]);
    expect(sink.saved.get('adapter')).toBe(join(dir, 'adapter'));
  });

  it('refuses names and paths that would leave the directory', async () => {
    const sink = new DirectoryArtifactSink(mkdtempSync(join(tmpdir(), 'kd-art-')));
    await expect(sink.save('../escape', { a: 'x' })).rejects.toThrow(ValidationError);
    await expect(sink.save('ok', { '/etc/passwd': 'x' })).rejects.toThrow(
      /relative path inside the output directory/,
    );
    await expect(sink.save('ok', { 'a/../../b': 'x' })).rejects.toThrow(ValidationError);
  });
});
