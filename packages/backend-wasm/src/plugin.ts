import { defineEntry, definePlugin, type Plugin } from '@kd/core';
import { z } from 'zod';
import { DEFAULT_OPTIONS, type WasmKernelOptions, WasmKernelProvider } from './provider.js';
import { VERSION } from './version.js';

const optionsSchema = (defaults: WasmKernelOptions) =>
  z
    .object({
      spin: z.number().int().min(0).default(defaults.spin),
      maxMemoryMiB: z.number().int().min(64).max(4096).default(defaults.maxMemoryMiB),
      minParallelFlops: z.number().min(0).default(defaults.minParallelFlops),
      zeroCopy: z.boolean().default(defaults.zeroCopy),
      only: defaults.only
        ? z.array(z.string()).default(defaults.only)
        : z.array(z.string()).optional(),
    })
    .strict();

function entryWith(defaults: WasmKernelOptions) {
  return defineEntry({
    kind: 'kernel',
    id: 'wasm-simd',
    description:
      'WASM-SIMD kernels (packed, cache-blocked GEMM for every matMul variant, softmax, ' +
      'layer-norm pieces, GELU, gather/scatter) with a worker pool, for the wasm backend',
    options: optionsSchema(defaults),
    create: (o) => new WasmKernelProvider(o),
  });
}

/** The registry entry `kernel:wasm-simd`: kd's SIMD (+threads) kernels for tfjs-wasm. */
export const wasmSimdKernels = entryWith(DEFAULT_OPTIONS);

/** Everything @kd/backend-wasm provides to the registry: `registry.register(plugin)`. */
export const plugin: Plugin = definePlugin({
  meta: { name: '@kd/backend-wasm', version: VERSION, apiVersion: '1.0.0' },
  provides: [wasmSimdKernels],
});

/**
 * The plugin with other defaults for its options (initBackend creates providers with
 * no options): register it instead of `plugin`, e.g.
 * `registry.register(pluginWith({ spin: 0 }), { override: true })`.
 */
export function pluginWith(options: Partial<WasmKernelOptions>): Plugin {
  const defaults = optionsSchema(DEFAULT_OPTIONS).parse({ ...DEFAULT_OPTIONS, ...options });
  return definePlugin({ meta: plugin.meta, provides: [entryWith(defaults)] });
}
