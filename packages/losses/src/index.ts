// @kd/losses: knowledge-distillation losses as pure functions of tensors and
// `loss:<id>` registry entries, and a distiller that combines any of them.
// Browser-safe; shard files live in `@kd/losses/node`, the experiment's
// tasks in `@kd/losses/tasks`.
import { definePlugin } from '@kd/core';
import { lossEntries } from './losses/entries.js';

export {
  type DistillBatch,
  Distiller,
  type DistillerOptions,
  type DistillLoss,
  type DistillOptimizer,
  type DistillTermSpec,
  type PlannedTerm,
  type StepLog,
  type TrainOptions,
  type TrainResult,
} from './distiller.js';
export {
  defaultForward,
  type FeatureRequest,
  type Features,
  type ForwardFn,
  LAYER_FEATURES,
  type LayerFeature,
  type ModelInputs,
  type ModelShape,
  probeModel,
  runWithFeatures,
} from './features.js';
export {
  type LayerMapSpec,
  type LayerPair,
  layerMapSchema,
  type ResolveLayerMapOptions,
  resolveLayerMap,
} from './layer-map.js';
export { type AttentionLossOptions, attentionKl, attentionMse } from './losses/attention.js';
export {
  type AttentionLayerShape,
  type FeatureKind,
  type LossInputs,
  lossEntries,
} from './losses/entries.js';
export {
  type CrossEntropyOptions,
  causalLmCrossEntropy,
  crossEntropyLoss,
  IGNORE_INDEX,
  type LabelInput,
} from './losses/hard-label.js';
export {
  type HiddenLossOptions,
  hiddenCosine,
  hiddenMse,
  type Projection,
  project,
} from './losses/hidden.js';
export {
  generalizedJsd,
  type LogitLossOptions,
  logitKd,
  logitMse,
  softCrossEntropy,
} from './losses/logits.js';
export { type RelationLossOptions, selfRelationKl } from './losses/relation.js';
export { type MaskInput, maskedMean } from './masks.js';
export { Projections } from './projections.js';
export {
  PROGRESS_SCHEDULES,
  type ProgressSchedule,
  resolveSchedule,
  type ValueSchedule,
  valueScheduleSchema,
} from './schedules.js';
export {
  encodeTeacherShard,
  parseTeacherIndex,
  TEACHER_OUTPUTS_FORMAT,
  type TeacherOutputsIndex,
  teacherOutputsFromShards,
} from './shards.js';
export {
  assertFrozen,
  featureKey,
  LiveTeacher,
  MemoryTeacherOutputs,
  PrecomputedTeacher,
  parseFeatureKey,
  precomputeTeacherOutputs,
  requestKeys,
  type TeacherOutputStore,
  type TeacherSource,
} from './teacher.js';
export { VERSION } from './version.js';

/** Every `loss:<id>` entry: `registry.register(plugin)`. */
export const plugin = definePlugin({
  meta: { name: '@kd/losses', version: '0.1.0', apiVersion: '1.0.0' },
  provides: lossEntries,
});
