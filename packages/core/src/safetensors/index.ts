// safetensors: read, validate and write the format Hugging Face uses for
// weights, in memory (browser-safe). File access lives in @kd/core/node.
export { decodeSafetensors, decodeTensorBytes } from './decode.js';
export {
  dtypeBits,
  isSafetensorsDType,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
} from './dtypes.js';
export { compareCodePoints, encodeSafetensors, type SafetensorsTensorInput } from './encode.js';
export { type SafetensorsErrorReason, SafetensorsFormatError } from './format-error.js';
export {
  MAX_HEADER_SIZE,
  parseHeaderBytes,
  readHeaderLength,
  readSafetensorsHeader,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './header.js';
export { decodeSmallFloats, encodeSmallFloat, encodeSmallFloats } from './small-floats.js';
export {
  type SafetensorsSummary,
  type SafetensorsSummaryRow,
  type SafetensorsTotals,
  summarizeSafetensors,
} from './summary.js';
export { fromStoredTensor, toStoredTensor } from './tensor-convert.js';
export type {
  DecodedSafetensors,
  DecodeSafetensorsOptions,
  SafetensorsData,
  SafetensorsTensor,
} from './types.js';
