import { ValidationError, zodIssues } from '@kd/core';
import { z } from 'zod';
import type { GPULike } from './gpu-types.js';

/** Dawn backends the Node path can try, in order (`default` lets Dawn pick). */
export const DAWN_BACKENDS = ['default', 'vulkan', 'opengles', 'metal', 'd3d12', 'd3d11'] as const;
export type DawnBackend = (typeof DAWN_BACKENDS)[number];

export const optionsSchema = z
  .object({
    /** Passed to `requestAdapter` (tfjs asks for 'high-performance'). */
    powerPreference: z.enum(['high-performance', 'low-power']).default('high-performance'),
    /**
     * `auto` asks for a core adapter and, when there is none, a compatibility one
     * (OpenGL ES class: what Mesa's llvmpipe offers Dawn in Node).
     */
    featureLevel: z.enum(['auto', 'core', 'compatibility']).default('auto'),
    /**
     * Accept an adapter that runs on the CPU (SwiftShader, llvmpipe, lavapipe, WARP, or
     * any `isFallbackAdapter`). Right for parity tests; slower than the wasm backend for
     * training, so `false` refuses them with a BackendError that says what was found.
     * Default: true for setupWebGPU; the registry provider's `setup({ auto: true })`
     * (backend 'auto') defaults it to false.
     */
    allowSoftware: z.boolean().optional(),
    /**
     * How long one requestAdapter or requestDevice call may take before it counts as
     * failed (some Chromium flag combinations make requestAdapter hang forever).
     */
    adapterTimeoutMs: z.number().int().positive().default(15_000),
    /** Ask Dawn/the browser for a fallback (CPU) adapter outright. */
    forceFallbackAdapter: z.boolean().default(false),
    /**
     * `max` requests the adapter's maximum for the limits tfjs' kernels are sized by
     * (workgroup size and storage, storage buffers, buffer sizes, dispatch size);
     * `default` requests none (the WebGPU defaults). Per-limit numbers override either.
     */
    limits: z
      .union([z.enum(['max', 'default']), z.record(z.string(), z.number().int().min(0))])
      .default('max'),
    /**
     * Features to require on top of the ones requested when available
     * (`timestamp-query`, `bgra8unorm-storage`); a missing one is a BackendError.
     */
    features: z.array(z.string().min(1)).default([]),
    /** Name the tfjs backend is registered under; kernels are copied when not 'webgpu'. */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, 'a lower-case name without underscores')
      .default('webgpu'),
    /** tfjs backend priority (tfjs' own WebGPU registration uses 3, above wasm's 2). */
    priority: z.number().int().default(3),
    /**
     * Node only: Dawn backends to try in order. `default` is Dawn's choice (Vulkan on
     * Linux, Metal on macOS, D3D12 on Windows); `opengles` needs EGL (Mesa) and gives a
     * compatibility-level adapter.
     */
    dawnBackends: z.array(z.enum(DAWN_BACKENDS)).min(1).optional(),
    /**
     * tfjs-webgpu runs an op on the CPU when all its inputs are on the CPU and small
     * (under 1000 elements; the `WEBGPU_CPU_FORWARD` flag). `false` sends every op
     * to the GPU (what the parity suite does); unset leaves tfjs' flag alone.
     */
    cpuForward: z.boolean().optional(),
    /**
     * Install kd's fixes for tfjs-webgpu 4.22 kernels (transposed-B split-K matmul,
     * out-of-range segment ids). Only the parity suite's regression tests turn them off.
     */
    fixes: z.boolean().default(true),
  })
  .strict();

export type WebGPUOptionsInput = z.input<typeof optionsSchema> & {
  /**
   * A `GPU` object to use instead of `navigator.gpu` / Dawn: e.g. Dawn's
   * `create([...flags])` with your own flags.
   */
  gpu?: GPULike;
};
export type WebGPUOptions = z.output<typeof optionsSchema> & { gpu?: GPULike };

export function parseOptions(input: WebGPUOptionsInput | undefined): WebGPUOptions {
  const { gpu, ...rest } = input ?? {};
  const result = optionsSchema.safeParse(rest, { reportInput: true });
  if (!result.success) {
    const issues = zodIssues(result.error, 'setupWebGPU');
    throw new ValidationError(
      `invalid options for setupWebGPU:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
      issues,
    );
  }
  if (gpu !== undefined && typeof (gpu as GPULike)?.requestAdapter !== 'function') {
    throw new ValidationError(
      'setupWebGPU: gpu must be a WebGPU GPU object (with requestAdapter), e.g. navigator.gpu',
    );
  }
  return gpu ? { ...result.data, gpu } : result.data;
}
