import { BackendError } from '@kd/core';
import type { GPULike } from './gpu-types.js';
import type { DawnBackend } from './options.js';

interface DawnModule {
  create(flags: string[]): GPULike;
  globals: Record<string, unknown>;
}

let dawn: DawnModule | undefined;

/** Dawn's Node binding (the optional peer dependency `webgpu`), loaded once. */
export async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  // A variable specifier keeps browser bundlers from trying to resolve it.
  const specifier = 'webgpu';
  let mod: Partial<DawnModule>;
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as Partial<DawnModule>;
  } catch (error) {
    throw new BackendError(
      `WebGPU in Node needs Dawn's binding, the npm package "webgpu" (an optional peer dependency of @kd/backend-webgpu): npm install webgpu. Loading it failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (typeof mod.create !== 'function' || typeof mod.globals !== 'object' || !mod.globals) {
    throw new BackendError('the "webgpu" package does not export create() and globals');
  }
  dawn = mod as DawnModule;
  return dawn;
}

/**
 * tfjs' kernels read the WebGPU constants (`GPUBufferUsage`, `GPUMapMode`,
 * `GPUTextureUsage`, …) as globals, which Node lacks. Adds the missing ones only.
 */
export function installDawnGlobals(globals: Record<string, unknown>): string[] {
  const added: string[] = [];
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(globals)) {
    if (name in g) continue;
    Object.defineProperty(g, name, { value, configurable: true, writable: true });
    added.push(name);
  }
  return added;
}

/** Dawn's backends to try when the caller names none. */
export function defaultDawnBackends(platform: string): DawnBackend[] {
  // Linux machines without a Vulkan driver (most CI runners) still have Mesa's
  // OpenGL ES through EGL, which Dawn offers as a compatibility-level adapter.
  return platform === 'linux' ? ['default', 'opengles'] : ['default'];
}

/** A Dawn GPU for one backend (`default` lets Dawn choose). */
export function dawnGPU(mod: DawnModule, backend: DawnBackend): GPULike {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  // Mesa's EGL needs a platform without a display server; surfaceless is headless.
  if (backend === 'opengles' && env && !env.EGL_PLATFORM) env.EGL_PLATFORM = 'surfaceless';
  return mod.create(backend === 'default' ? [] : [`backend=${backend}`]);
}
