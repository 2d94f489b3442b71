// The browser tests load the built page (dist/), exactly what `pnpm build`
// ships. turbo builds it before `test`; a stale or missing build (editing and
// rerunning here) is rebuilt first.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newest(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

export default async function setup(): Promise<void> {
  const built = join(root, 'dist/index.html');
  const sources = ['src', 'index.html', 'bench.html', 'vite.config.ts'].map((p) => join(root, p));
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newest))) return;
  await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
}
