// @kd/nn: a PyTorch-style module tree on tfjs-core with Hugging Face names,
// transformer models with taps, checkpoint I/O and generation. Browser-safe;
// file helpers live in `@kd/nn/node`.

// Checkpoints
export {
  type HFFiles,
  type HFLoadReport,
  type LoadHFOptions,
  loadHF,
  resolveHFConfig,
  type SaveHFOptions,
  saveHF,
} from './checkpoints/hf.js';
export {
  type Llama2cHeader,
  llama2cConfig,
  loadLlama2c,
  readLlama2c,
  readLlama2cHeader,
  saveLlama2c,
} from './checkpoints/llama2c.js';
// Generation
export { type GenerateOptions, type GenerateResult, generate } from './generate/generate.js';
export {
  argmax,
  createSampler,
  llama2cSampler,
  type Sampler,
  type SamplingOptions,
} from './generate/sampling.js';
export { type Init, initValues, normal, ones, torchLinearInit, zeros } from './init.js';

// Layers
export {
  ACTIVATION_NAMES,
  type ActivationName,
  activation,
  gelu,
  geluTanh,
  silu,
} from './layers/activations.js';
export {
  type AttendOptions,
  type AttentionCallOptions,
  attend,
  type LayerKV,
  MultiHeadAttention,
  type MultiHeadAttentionOptions,
  mergeHeads,
  splitHeads,
} from './layers/attention.js';
export { Dropout, dropoutState, seedDropout, setDropoutState } from './layers/dropout.js';
export { Embedding, type EmbeddingOptions } from './layers/embedding.js';
export { FeedForward, type FeedForwardOptions, SwiGLU } from './layers/feed-forward.js';
export { Conv1D, Linear, type LinearOptions } from './layers/linear.js';
export { additiveMask, type MaskOptions } from './layers/masks.js';
export { LayerNorm, RMSNorm } from './layers/norm.js';
export { permuteForInterleaved, permuteForRotateHalf, RotaryEmbedding } from './layers/rotary.js';

// Models
export {
  ARCHITECTURES,
  type Architecture,
  architectureOf,
  FAMILIES,
  findArchitecture,
  type ModelFamily,
  type ModelType,
} from './models/architectures.js';
export * from './models/bert.js';
export { camelToSnake, type ModelOptions, snakeToCamel } from './models/config.js';
export {
  type CausalLanguageModel,
  cacheLength,
  type DecoderInputs,
  type DecoderOutput,
  disposeCache,
  type KVCache,
} from './models/decoder.js';
export * from './models/distilbert.js';
export {
  type EncoderInputs,
  type EncoderLayer,
  EncoderLayers,
  type EncoderOutput,
} from './models/encoder.js';
export * from './models/gpt2.js';
export { type IntInput, intTensor } from './models/inputs.js';
export * from './models/llama.js';
export {
  type ForwardHook,
  type LoadReport,
  type LoadStateDictOptions,
  Module,
  type Parameter,
  type StateValue,
} from './module.js';
export { ModuleList } from './module-list.js';
export { matchesAny, matchesName, type NamePattern } from './patterns.js';
export { architectureId, plugin } from './plugin.js';

// Pretraining
export {
  causalLmLoss,
  crossEntropy,
  IGNORE_INDEX,
  maskedLmLoss,
} from './pretrain/losses.js';
export { type MaskingOptions, maskTokens } from './pretrain/masking.js';
export {
  clipByGlobalNorm,
  type LanguageModel,
  type LmBatch,
  type OptimizerLike,
  type StepOptimizer,
  type TrainLanguageModelOptions,
  type TrainLanguageModelResult,
  trainLanguageModel,
} from './pretrain/train.js';
export {
  MASK_VALUE,
  TAP_KINDS,
  type TapKind,
  type Tapped,
  type TapRequest,
  type TapSink,
  type Taps,
  tapsFor,
  withTaps,
} from './taps.js';
export { VERSION } from './version.js';
