import { registry } from '@kd/core';
import type { Command } from 'commander';
import { printJson, renderTable } from '../output.js';
import { loadPlugins } from '../plugins.js';

export function registerPluginsCommand(program: Command): void {
  program
    .command('plugins')
    .description('list every registered entry: kind, id, package and version')
    .option('--kind <kind>', 'only entries of this kind (loss, optimizer, metric, task, …)')
    .option('--plugin <module...>', 'also load these plugin modules first')
    .option('--json', 'print JSON')
    .action(async (opts: { kind?: string; plugin?: string[]; json?: boolean }) => {
      await loadPlugins(opts.plugin ?? []);
      const entries = registry
        .list()
        .filter((e) => !opts.kind || e.kind === opts.kind)
        .map((e) => ({
          kind: e.kind,
          id: e.id,
          package: e.plugin.name,
          version: e.plugin.version,
          description: e.description,
        }));
      if (opts.json) return printJson(entries);
      process.stdout.write(
        `${renderTable(
          ['kind', 'id', 'package', 'version', 'description'],
          entries.map((e) => [e.kind, e.id, e.package, e.version, e.description]),
        )}\n${entries.length} entries from ${registry.plugins().length} plugins\n`,
      );
    });
}
