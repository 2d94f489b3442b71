import { FormatError } from '@kd/core';

/** True when `bytes` starts with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip data with the platform's `DecompressionStream` (browsers and
 * Node ≥ 18 both have it), so the main entry stays free of `node:zlib`.
 */
export async function gunzip(bytes: Uint8Array, where?: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as BlobPart])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (cause) {
    throw new FormatError('expected valid gzip data; decompression failed', { where, cause });
  }
}

/** Gunzips when the bytes are gzip, otherwise returns them unchanged. */
export async function maybeGunzip(bytes: Uint8Array, where?: string): Promise<Uint8Array> {
  return isGzip(bytes) ? gunzip(bytes, where) : bytes;
}

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * UTF-8 text with a leading byte-order mark removed (GLUE's MRPC files start
 * with one, and it would otherwise glue itself to the first column name).
 */
export function decodeText(input: Uint8Array | string): string {
  const text = typeof input === 'string' ? input : utf8.decode(input);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Reads a file path, a `file:` URL or an http(s) URL to bytes. Node's `fs`
 * is imported lazily through a computed specifier, so browser bundles never
 * pull it in and the main entry stays browser-safe.
 */
export async function readLocation(location: string | URL): Promise<Uint8Array> {
  const url = toUrl(location);
  if (url === undefined || url.protocol === 'file:') {
    const fsName = 'node:fs/promises';
    const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
    return new Uint8Array(await fs.readFile(url ?? (location as string)));
  }
  const res = await fetch(url);
  if (!res.ok) {
    throw new FormatError(`expected HTTP 200 reading a data file, got ${res.status}`, {
      where: url.href,
    });
  }
  return new Uint8Array(await res.arrayBuffer());
}

function toUrl(location: string | URL): URL | undefined {
  if (location instanceof URL) return location;
  if (/^(file|https?|blob|data):/i.test(location)) return new URL(location);
  return undefined; // a plain filesystem path
}
