import { definePlugin } from '@kd/core';
import { entries } from './entries.js';

export * from './alias.js';
export { applyUpdates } from './apply-updates.js';
export {
  createOptimizer,
  optimizerEntrySchema,
  type ScheduleFactory,
} from './entries.js';
export { type NameMatcher, nameMatcher } from './names.js';
export {
  type ImportReport,
  type ImportStateOptions,
  Optimizer,
  type OptimizerOptions,
  type OptimizerStateData,
  type StepResult,
} from './optimizer.js';
export { type OptimizerId, optimizerOptions } from './options.js';
export { joinSchedules } from './schedules/join.js';
export { oneCycleSchedule } from './schedules/one-cycle.js';
export { type ScheduleId, scheduleOptions } from './schedules/options.js';
export {
  constantSchedule,
  cosineRestartsSchedule,
  cosineSchedule,
  exponentialSchedule,
  linearSchedule,
  multiStepSchedule,
  polynomialSchedule,
  stepSchedule,
} from './schedules/torch.js';
export {
  warmupCosineSchedule,
  warmupLinearSchedule,
  warmupStableDecaySchedule,
} from './schedules/warmup.js';
export {
  disposeState,
  EMPTY_STATE,
  flattenState,
  makeState,
  releaseState,
  type StateEntry,
} from './state.js';
export { addDecayedWeights } from './transforms/add-decayed-weights.js';
export { applyIfFinite, nonFiniteNames } from './transforms/apply-if-finite.js';
export { type Chain, chain, identity, named } from './transforms/chain.js';
export { clip, clipByBlockRms, clipByGlobalNorm } from './transforms/clip.js';
export { emaParams } from './transforms/ema-params.js';
export { emaUpdates } from './transforms/ema-updates.js';
export { hyperparams, injectHyperparams } from './transforms/inject-hyperparams.js';
export { masked } from './transforms/masked.js';
export { multiSteps } from './transforms/multi-steps.js';
export { partition } from './transforms/partition.js';
export {
  type ParamResult,
  type ParamStep,
  type PerParameterSpec,
  perParameter,
  type SlotSpec,
} from './transforms/per-parameter.js';
export { scale } from './transforms/scale.js';
export { scaleByAdadelta } from './transforms/scale-by-adadelta.js';
export { scaleByAdagrad } from './transforms/scale-by-adagrad.js';
export { scaleByAdam } from './transforms/scale-by-adam.js';
export { scaleByAdamax } from './transforms/scale-by-adamax.js';
export { scaleByBelief } from './transforms/scale-by-belief.js';
export { factoredDims, scaleByFactoredRms } from './transforms/scale-by-factored-rms.js';
export { scaleByLearningRate } from './transforms/scale-by-learning-rate.js';
export { scaleByLion } from './transforms/scale-by-lion.js';
export { scaleByNadam } from './transforms/scale-by-nadam.js';
export { scaleByParamBlockRms } from './transforms/scale-by-param-block-rms.js';
export { scaleByRadam } from './transforms/scale-by-radam.js';
export { scaleByRmsprop } from './transforms/scale-by-rmsprop.js';
export { scaleBySgdMomentum } from './transforms/scale-by-sgd-momentum.js';
export { scaleByTrustRatio } from './transforms/scale-by-trust-ratio.js';
export { scheduleFreeAdamW as scaleByScheduleFreeAdamW } from './transforms/schedule-free-adamw.js';
export type {
  GradientTransformation,
  Params,
  ScalarOrSchedule,
  Schedule,
  State,
  Updates,
} from './types.js';

/** Everything @kd/optim provides to the registry: `registry.register(plugin)`. */
export const plugin = definePlugin({
  meta: { name: '@kd/optim', version: '0.1.0', apiVersion: '1.0.0' },
  provides: entries,
});
