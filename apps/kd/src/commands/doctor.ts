import { existsSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import {
  type BackendInfo,
  VERSION as CORE_VERSION,
  formatBytes,
  initBackend,
  registry,
} from '@kd/core';
import type { Command } from 'commander';
import { printJson, renderTable } from '../output.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

async function tryBackend(
  name: 'cpu' | 'wasm' | 'auto',
  threads?: number,
): Promise<BackendInfo | string> {
  try {
    return await initBackend({ backend: name, threads });
  } catch (error) {
    return (error as Error).message;
  }
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('report backends (SIMD, threads), versions, and anything missing')
    .option('--threads <n>', 'threads to ask the wasm backend for', (v) => Number.parseInt(v, 10))
    .option('--json', 'print JSON')
    .action(async (opts: { threads?: number; json?: boolean }) => {
      const backends: Record<string, BackendInfo | string> = {};
      for (const b of ['cpu', 'wasm'] as const) backends[b] = await tryBackend(b, opts.threads);
      backends.auto = await tryBackend('auto', opts.threads);
      const checks: Check[] = [];
      const nodeMajor = Number(process.versions.node.split('.')[0]);
      checks.push({ name: 'node >= 20', ok: nodeMajor >= 20, detail: process.versions.node });
      for (const [name, info] of Object.entries(backends)) {
        checks.push(
          typeof info === 'string'
            ? { name: `backend ${name}`, ok: false, detail: info }
            : {
                name: `backend ${name}`,
                ok: true,
                detail: `${info.backend}, simd=${info.simd}, threads=${info.threads}${info.kernels.length ? `, kd kernels: ${info.kernels.length}` : ''}`,
              },
        );
      }
      const wasm = backends.wasm;
      if (typeof wasm !== 'string') {
        checks.push({
          name: 'wasm SIMD',
          ok: wasm.simd,
          detail: wasm.simd ? 'available' : 'not available: wasm runs scalar code, much slower',
        });
      }
      checks.push({
        name: 'chromium (browser tests)',
        ok: existsSync('/usr/bin/chromium'),
        detail: existsSync('/usr/bin/chromium')
          ? '/usr/bin/chromium'
          : 'not installed (only the browser suite needs it; .ci/run installs it)',
      });
      const report = {
        machine: {
          platform: platform(),
          arch: arch(),
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model,
          memory: totalmem(),
        },
        versions: {
          node: process.versions.node,
          '@kd/core': CORE_VERSION,
          ...Object.fromEntries(registry.plugins().map((p) => [p.name, p.version])),
        },
        backends,
        entries: registry.list().length,
        checks,
      };
      if (opts.json) return printJson(report);
      const m = report.machine;
      process.stdout.write(
        `machine: ${m.platform}/${m.arch}, ${m.cpus} cores (${m.cpuModel ?? 'unknown'}), ${formatBytes(m.memory)}\n`,
      );
      process.stdout.write(
        `versions: ${Object.entries(report.versions)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}\n\n`,
      );
      process.stdout.write(
        `${renderTable(
          ['check', 'ok', 'detail'],
          checks.map((c) => [c.name, c.ok ? 'yes' : 'NO', c.detail]),
        )}\n`,
      );
    });
}
