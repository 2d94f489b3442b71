import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseTriples, readAsset, streamTriples } from '../src/index.js';
import {
  assetPath,
  readAssetSync,
  readDataFile,
  readDataFileText,
  streamDataFile,
} from '../src/node/index.js';
import { fixture } from './helpers.js';

describe('@kd/data/node', () => {
  it('reads bundled assets synchronously, the same bytes as readAsset', async () => {
    expect(assetPath('kg/umls/train.txt')).toMatch(/assets\/kg\/umls\/train\.txt\.gz$/);
    expect(
      Buffer.from(readAssetSync('kg/umls/train.txt')).equals(
        Buffer.from(await readAsset('kg/umls/train.txt')),
      ),
    ).toBe(true);
  });

  it('reads plain and gzipped files, and streams a .gz file into a reader', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kd-node-'));
    const text = fixture('kg/fb15k-237/valid.txt');
    writeFileSync(join(dir, 'valid.txt.gz'), gzipSync(text));
    writeFileSync(
      join(dir, 'bom.txt'),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('hi')]),
    );
    expect(Buffer.from(await readDataFile(join(dir, 'valid.txt.gz'))).equals(text)).toBe(true);
    expect(await readDataFileText(join(dir, 'bom.txt'))).toBe('hi');
    const triples = [];
    for await (const t of streamTriples(streamDataFile(join(dir, 'valid.txt.gz')))) triples.push(t);
    expect(triples).toEqual(parseTriples(text.toString()));
  });
});
