import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The pages cannot drift from code that runs: their code is included from
 * files (`<<< @/examples/...`), every such file is executed by a test here
 * or by its package's own tests, and the few shell lines written inline use
 * commands and flags that exist.
 */
const docs = fileURLToPath(new URL('..', import.meta.url));
const repo = resolve(docs, '..');

function walk(dir: string, keep: (f: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      return ['node_modules', 'api', '.vitepress', 'reference'].includes(name)
        ? []
        : walk(path, keep);
    }
    return keep(path) ? [path] : [];
  });
}

// Hand-written pages only: api/ and reference/ are generated.
const pages = walk(docs, (f) => f.endsWith('.md') && !f.endsWith('README.md')).map((path) => ({
  path,
  name: relative(docs, path),
  text: readFileSync(path, 'utf8'),
}));
const includes = pages.flatMap((p) =>
  [...p.text.matchAll(/^<<< @\/(\S+?)(?:#\S+)?(?:\{[^}]*\})?\s*$/gm)].map((m) => ({
    page: p.name,
    file: resolve(docs, m[1]),
  })),
);
const tests = walk(join(docs, 'test'), (f) => f.endsWith('.test.ts'))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');
const examples = walk(join(docs, 'examples'), () => true);

/** A plugin's module, run by the test beside it (`import … from './index.js'`). */
function importedByExampleTest(file: string): boolean {
  const base = file.split(/[\\/]/).pop()!.replace(/\.ts$/, '.js');
  return examples.some(
    (e) =>
      e.endsWith('.test.ts') &&
      dirname(e) === dirname(file) &&
      readFileSync(e, 'utf8').includes(`from './${base}'`),
  );
}

describe('pages', () => {
  it('every included snippet exists (VitePress would render "path not found" silently)', () => {
    const missing = includes.filter((i) => !existsSync(i.file));
    expect(missing).toEqual([]);
  });

  it('every example file is shown on some page', () => {
    const shown = new Set(includes.map((i) => i.file));
    const unused = examples.filter((f) => !shown.has(f)).map((f) => relative(docs, f));
    expect(unused).toEqual([]);
  });

  it('every example is executed: by a docs test, or by its package’s example test', () => {
    const notRun: string[] = [];
    for (const file of new Set(includes.map((i) => i.file))) {
      const rel = relative(join(docs, 'examples'), file).replaceAll('\\', '/');
      if (!rel.startsWith('..')) {
        const ran =
          (rel.endsWith('.ts') &&
            (rel.endsWith('.test.ts') ||
              tests.includes(`runExample('${rel}'`) ||
              importedByExampleTest(file))) ||
          (rel.endsWith('.sh') && tests.includes(`sh('${rel.split('/').pop()}')`)) ||
          (rel.startsWith('recipes/') && rel.endsWith('.yaml')) ||
          (rel.startsWith('cli/') &&
            rel.endsWith('.yaml') &&
            examples.some(
              (e) => e.endsWith('.sh') && readFileSync(e, 'utf8').includes(rel.split('/').pop()!),
            ));
        if (!ran) notRun.push(rel);
        continue;
      }
      // A file of a package: its own suite must run the examples/ folder it sits in
      // (packages/<name>/test/*.test.ts importing '../examples/...'), or be the
      // example plugin's sources, which its installed-tarball test runs.
      const fromRepo = relative(repo, file).replaceAll('\\', '/');
      const pkg = fromRepo.match(/^(packages|examples)\/([^/]+)\//);
      if (!pkg) {
        notRun.push(fromRepo);
        continue;
      }
      const pkgDir = join(repo, pkg[1], pkg[2]);
      const pkgTests = existsSync(join(pkgDir, 'test'))
        ? walk(join(pkgDir, 'test'), (f) => f.endsWith('.test.ts'))
            .map((f) => readFileSync(f, 'utf8'))
            .join('\n')
        : '';
      const inExamples = fromRepo.startsWith(`${pkg[1]}/${pkg[2]}/examples/`);
      const ran = inExamples
        ? pkgTests.includes("'../examples/'") || pkgTests.includes('`../examples/')
        : pkg[1] === 'examples' && pkgTests.length > 0;
      if (!ran) notRun.push(fromRepo);
    }
    expect(notRun).toEqual([]);
  });

  it('code is included from files, not written inline', () => {
    const inline = pages.flatMap((p) =>
      [...p.text.matchAll(/^```(\w+)/gm)]
        .map((m) => m[1])
        .filter((lang) => !['sh', 'text'].includes(lang))
        .map((lang) => `${p.name}: \`\`\`${lang}`),
    );
    expect(inline).toEqual([]);
  });

  it('inline kd command lines use commands and flags that exist', async () => {
    const { buildProgram } = await import('@kd/cli');
    const program = buildProgram();
    const problems: string[] = [];
    for (const p of pages) {
      for (const block of p.text.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
        for (const raw of block[1].split('\n')) {
          const line = raw.replace(/#.*$/, '').trim();
          if (!/^(pnpm )?kd\b/.test(line) || line.startsWith('pnpm kd --help')) continue;
          const words = line
            .replace(/^pnpm /, '')
            .split(/\s+/)
            .slice(1);
          // biome-ignore lint/suspicious/noExplicitAny: commander's Command, from the untyped dist.
          let cmd: any = program;
          while (words.length && !words[0].startsWith('-')) {
            const sub = cmd.commands.find((c: { name(): string }) => c.name() === words[0]);
            if (!sub) break;
            cmd = sub;
            words.shift();
          }
          if (cmd === program) {
            problems.push(`${p.name}: ${line}: no such command`);
            continue;
          }
          const flags = new Set(
            cmd.options.flatMap((o: { long?: string; short?: string }) => [o.long, o.short]),
          );
          flags.add('--help');
          for (const w of words.filter((w) => w.startsWith('-'))) {
            if (!flags.has(w)) problems.push(`${p.name}: ${line}: kd ${cmd.name()} has no ${w}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('npm install lines name packages of this repository', () => {
    const names = new Set(
      walk(
        join(repo, 'packages'),
        (f) => f.endsWith('/package.json') && !f.includes('node_modules'),
      ).map((f) => JSON.parse(readFileSync(f, 'utf8')).name as string),
    );
    const unknown = pages.flatMap((p) =>
      [...p.text.matchAll(/^npm install (.*)$/gm)].flatMap((m) =>
        m[1]
          .split(/\s+/)
          .filter((w) => w.startsWith('@kd/') && !names.has(w))
          .map((w) => `${p.name}: ${w}`),
      ),
    );
    expect(unknown).toEqual([]);
  });

  it('getting started shows the README’s two commands as they are', () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const page = pages.find((p) => p.name === join('guide', 'getting-started.md'))!.text;
    const commands = (text: string) => text.split('\n').filter((l) => l.startsWith('npx -y pnpm@'));
    expect(commands(page)).toEqual(commands(readme));
    expect(commands(page)).toHaveLength(2);
  });
});
