// Where the workspace's packages are, and which modules each one publishes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const docsDir = fileURLToPath(new URL('..', import.meta.url));
export const repoDir = join(docsDir, '..');

/**
 * The published @kd packages (private ones left out) and their public
 * modules: one per `exports` key, mapped from its `dist/*.d.ts` back to the
 * `src/*.ts` it is built from.
 */
export function publishedPackages() {
  const root = join(repoDir, 'packages');
  const out = [];
  for (const name of readdirSync(root).sort()) {
    let pkg;
    try {
      pkg = JSON.parse(readFileSync(join(root, name, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    if (pkg.private || !pkg.name?.startsWith('@kd/')) continue;
    const modules = [];
    for (const [key, target] of Object.entries(pkg.exports ?? {})) {
      const types = typeof target === 'object' ? target.types : undefined;
      if (!types?.startsWith('./dist/') || !types.endsWith('.d.ts')) continue;
      const src = types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts');
      modules.push({
        specifier: key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`,
        file: join(root, name, src),
      });
    }
    out.push({
      dir: join(root, name),
      folder: name,
      name: pkg.name,
      version: pkg.version,
      description: pkg.description,
      modules,
    });
  }
  return out;
}
