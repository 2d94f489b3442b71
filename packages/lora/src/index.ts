// @kd/lora: LoRA-family adapters on @kd/nn models, with PEFT's math, target
// rules and file layout. Browser-safe; directory helpers live in
// `@kd/lora/node`, the bundled experiments in `@kd/lora/tasks`.
export {
  adapterConfigJson,
  adapterConfigText,
  initReplaysOnBase,
  type LoraConfig,
  type LoraConfigInput,
  LoraConfigSchema,
  loraConfig,
  loraScaling,
  type ParsedAdapterConfig,
  PEFT_FORMAT_VERSION,
  parseAdapterConfig,
} from './config.js';
export { initEmbedding, initLinear, type LinearInit } from './init.js';
export { AdapterDict, DoraMagnitude, LoraWeights, ParamDict } from './layers/containers.js';
export { detachedRowNorm } from './layers/dora.js';
export { type AdapterSpec, LoraEmbedding, LoraLayer, LoraLinear } from './layers/lora-layer.js';
export { type LoraPlusGroup, type LoraPlusOptions, loraPlusGroups } from './loraplus.js';
export {
  type Matrix,
  matmul,
  matrix,
  qr,
  type Svd,
  svd,
  svdLowRank,
  transpose,
} from './math/linalg.js';
export {
  type AddAdapterOptions,
  getPeftModel,
  LoraModel,
  type ParameterCounts,
} from './model.js';
export { ORIGINAL, SavedModule } from './modules-to-save.js';
export {
  type AdapterFiles,
  type AdapterInspection,
  type InspectedModule,
  inspectAdapter,
  type LoadAdapterInput,
  type LoadAdapterOptions,
  type LoadedAdapter,
  loadAdapter,
  type SaveAdapterOptions,
  saveAdapter,
} from './peft-files.js';
export { type AdapterFactory, adapterEntries, plugin } from './plugin.js';
export {
  ADAPTER_SUFFIXES,
  type AdapterLoadReport,
  type AdapterStateDictOptions,
  adapterStateDict,
  expectedAdapterShapes,
  loadAdapterStateDict,
  PEFT_PREFIX,
  splitAdapterKey,
} from './state-dict.js';
export {
  type AdaptableKind,
  ALL_LINEAR,
  allLinearTargets,
  DEFAULT_TARGET_MODULES,
  findModulesToSave,
  findTargets,
  isExcluded,
  isTargetModule,
  layerIndex,
  outputEmbeddingName,
  patternValue,
  resolveTargetModules,
} from './targets.js';
export { VERSION } from './version.js';
export { addWeightedAdapter, type CombinationType } from './weighted.js';
