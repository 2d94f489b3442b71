export { type ParityCase, type ParityDType, type ParityInput, parityCases } from './cases.js';
export {
  type CompareOptions,
  compareOutput,
  compareParity,
  formatParity,
  type ParityRow,
  worstByClass,
} from './compare.js';
export {
  type ParityCaseResult,
  type ParityOutput,
  type ParityRun,
  type RunParityOptions,
  runParity,
  runParityCase,
} from './run.js';
export { TOLERANCES, type ToleranceClass } from './tolerances.js';
