export * from './backend/init.js';
export {
  type CpuBackendLike,
  trainingKernels,
  type WasmBackendLike,
} from './backend/segment-sum.js';
export * from './checkpoint-store.js';
export { type EntryRef, entryRef } from './entry-ref.js';
export * from './errors.js';
export * from './progress.js';
export * from './recipe.js';
export * from './registry.js';
export * from './results.js';
export { Rng, type RngState } from './rng.js';
export * from './safetensors/index.js';
export { isApiCompatible, parseSemVer } from './semver.js';
export { closestNames, didYouMean, editDistance } from './suggest.js';
export * from './task.js';
export * from './tensor-checks.js';
// Carries tfjs' chained-op type augmentation (`x.add(y)`) to consumers' d.ts.
export type {} from './vendor/tfjs-extras.js';
export { VERSION } from './version.js';
export { formatPath, type Issue, zodIssues } from './zod-issues.js';
