import { BackendError } from '@kd/core';
import type { GPUAdapterLike, GPUDeviceDescriptorLike, GPULimitsLike } from './gpu-types.js';
import type { WebGPUOptions } from './options.js';

/**
 * The limits tfjs' WebGPU kernels are sized by. tfjs itself requests the first six
 * at the adapter's maximum; compatibility-level adapters start the workgroup sizes
 * and storage-buffer count low (128 invocations, 4 buffers) although the hardware
 * allows more, so those are raised too.
 */
export const COMPUTE_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxStorageBuffersPerShaderStage',
] as const;

/**
 * What tfjs-backend-webgpu 4.22's shaders need at least: many programs use 256-wide
 * workgroups ([256,1,1] elementwise, [16,16,1] and [8,8,1]×4 tiles for matmul).
 */
export const MINIMUM_LIMITS: Readonly<Record<string, number>> = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 16,
  maxComputeWorkgroupStorageSize: 16_384,
  maxStorageBuffersPerShaderStage: 4,
};

/**
 * Features requested whenever the adapter has them: a core device from an adapter
 * that was asked for at compatibility level but can do core, timestamp queries (tfjs
 * times kernels with them) and bgra8unorm storage textures (`tf.browser.draw`).
 */
export const OPTIONAL_FEATURES = [
  'core-features-and-limits',
  'timestamp-query',
  'bgra8unorm-storage',
] as const;

export function readLimits(
  limits: GPULimitsLike,
  names: readonly string[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) {
    // Browsers expose limits as prototype getters, so read by name, not by spreading.
    const value = limits[name];
    if (typeof value === 'number') out[name] = value;
  }
  return out;
}

/**
 * The device descriptor kd asks for. `requiredFeatures` is a flat list of strings:
 * tfjs-backend-webgpu 4.22 pushes `['bgra8unorm-storage']` (an array inside the
 * array). Implementations that follow WebIDL convert that to the string
 * 'bgra8unorm-storage' (Chromium 156 and Dawn's Node binding 0.6.2 both do), others
 * reject it as an unknown feature, so kd never builds the nested form.
 */
export function deviceDescriptor(
  adapter: GPUAdapterLike,
  options: Pick<WebGPUOptions, 'limits' | 'features'>,
): GPUDeviceDescriptorLike & {
  requiredFeatures: string[];
  requiredLimits: Record<string, number>;
} {
  const available = new Set(adapter.features);
  const missing = options.features.filter((f) => !available.has(f));
  if (missing.length > 0) {
    throw new BackendError(
      `the WebGPU adapter lacks required feature${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; it has ${[...available].sort().join(', ') || 'none'}`,
    );
  }
  const requiredFeatures = [
    ...new Set([...OPTIONAL_FEATURES.filter((f) => available.has(f)), ...options.features]),
  ];

  const adapterMax = readLimits(adapter.limits, COMPUTE_LIMITS);
  const requiredLimits: Record<string, number> = options.limits === 'max' ? { ...adapterMax } : {};
  if (typeof options.limits === 'object') {
    Object.assign(requiredLimits, adapterMax);
    for (const [name, value] of Object.entries(options.limits)) {
      const max = adapter.limits[name];
      if (typeof max !== 'number') {
        throw new BackendError(`the WebGPU adapter reports no limit named ${name}`);
      }
      if (value > max) {
        throw new BackendError(
          `requested ${name} = ${value}, but the WebGPU adapter allows at most ${max}`,
        );
      }
      requiredLimits[name] = value;
    }
  }
  return { label: 'kd', requiredFeatures, requiredLimits };
}

/**
 * Throws when the device came out smaller than tfjs' shaders need (a compatibility
 * adapter with `limits: 'default'`, or a per-limit override set too low).
 */
export function checkDeviceLimits(limits: GPULimitsLike): void {
  const short = Object.entries(MINIMUM_LIMITS).filter(([name, min]) => {
    const value = limits[name];
    return typeof value === 'number' && value < min;
  });
  if (short.length > 0) {
    throw new BackendError(
      `the WebGPU device is too small for tfjs' kernels: ${short
        .map(([name, min]) => `${name} is ${limits[name]}, they need ${min}`)
        .join('; ')} (request the adapter's maximum with limits: 'max')`,
    );
  }
}
