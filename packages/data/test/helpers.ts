import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** A gzip test fixture from test/fixtures (never ../shared: CI has only bundled data). */
export function fixture(name: string): Buffer {
  return gunzipSync(readFileSync(new URL(`./fixtures/${name}.gz`, import.meta.url)));
}
export function fixtureJson<T>(name: string): T {
  return JSON.parse(fixture(name).toString('utf8')) as T;
}
