import { BackendError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  type AdapterChoice,
  type AdapterDescription,
  chooseAdapter,
  type GPUSource,
  withTimeout,
} from './adapter.js';
import {
  canReadSync,
  createBackend,
  loadTfjsWebGPU,
  registerFactory,
  type WebGPUBackendClass,
} from './backend.js';
import {
  COMPUTE_LIMITS,
  checkDeviceLimits,
  deviceDescriptor,
  readLimits,
} from './device-request.js';
import { installWebGPUFixes, removeWebGPUFixes } from './fixes.js';
import type { FeatureLevel, GPUDeviceLike } from './gpu-types.js';
import {
  type DawnBackend,
  parseOptions,
  type WebGPUOptions,
  type WebGPUOptionsInput,
} from './options.js';

/** What setupWebGPU got: enough to tell a real GPU from an emulation at a glance. */
export interface WebGPUInfo {
  /** The tfjs backend name it registered ('webgpu' unless asked otherwise). */
  backend: string;
  platform: 'browser' | 'node';
  /** navigator.gpu, Dawn (Node) or a GPU object passed in. */
  source: GPUSource;
  /** The Dawn backend that produced the adapter (Node only). */
  dawnBackend?: DawnBackend;
  featureLevel: FeatureLevel;
  adapter: Omit<AdapterDescription, 'fallbackAdapter' | 'software'>;
  /** The adapter says it is a fallback (typically CPU) adapter. */
  fallbackAdapter: boolean;
  /** Runs on the CPU (fallback, SwiftShader, llvmpipe, lavapipe, WARP): fine for parity, not speed. */
  software: boolean;
  /** The device's features. */
  features: string[];
  /** The device's limits that tfjs' kernels depend on. */
  limits: Record<string, number>;
  /** The adapter's maximum for the same limits. */
  adapterLimits: Record<string, number>;
  /** Whether dataSync()/arraySync() work (they need OffscreenCanvas; Node has none). */
  syncReads: boolean;
  /** Candidates passed over before this adapter, and why. */
  attempts: string[];
  /** tfjs kernels kd wrapped with fixed versions (see fixes.ts). */
  fixes: string[];
  /** Set when the device was lost (e.g. a GPU reset or driver crash). */
  lost?: { reason: string; message: string };
}

interface Setup {
  info: WebGPUInfo;
  device: GPUDeviceLike;
  choice: AdapterChoice;
}

let current: Setup | undefined;

function platform(): WebGPUInfo['platform'] {
  const g = globalThis as { process?: { versions?: { node?: string } } };
  return g.process?.versions?.node ? 'node' : 'browser';
}

async function openDevice(choice: AdapterChoice, options: WebGPUOptions): Promise<GPUDeviceLike> {
  const descriptor = deviceDescriptor(choice.adapter, options);
  let device: GPUDeviceLike;
  try {
    device = await withTimeout(
      choice.adapter.requestDevice(descriptor),
      options.adapterTimeoutMs,
      'requestDevice',
    );
  } catch (error) {
    throw new BackendError(
      `the WebGPU adapter refused the device (features ${JSON.stringify(descriptor.requiredFeatures)}, limits ${JSON.stringify(descriptor.requiredLimits)}): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  try {
    checkDeviceLimits(device.limits);
  } catch (error) {
    device.destroy();
    throw error;
  }
  return device;
}

function describe(choice: AdapterChoice, device: GPUDeviceLike, name: string): WebGPUInfo {
  const { fallbackAdapter, software, ...adapter } = choice.info;
  return {
    backend: name,
    platform: platform(),
    source: choice.source,
    ...(choice.dawnBackend ? { dawnBackend: choice.dawnBackend } : {}),
    featureLevel: choice.featureLevel,
    adapter,
    fallbackAdapter,
    software,
    features: [...device.features].sort(),
    limits: readLimits(device.limits, COMPUTE_LIMITS),
    adapterLimits: readLimits(choice.adapter.limits, COMPUTE_LIMITS),
    syncReads: canReadSync(),
    attempts: choice.attempts,
    fixes: [],
  };
}

function watchLoss(setup: Setup): void {
  setup.device.lost.then(
    (lost) => {
      setup.info.lost = { reason: String(lost.reason), message: String(lost.message) };
    },
    () => {},
  );
}

/**
 * Sets up tfjs' WebGPU backend: finds an adapter (navigator.gpu in browsers, Dawn's
 * `webgpu` package in Node, or `options.gpu`), opens a device with the limits tfjs'
 * kernels are sized by, and registers the backend (as 'webgpu' by default) with
 * tfjs-backend-webgpu's kernels. It does not switch backends: follow it with
 * `initBackend({ backend: 'webgpu' })` or `tf.setBackend('webgpu')`.
 *
 * Calling it again replaces the previous setup (tensors on the old device are lost).
 * Throws a BackendError that lists every candidate tried when there is no usable
 * adapter, and a ValidationError for bad options.
 */
export async function setupWebGPU(input?: WebGPUOptionsInput): Promise<WebGPUInfo> {
  const options = parseOptions(input);
  const WebGPUBackend: WebGPUBackendClass = await loadTfjsWebGPU();
  const choice = await chooseAdapter(options);
  const device = await openDevice(choice, options);

  await disposeWebGPU();
  const setup: Setup = { info: describe(choice, device, options.name), device, choice };
  current = setup;
  watchLoss(setup);
  if (options.cpuForward !== undefined) tf.env().set('WEBGPU_CPU_FORWARD', options.cpuForward);

  let used = false;
  registerFactory(
    options.name,
    async () => {
      // tfjs asks again only after the first backend was removed or the engine reset;
      // an adapter makes one device, so start over from a fresh adapter then.
      if (used) {
        const again = await chooseAdapter({ ...options, gpu: setup.choice.gpu });
        again.source = setup.choice.source;
        again.dawnBackend = setup.choice.dawnBackend;
        setup.device.destroy();
        setup.choice = again;
        setup.device = await openDevice(again, options);
        setup.info = { ...describe(again, setup.device, options.name), fixes: setup.info.fixes };
        watchLoss(setup);
      }
      used = true;
      return createBackend(
        WebGPUBackend,
        setup.choice.gpu,
        setup.device,
        setup.choice.adapter.info,
      );
    },
    options.priority,
  );
  if (options.fixes) setup.info.fixes = installWebGPUFixes(options.name);
  else removeWebGPUFixes(options.name);
  return setup.info;
}

/** What the last setupWebGPU got (with `lost` set if the device was lost since). */
export function webgpuInfo(): WebGPUInfo | undefined {
  return current?.info;
}

/**
 * Removes the registered backend (tfjs disposes its instance and falls back to the
 * next backend) and destroys the device. Safe to call when nothing is set up.
 */
export async function disposeWebGPU(): Promise<void> {
  const setup = current;
  if (!setup) return;
  current = undefined;
  if (tf.findBackendFactory(setup.info.backend)) tf.removeBackend(setup.info.backend);
  setup.device.destroy();
}
