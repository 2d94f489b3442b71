export type { AdapterDescription, GPUSource } from './adapter.js';
export { canReadSync } from './backend.js';
export {
  COMPUTE_LIMITS,
  deviceDescriptor,
  MINIMUM_LIMITS,
  OPTIONAL_FEATURES,
} from './device-request.js';
export type {
  FeatureLevel,
  GPUAdapterInfoLike,
  GPUAdapterLike,
  GPUDeviceDescriptorLike,
  GPUDeviceLike,
  GPULike,
} from './gpu-types.js';
export {
  DAWN_BACKENDS,
  type DawnBackend,
  optionsSchema,
  type WebGPUOptions,
  type WebGPUOptionsInput,
} from './options.js';
export { plugin, webgpuKernels } from './plugin.js';
export { WebGPUKernelProvider } from './provider.js';
export { disposeWebGPU, setupWebGPU, type WebGPUInfo, webgpuInfo } from './setup.js';
export { VERSION } from './version.js';
