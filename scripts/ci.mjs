// The whole test suite, exactly as CI runs it (`.ci/run` calls the README's
// second command, which lands here). Installs what tests need from Debian
// when missing (Chromium for the browser suites), then builds, type-checks,
// lints and tests every package through turbo.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function run(cmd, args, opts = {}) {
  process.stderr.write(`\n$ ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** Debian packages the browser and Dawn suites need, installed when missing. */
const DEBIAN_PACKAGES = ['chromium', 'libegl1', 'libgl1-mesa-dri'];

function ensureDebianPackages() {
  const missing = DEBIAN_PACKAGES.filter(
    (p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    process.stderr.write(
      `missing ${missing.join(', ')} and cannot install them here (needs root and apt-get)\n`,
    );
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], { env });
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env });
}

// The browser suites (WebGPU parity, playground, report screenshots) drive
// Debian's Chromium through playwright-core; the Node WebGPU parity runs on
// Mesa's llvmpipe through EGL.
ensureDebianPackages();

const started = Date.now();
run('biome', ['check', '.']);
run('turbo', [
  'run',
  'build',
  'typecheck',
  'lint',
  'test',
  '--output-logs=errors-only',
  '--concurrency=2',
  // One run reports every failing package, not just the first.
  '--continue',
]);
process.stderr.write(
  `\nci: all green in ${((Date.now() - started) / 1000).toFixed(0)} s on ${execFileSync('nproc').toString().trim()} cores\n`,
);
