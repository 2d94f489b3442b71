export type { KernelCounters } from './kernels/context.js';
export { plugin, pluginWith, wasmSimdKernels } from './plugin.js';
export {
  DEFAULT_OPTIONS,
  KERNEL_NAMES,
  type WasmKernelOptions,
  WasmKernelProvider,
} from './provider.js';
export { type ThreadSupport, threadSupport } from './runtime/platform.js';
export { liveWorkers } from './runtime/pool.js';
export { livePrivateSpaces } from './runtime/private-space.js';
