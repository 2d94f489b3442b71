import type { KernelProvider } from '@kd/core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import type { WebGPUOptionsInput } from './options.js';
import { setupWebGPU, type WebGPUInfo, webgpuInfo } from './setup.js';

/**
 * The `kernel:webgpu` registry entry's product. initBackend shows `describe()` in its
 * report (`kd doctor`); `setup()` is what a backend-setup hook in initBackend would
 * call before `tf.setBackend('webgpu')` (today callers run setupWebGPU themselves).
 * Its kernel list is empty: setupWebGPU installs the fixes itself, so that plain
 * `tf.setBackend('webgpu')` gets them too and switching backends never removes them.
 */
export class WebGPUKernelProvider implements KernelProvider {
  readonly backend: string;
  readonly #options: WebGPUOptionsInput;

  constructor(options: WebGPUOptionsInput = {}) {
    this.#options = options;
    this.backend = options.name ?? 'webgpu';
  }

  /**
   * Sets WebGPU up unless a setup under this backend name is live. When initBackend
   * is choosing the fastest backend (`auto`), software adapters are refused unless the
   * options allow them: SwiftShader or llvmpipe would be slower than wasm.
   */
  async setup({ auto = false }: { auto?: boolean } = {}): Promise<WebGPUInfo> {
    const info = webgpuInfo();
    if (info && info.backend === this.backend && !info.lost) {
      if (!(auto && info.software && this.#options.allowSoftware !== true)) return info;
    }
    return setupWebGPU({
      ...this.#options,
      allowSoftware: this.#options.allowSoftware ?? !auto,
    });
  }

  kernels(): KernelConfig[] {
    return [];
  }

  describe(): Record<string, string | number | boolean> {
    const info = webgpuInfo();
    if (!info || info.backend !== this.backend) return { active: false };
    return {
      active: !info.lost,
      source: info.dawnBackend ? `dawn:${info.dawnBackend}` : info.source,
      adapter:
        [info.adapter.vendor, info.adapter.architecture, info.adapter.device]
          .filter(Boolean)
          .join(' ') || info.adapter.description,
      featureLevel: info.featureLevel,
      fallbackAdapter: info.fallbackAdapter,
      software: info.software,
      syncReads: info.syncReads,
      maxBufferSize: info.limits.maxBufferSize ?? 0,
      maxStorageBufferBindingSize: info.limits.maxStorageBufferBindingSize ?? 0,
      maxComputeInvocationsPerWorkgroup: info.limits.maxComputeInvocationsPerWorkgroup ?? 0,
      timestampQuery: info.features.includes('timestamp-query'),
      fixes: info.fixes.join(', ') || 'none',
      ...(info.lost ? { lost: `${info.lost.reason}: ${info.lost.message}` } : {}),
    };
  }
}
