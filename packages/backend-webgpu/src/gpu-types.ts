/**
 * The slice of the WebGPU API this package touches, typed structurally so that the
 * published declarations need no `@webgpu/types` and tests can pass fakes. The real
 * objects (`navigator.gpu`, Dawn's `create()`) satisfy these interfaces.
 */

export type FeatureLevel = 'core' | 'compatibility';

export interface GPURequestAdapterOptionsLike {
  powerPreference?: 'low-power' | 'high-performance';
  featureLevel?: FeatureLevel;
  forceFallbackAdapter?: boolean;
}

export interface GPUAdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
  readonly subgroupMinSize?: number;
  readonly subgroupMaxSize?: number;
}

/** `GPUSupportedLimits`: named numeric properties (on the prototype in browsers). */
export type GPULimitsLike = Readonly<Record<string, number | undefined>>;

export interface GPUDeviceDescriptorLike {
  label?: string;
  requiredFeatures?: string[];
  requiredLimits?: Record<string, number>;
}

export interface GPUDeviceLostInfoLike {
  readonly reason: string;
  readonly message: string;
}

export interface GPUDeviceLike {
  readonly features: ReadonlySet<string>;
  readonly limits: GPULimitsLike;
  readonly lost: Promise<GPUDeviceLostInfoLike>;
  readonly queue: unknown;
  destroy(): void;
}

export interface GPUAdapterLike {
  readonly features: ReadonlySet<string>;
  readonly limits: GPULimitsLike;
  /** Current spec; older browsers only have `requestAdapterInfo()`. */
  readonly info?: GPUAdapterInfoLike;
  /** Deprecated in the spec (moved to `info`), still reported by some browsers. */
  readonly isFallbackAdapter?: boolean;
  /** Chromium reports the level an adapter was created at. */
  readonly featureLevel?: string;
  requestAdapterInfo?(): Promise<GPUAdapterInfoLike>;
  requestDevice(descriptor?: GPUDeviceDescriptorLike): Promise<GPUDeviceLike>;
}

export interface GPULike {
  requestAdapter(options?: GPURequestAdapterOptionsLike): Promise<GPUAdapterLike | null>;
}
