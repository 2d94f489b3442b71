import type {
  GPUAdapterInfoLike,
  GPUAdapterLike,
  GPUDeviceDescriptorLike,
  GPUDeviceLike,
  GPULike,
} from '../src/index.js';

/** Limits like Chromium's SwiftShader adapter's. */
export const SWIFTSHADER_LIMITS: Record<string, number> = {
  maxComputeWorkgroupStorageSize: 32_768,
  maxComputeWorkgroupsPerDimension: 65_535,
  maxStorageBufferBindingSize: 1_073_741_824,
  maxBufferSize: 1_073_741_824,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeInvocationsPerWorkgroup: 256,
  maxStorageBuffersPerShaderStage: 10,
  maxUniformBufferBindingSize: 65_536,
};

/** The WebGPU defaults a device gets when nothing is requested. */
export const DEFAULT_LIMITS: Record<string, number> = {
  maxComputeWorkgroupStorageSize: 16_384,
  maxComputeWorkgroupsPerDimension: 65_535,
  maxStorageBufferBindingSize: 134_217_728,
  maxBufferSize: 268_435_456,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeInvocationsPerWorkgroup: 256,
  maxStorageBuffersPerShaderStage: 8,
};

export interface FakeDevice extends GPUDeviceLike {
  descriptor: GPUDeviceDescriptorLike | undefined;
  destroyed: boolean;
}

/**
 * An adapter whose limits live on a prototype (as in browsers, where spreading a
 * GPUSupportedLimits gives {}), with a device that records what it was asked for.
 */
export function fakeAdapter(
  options: {
    features?: string[];
    limits?: Record<string, number>;
    info?: GPUAdapterInfoLike;
    isFallbackAdapter?: boolean;
    deviceLimits?: (requested: Record<string, number>) => Record<string, number>;
    refuse?: string;
  } = {},
): GPUAdapterLike & { devices: FakeDevice[] } {
  const limits = Object.create(options.limits ?? SWIFTSHADER_LIMITS);
  const devices: FakeDevice[] = [];
  return {
    features: new Set(options.features ?? ['timestamp-query']),
    limits,
    info: options.info ?? { vendor: 'acme', architecture: 'rdna9', device: 'x1', description: '' },
    ...(options.isFallbackAdapter === undefined
      ? {}
      : { isFallbackAdapter: options.isFallbackAdapter }),
    devices,
    async requestDevice(descriptor?: GPUDeviceDescriptorLike) {
      if (options.refuse) throw new TypeError(options.refuse);
      const requested = descriptor?.requiredLimits ?? {};
      const device: FakeDevice = {
        descriptor,
        destroyed: false,
        features: new Set(descriptor?.requiredFeatures ?? []),
        limits: options.deviceLimits?.(requested) ?? { ...DEFAULT_LIMITS, ...requested },
        lost: new Promise(() => {}),
        queue: {},
        destroy() {
          this.destroyed = true;
        },
      };
      devices.push(device);
      return device;
    },
  };
}

/** A GPU that answers each requestAdapter call with the next item (null: no adapter). */
export function fakeGPU(
  ...answers: (GPUAdapterLike | null | 'hang')[]
): GPULike & { requests: unknown[] } {
  const requests: unknown[] = [];
  let i = 0;
  return {
    requests,
    requestAdapter(options) {
      requests.push(options);
      const answer = answers[Math.min(i++, answers.length - 1)];
      if (answer === 'hang') return new Promise(() => {});
      return Promise.resolve(answer ?? null);
    },
  };
}
