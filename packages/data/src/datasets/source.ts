import { NotFoundError } from '@kd/core';
import { type AssetName, readAssetText } from '../assets.js';
import { decodeText, maybeGunzip, readLocation } from '../io/bytes.js';

/** Reads a data file (path or URL), gunzipping `.gz`/gzip content, as UTF-8 text without BOM. */
export async function readDataText(location: string | URL): Promise<string> {
  const where = String(location);
  return decodeText(await maybeGunzip(await readLocation(location), where));
}

/** Joins a folder (path or URL) and a file name without `node:path`, so it works in browsers. */
export function joinLocation(dir: string | URL, name: string): string | URL {
  if (dir instanceof URL) return new URL(name, dir.href.endsWith('/') ? dir : `${dir.href}/`);
  return `${dir.replace(/[\\/]+$/, '')}/${name}`;
}

/**
 * Reads `name` from `dir`, or `name.gz` when only the compressed copy exists
 * (FB15k-237's train split ships as `train.txt.gz`).
 */
export async function readFromDir(dir: string | URL, name: string): Promise<string> {
  const tried: string[] = [];
  for (const candidate of [name, `${name}.gz`]) {
    const loc = joinLocation(dir, candidate);
    tried.push(String(loc));
    try {
      return await readDataText(loc);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
  throw new NotFoundError(`no ${name} (or ${name}.gz) in ${String(dir)}`, [], {
    where: tried.join(', '),
  });
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return (
    code === 'ENOENT' ||
    code === 'ENOTDIR' ||
    /HTTP 200 reading a data file, got 404/.test(String((error as Error)?.message))
  );
}

/** Where a dataset's files come from: the bundled samples, or a user folder. */
export type DataSource = { kind: 'bundled' } | { kind: 'dir'; dir: string | URL };

export function sourceOf(path: string | undefined): DataSource {
  return path === undefined ? { kind: 'bundled' } : { kind: 'dir', dir: path };
}

/** Text of one file: the bundled asset, or `fileName` inside the user's folder. */
export async function readSourceFile(
  source: DataSource,
  asset: AssetName | undefined,
  fileName: string,
  datasetId: string,
): Promise<string> {
  if (source.kind === 'dir') return readFromDir(source.dir, fileName);
  if (!asset) {
    throw new NotFoundError(
      `${datasetId}: "${fileName}" is not bundled; pass { path: '<folder holding ${fileName}>' }`,
    );
  }
  return readAssetText(asset);
}
