import { createReadStream, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip, gunzipSync } from 'node:zlib';
import { type AssetName, assetUrl } from '../assets.js';
import { decodeText, isGzip } from '../io/bytes.js';

/** Filesystem path of a bundled asset's `.gz` file. */
export function assetPath(name: AssetName): string {
  return fileURLToPath(assetUrl(name));
}

/** A bundled asset's decompressed bytes, synchronously (Node only). */
export function readAssetSync(name: AssetName): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(assetPath(name))));
}

/** A data file's bytes; `.gz` (or gzip magic) is decompressed. */
export async function readDataFile(path: string): Promise<Uint8Array> {
  const raw = new Uint8Array(await readFile(path));
  return isGzip(raw) ? new Uint8Array(gunzipSync(raw)) : raw;
}

/** A data file as UTF-8 text (gzip decompressed, BOM removed). */
export async function readDataFileText(path: string): Promise<string> {
  return decodeText(await readDataFile(path));
}

/**
 * The file's bytes as a stream of chunks, gunzipped when the name ends in
 * `.gz`: feed it to `lines()` / the streaming readers for files too large to
 * hold as one string (FB15k-237's 21 MB train split, say).
 */
export async function* streamDataFile(path: string): AsyncGenerator<Uint8Array> {
  const source = createReadStream(path);
  const stream = path.endsWith('.gz') ? source.pipe(createGunzip()) : source;
  for await (const chunk of stream) yield chunk as Uint8Array;
}
