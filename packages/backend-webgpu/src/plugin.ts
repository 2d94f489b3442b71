import { defineEntry, definePlugin, type Plugin } from '@kd/core';
import { optionsSchema } from './options.js';
import { WebGPUKernelProvider } from './provider.js';
import { VERSION } from './version.js';

/** The registry entry `kernel:webgpu`: kd's setup of and fixes for tfjs' WebGPU backend. */
export const webgpuKernels = defineEntry({
  kind: 'kernel',
  id: 'webgpu',
  description:
    "tfjs' WebGPU backend for browsers and Node (Dawn): adapter and limits chosen for tfjs' kernels, startup bug worked around, adapter report",
  options: optionsSchema,
  create: (options) => new WebGPUKernelProvider(options),
});

/** Everything @kd/backend-webgpu provides to the registry: `registry.register(plugin)`. */
export const plugin: Plugin = definePlugin({
  meta: { name: '@kd/backend-webgpu', version: VERSION, apiVersion: '1.0.0' },
  provides: [webgpuKernels],
});
