// Packs workspace packages exactly as `pnpm publish` would (workspace: and
// catalog: specifiers rewritten), installs the tarballs with plain npm into an
// empty folder, and runs ESM code there: proof that a package works on its
// own, outside the monorepo. Used by the selective-install tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const pnpm =
  process.env.npm_execpath && /pnpm/.test(process.env.npm_execpath)
    ? [process.execPath, process.env.npm_execpath]
    : ['pnpm'];

/** Packs each package directory (relative to the repo) into `dest`; returns tarball paths. */
export function pack(packageDirs, dest) {
  return packageDirs.map((dir) => {
    const before = new Set(readdirSync(dest));
    execFileSync(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', dest], {
      cwd: join(repo, dir),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const made = readdirSync(dest).filter((f) => f.endsWith('.tgz') && !before.has(f));
    if (made.length !== 1) throw new Error(`pnpm pack in ${dir} made ${made.length} tarballs`);
    return join(dest, made[0]);
  });
}

/**
 * A fresh folder with `{ "type": "module" }`, the packed packages and
 * `registryDeps` (e.g. `@tensorflow/tfjs-core@4.22.0`) installed by npm.
 */
export function packInstall(packageDirs, registryDeps = []) {
  const dir = mkdtempSync(join(tmpdir(), 'kd-pack-'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  const tarballs = pack(packageDirs, dir);
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...registryDeps],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return dir;
}

/** Runs an ES module source in `dir` with plain Node; returns stdout. */
export function runModule(dir, source) {
  const file = join(dir, `check-${Date.now()}.mjs`);
  writeFileSync(file, source);
  return execFileSync(process.execPath, [file], { cwd: dir }).toString();
}
