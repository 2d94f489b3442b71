import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type BackendName,
  type Profile,
  type Progress,
  type TaskResult,
  ValidationError,
} from '@kd/core';
import { writeFileAtomic } from '@kd/core/node';
import { writeReport } from '../commands/report.js';
import { bundledRecipes } from '../recipes.js';
import type { ReportDocument } from '../report/html.js';
import { prepareRecipe, runRecipe } from '../runner.js';
import { DEMO_SYSTEMS, type DemoSystem } from './stages.js';

export interface DemoOptions {
  out: string;
  profile: Profile;
  seed?: number;
  only?: string[];
  backend: BackendName;
  threads?: number;
  progress: Progress;
  signal: AbortSignal;
  /** Overrides the stage list (tests). */
  systems?: DemoSystem[];
}

export interface DemoStageTiming {
  recipe: string;
  seconds: number;
  reused: boolean;
}

/** A finished run is reused when recipe, profile and seed are unchanged. */
async function finishedRun(
  dir: string,
  source: unknown,
  profile: string,
  seed: number,
): Promise<TaskResult | undefined> {
  const path = join(dir, 'results.json');
  if (!existsSync(path)) return undefined;
  try {
    const r = JSON.parse(await readFile(path, 'utf8')) as TaskResult;
    const p = r.provenance;
    if (
      p &&
      p.profile === profile &&
      p.seed === seed &&
      JSON.stringify(p.recipe) === JSON.stringify(source)
    ) {
      return r;
    }
  } catch {
    // A damaged results file means the stage runs again (its checkpoints resume it).
  }
  return undefined;
}

/**
 * Runs every system's bundled recipes, writing `<out>/runs/<recipe>/` (each
 * with checkpoints, so an interrupted demo resumes where it stopped) and,
 * after every stage, `<out>/results.json` and `<out>/index.html`.
 */
export async function runDemo(
  options: DemoOptions,
): Promise<{ doc: ReportDocument; timings: DemoStageTiming[] }> {
  const systems = (options.systems ?? DEMO_SYSTEMS).filter(
    (s) => !options.only?.length || options.only.includes(s.system),
  );
  if (options.only?.length) {
    const known = (options.systems ?? DEMO_SYSTEMS).map((s) => s.system);
    const unknown = options.only.filter((o) => !known.includes(o));
    if (unknown.length) {
      throw new ValidationError(
        `--only: unknown system ${unknown.map((u) => `"${u}"`).join(', ')}; systems are ${known.join(', ')}`,
      );
    }
  }
  const available = new Map((await bundledRecipes()).map((r) => [r.name, r.path]));
  // Validate everything first: a broken stage should fail in a second, not after ten minutes.
  const plan = [];
  for (const system of systems) {
    for (const name of system.recipes) {
      const path = available.get(name) ?? (existsSync(name) ? resolve(name) : undefined);
      if (!path) {
        throw new ValidationError(
          `demo stage "${name}" has no bundled recipe; bundled: ${[...available.keys()].join(', ')}`,
        );
      }
      plan.push({
        system,
        name,
        path,
        recipe: await prepareRecipe(path, { profile: options.profile, seed: options.seed }),
      });
    }
  }

  const out = resolve(options.out);
  const doc: ReportDocument = {
    title: `kd demo (${options.profile} profile)`,
    generatedAt: new Date().toISOString(),
    sections: systems.map((s) => ({ system: s.system, title: s.title, results: [] })),
  };
  const timings: DemoStageTiming[] = [];
  for (const [i, step] of plan.entries()) {
    const dir = join(out, 'runs', step.name.replace(/\//g, '__'));
    const t0 = performance.now();
    options.progress.log(`[${i + 1}/${plan.length}] ${step.name}`);
    let result = await finishedRun(dir, step.recipe.source, step.recipe.profile, step.recipe.seed);
    const reused = result !== undefined;
    if (!result) {
      result = await runRecipe(step.path, step.recipe, {
        out: dir,
        backend: options.backend,
        threads: options.threads,
        progress: options.progress,
        signal: options.signal,
      });
    }
    timings.push({ recipe: step.name, seconds: (performance.now() - t0) / 1000, reused });
    doc.sections.find((s) => s.system === step.system.system)!.results.push(result);
    await writeFileAtomic(
      join(out, 'results.json'),
      `${JSON.stringify({ ...doc, timings }, null, 2)}\n`,
    );
    await writeReport(out);
  }
  return { doc, timings };
}
