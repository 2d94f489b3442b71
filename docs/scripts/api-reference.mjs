// The API reference: TypeDoc over every published module's sources, as
// Markdown pages (typedoc-plugin-markdown) with a VitePress sidebar.
import { rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Application, Converter, ReflectionKind } from 'typedoc';
import { docsDir, publishedPackages } from './workspace.mjs';

export async function generateApiReference({ out = join(docsDir, 'api') } = {}) {
  const packages = publishedPackages();
  const modules = packages.flatMap((p) => p.modules);
  // `@kd/x` and `@kd/x/sub` resolve to the sources, so a type from @kd/core
  // used in @kd/nn links to its one page instead of to a copy in dist/.
  const paths = Object.fromEntries(
    modules.map((m) => [m.specifier, [relative(docsDir, m.file).replaceAll('\\', '/')]]),
  );
  const tsconfig = join(docsDir, '.api-tsconfig.json');
  await writeFile(
    tsconfig,
    `${JSON.stringify(
      {
        extends: '../tsconfig.base.json',
        compilerOptions: { noEmit: true, rootDir: '..', baseUrl: '.', paths, skipLibCheck: true },
        files: modules.map((m) => relative(docsDir, m.file).replaceAll('\\', '/')),
      },
      null,
      2,
    )}\n`,
  );
  try {
    await rm(out, { recursive: true, force: true });
    const app = await Application.bootstrapWithPlugins({
      entryPoints: modules.map((m) => m.file),
      entryPointStrategy: 'resolve',
      tsconfig,
      plugin: ['typedoc-plugin-markdown', 'typedoc-vitepress-theme'],
      out,
      docsRoot: docsDir,
      readme: 'none',
      name: 'API reference',
      skipErrorChecking: true,
      excludePrivate: true,
      excludeInternal: true,
      excludeExternals: true,
      disableSources: true,
      hideGenerator: true,
      sort: ['kind', 'alphabetical'],
      outputFileStrategy: 'modules',
      sanitizeComments: true,
      logLevel: 'Warn',
      validation: { notExported: false, invalidLink: true, notDocumented: false },
    });
    // Module names are the import specifiers (`@kd/core/node`), not file paths.
    app.converter.on('createDeclaration', (_ctx, reflection) => {
      if (reflection.kindOf?.(2 /* Module */)) {
        const m = modules.find((x) =>
          x.file.endsWith(`${reflection.name.replace(/\/index$/, '')}/index.ts`),
        );
        if (m) reflection.name = m.specifier;
      }
    });
    // Inherited members are listed once, on the base class (every @kd/nn model
    // would otherwise repeat Module's thirty methods).
    app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
      const project = context.project;
      for (const owner of project.getReflectionsByKind(ReflectionKind.ClassOrInterface)) {
        for (const child of [...(owner.children ?? [])]) {
          if (child.inheritedFrom) project.removeReflection(child);
        }
      }
    });
    const project = await app.convert();
    if (!project) throw new Error('TypeDoc could not convert the sources');
    await app.generateOutputs(project);
    return { modules: modules.length };
  } finally {
    await rm(tsconfig, { force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = performance.now();
  const r = await generateApiReference();
  console.log(r, ((performance.now() - t0) / 1000).toFixed(1), 's');
}
