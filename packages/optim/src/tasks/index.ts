// @kd/optim/tasks: the optimiser comparison experiment as a `task:optim-compare`
// registry entry. A separate entry point so that users of the optimisers alone
// do not need @kd/nn, @kd/data or @kd/eval (optional peer dependencies).
import { defineEntry, definePlugin, type Task, type TaskContext, type TaskResult } from '@kd/core';
import { type ComparisonReport, runComparison } from './compare.js';
import { type OptimCompareOptions, optimCompareOptions } from './options.js';
import { toTaskResult } from './report.js';
import { lineChartSvg } from './svg.js';
import type { RunHooks } from './train.js';

export { type ComparisonReport, runComparison, type SweepResult, sweepLrs } from './compare.js';
export {
  bertTokenizer,
  buildCompactVocab,
  type ClassificationData,
  type CompactVocab,
  holdOut,
  prepareTask,
  type SpanData,
  splitSquadByArticle,
  type TaskData,
} from './data.js';
export { decodeSpans, evaluate, MAIN_METRIC, majorityAccuracy, TASK_METRICS } from './evaluate.js';
export {
  type Arm,
  type ArmInput,
  armSchema,
  COMPARE_TASKS,
  type CompareTask,
  type ModelConfig,
  modelSchema,
  type OptimCompareInput,
  type OptimCompareOptions,
  optimCompareOptions,
  type SweepOptions,
  settingsFor,
  type TaskSettings,
} from './options.js';
export { PUBLISHED } from './published.js';
export { toTaskResult } from './report.js';
export { lineChartSvg } from './svg.js';
export {
  armOptimizer,
  createModel,
  type RunHooks,
  type RunProgress,
  type RunResult,
  type RunSpec,
  trainRun,
} from './train.js';

/** Writes the raw runs (per-step losses, hashes) as JSON and each loss plot as SVG beside results.json. */
async function writeArtifacts(
  dir: string,
  report: ComparisonReport,
  result: TaskResult,
): Promise<void> {
  const { writeFileAtomic } = await import('@kd/core/node');
  const { join } = await import('node:path');
  await writeFileAtomic(
    join(dir, 'optim-compare-runs.json'),
    `${JSON.stringify(report, null, 1)}\n`,
  );
  for (const plot of result.plots) {
    if (plot.kind === 'line')
      await writeFileAtomic(join(dir, `${plot.id}.svg`), lineChartSvg(plot));
  }
}

/** Runs the comparison and renders its result (what `kd run` calls). */
export async function runOptimCompare(
  options: OptimCompareOptions,
  ctx: TaskContext,
  hooks?: RunHooks,
): Promise<TaskResult> {
  const report = await runComparison(options, ctx, hooks);
  const result = toTaskResult(report);
  if (ctx.outDir) await writeArtifacts(ctx.outDir, report, result);
  return result;
}

export const optimCompareTask = defineEntry({
  kind: 'task',
  id: 'optim-compare',
  description:
    'SGD … Adam and the adaptive family (AdamW, LAMB, Lion, AdaBelief, Adafactor, schedule-free AdamW) training one tiny BERT on GLUE and SQuAD from identical weights and batches',
  options: optimCompareOptions,
  create: (options): Task => ({ run: (ctx) => runOptimCompare(options, ctx) }),
});

/** The experiment tasks of @kd/optim: `registry.register(tasksPlugin)`. */
export const tasksPlugin = definePlugin({
  meta: { name: '@kd/optim/tasks', version: '0.1.0', apiVersion: '1.0.0' },
  provides: [optimCompareTask],
});

/** `kd run --plugin @kd/optim/tasks` and a recipe's `plugins:` load this default export. */
export default tasksPlugin;
