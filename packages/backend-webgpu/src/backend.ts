import { BackendError } from '@kd/core';
import type { DataId, KernelBackend } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import type { GPUAdapterInfoLike, GPUDeviceLike, GPULike } from './gpu-types.js';

/** The constructor tfjs-backend-webgpu exports (typed loosely: its d.ts needs @webgpu/types). */
export type WebGPUBackendClass = new (device: never, adapterInfo?: never) => KernelBackend;

/**
 * Loads tfjs-backend-webgpu, which registers its kernels for the backend name 'webgpu'
 * (and, only where `navigator.gpu` exists at import time, its own backend factory).
 */
export async function loadTfjsWebGPU(): Promise<WebGPUBackendClass> {
  let mod: { WebGPUBackend?: unknown; default?: { WebGPUBackend?: unknown } };
  try {
    mod = await import('@tensorflow/tfjs-backend-webgpu');
  } catch (error) {
    throw new BackendError(
      `could not load @tensorflow/tfjs-backend-webgpu: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const ctor = mod.WebGPUBackend ?? mod.default?.WebGPUBackend;
  if (typeof ctor !== 'function') {
    throw new BackendError('@tensorflow/tfjs-backend-webgpu does not export WebGPUBackend');
  }
  return ctor as WebGPUBackendClass;
}

/**
 * Runs `fn` with `navigator.gpu` defined: tfjs' WebGPUBackend constructor refuses to
 * run without it, and Node has no `navigator.gpu` (Node 20 has no `navigator`). The
 * property is removed again so nothing else mistakes Node for a browser.
 */
export function withNavigatorGpu<T>(gpu: GPULike, fn: () => T): T {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return fn();
  const hadNavigator = g.navigator !== undefined;
  if (!hadNavigator) {
    Object.defineProperty(globalThis, 'navigator', {
      value: {},
      configurable: true,
      writable: true,
    });
  }
  const nav = g.navigator as object;
  Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  try {
    return fn();
  } finally {
    delete (nav as { gpu?: unknown }).gpu;
    if (!hadNavigator) delete g.navigator;
  }
}

interface TensorDataLike {
  values?: unknown;
  dtype: string;
}

/**
 * tfjs-webgpu reads GPU data synchronously (`dataSync`, `arraySync`, moving a tensor
 * to another backend) by drawing it into an OffscreenCanvas, which Node lacks: the
 * stock error is "OffscreenCanvas is not defined". Data that is still on the CPU
 * reads as before; anything else gets an error that says what to do instead.
 */
export function guardSyncReads(backend: KernelBackend): void {
  const b = backend as KernelBackend & {
    tensorMap: { get(id: DataId): TensorDataLike };
  };
  const stock = b.readSync.bind(b);
  b.readSync = (dataId: DataId) => {
    const data = b.tensorMap.get(dataId);
    if (data.values != null || data.dtype === 'string') return stock(dataId);
    throw new BackendError(
      'a synchronous read of WebGPU data (dataSync, arraySync, or using the tensor after switching backends) needs OffscreenCanvas, which Node does not have: use `await tensor.data()` or `await tensor.array()`',
    );
  };
}

export function canReadSync(): boolean {
  return typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'function';
}

export function createBackend(
  WebGPUBackend: WebGPUBackendClass,
  gpu: GPULike,
  device: GPUDeviceLike,
  adapterInfo: GPUAdapterInfoLike | undefined,
): KernelBackend {
  const backend = withNavigatorGpu(
    gpu,
    () => new WebGPUBackend(device as never, adapterInfo as never),
  );
  if (!canReadSync()) guardSyncReads(backend);
  return backend;
}

/**
 * Registers `factory` as the tfjs backend `name`, replacing a factory already there
 * (tfjs-backend-webgpu's own, registered at import in browsers). Under another name
 * the 'webgpu' kernels are copied, the ones already copied left alone.
 */
export function registerFactory(
  name: string,
  factory: () => Promise<KernelBackend>,
  priority: number,
): void {
  if (tf.findBackendFactory(name)) tf.removeBackend(name);
  if (!tf.registerBackend(name, factory, priority)) {
    throw new BackendError(`tfjs refused to register the backend ${JSON.stringify(name)}`);
  }
  if (name === 'webgpu') return;
  for (const kernel of tf.getKernelsForBackend('webgpu')) {
    if (!tf.getKernel(kernel.kernelName, name)) tf.registerKernel({ ...kernel, backendName: name });
  }
}
