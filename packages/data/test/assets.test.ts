import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ASSET_NAMES, assetUrl, isGzip, readAsset } from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('bundled asset URLs', () => {
  it('points every asset at its .gz file in assets/', () => {
    for (const name of ASSET_NAMES) {
      const url = assetUrl(name);
      expect(url.href).toBe(pathToFileURL(join(root, 'assets', `${name}.gz`)).href);
      expect(existsSync(url), name).toBe(true);
    }
  });

  it('writes each URL as a static new URL(literal, import.meta.url), the form bundlers copy', () => {
    const source = readFileSync(join(root, 'src/assets.ts'), 'utf8');
    const literals = [
      ...source.matchAll(/new URL\('\.\.\/assets\/([^']+)\.gz', import\.meta\.url\)/g),
    ].map((m) => m[1]);
    expect(literals).toEqual([...ASSET_NAMES]);
    // A computed path (template literal) is what bundlers cannot follow.
    expect(source).not.toMatch(/new URL\(`/);
  });

  it('reads every asset, and none starts with the gzip magic once inflated', async () => {
    for (const name of ASSET_NAMES) {
      const packed = readFileSync(assetUrl(name));
      const bytes = await readAsset(name);
      expect(Buffer.from(bytes).equals(gunzipSync(packed)), name).toBe(true);
      // So a server that inflated the file on the way (Content-Encoding: gzip) is
      // told apart from one that did not.
      expect(isGzip(bytes), name).toBe(false);
    }
  });

  it('rejects a name that is not bundled', async () => {
    expect(() => assetUrl('glue/qqp/train.tsv' as never)).toThrow(
      /no bundled asset "glue\/qqp\/train.tsv"/,
    );
    await expect(readAsset('nope' as never)).rejects.toThrow(/no bundled asset/);
  });
});
