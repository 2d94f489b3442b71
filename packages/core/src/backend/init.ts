import type { KernelConfig } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import '../vendor/tfjs-extras.js';
import { BackendError, ValidationError } from '../errors.js';
import { registry as globalRegistry, type Registry } from '../registry.js';
import { registerGradientFixes } from './gradient-fixes.js';
import { trainingKernels } from './training-kernels.js';

export type BackendName = 'auto' | 'wasm' | 'cpu' | 'webgpu' | 'webgl';
const CONCRETE: readonly Exclude<BackendName, 'auto'>[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

export interface InitBackendOptions {
  /** `auto` (default) takes the fastest that starts: webgpu, wasm, webgl, cpu. */
  backend?: BackendName;
  /**
   * Worker threads for kernels that use them (@kd/backend-wasm). Default: the
   * machine's core count; 1 disables threads.
   */
  threads?: number;
  /**
   * Where the tfjs wasm binaries are served from, for browsers and bundlers
   * that do not serve them beside the script (a URL prefix or a file map).
   */
  wasmPaths?: string | Record<string, string>;
  /** Registry whose `kernel` entries to install (default: the global one). */
  registry?: Registry;
  /**
   * Keep tfjs' own console warnings (default false in Node, where the first
   * one tells users to install tfjs-node, which is not what kd uses).
   */
  tfjsWarnings?: boolean;
}

/**
 * A `kernel` registry entry's product: kernels for one tfjs backend that
 * replace or add to the stock ones when that backend is initialised.
 */
export interface KernelProvider {
  backend: string;
  /** Called by initBackend with the thread count it settled on. */
  kernels(options: { threads: number }): KernelConfig[] | Promise<KernelConfig[]>;
  /**
   * Registers the tfjs backend itself before it is started, for backends
   * tfjs cannot set up alone (WebGPU in Node through Dawn, with kernel
   * fixes). `auto` is true when `initBackend` is choosing, so a provider can
   * decline a poor device (a software GPU) by throwing.
   */
  setup?(ctx: { auto: boolean }): Promise<unknown>;
  /** Anything worth reporting (`kd doctor`), e.g. threads actually started. */
  describe?(): Record<string, string | number | boolean>;
  /** Stops workers; called when another backend is initialised. */
  dispose?(): void | Promise<void>;
}

export interface BackendInfo {
  backend: string;
  /** Whether the backend runs SIMD code (wasm) — false where not applicable. */
  simd: boolean;
  /** Threads kernels may use. */
  threads: number;
  tfjsVersion: string;
  platform: 'node' | 'browser' | 'other';
  /** Kernels kd installed on top of the stock backend (its own and providers'), by name. */
  kernels: string[];
  /** Providers' own reports, keyed by registry id. */
  providers: Record<string, Record<string, string | number | boolean>>;
  /** Backends that were tried and failed for `auto`, with why. */
  skipped: Record<string, string>;
}

let current: BackendInfo | undefined;
let activeProviders: KernelProvider[] = [];
const replaced = new Map<string, KernelConfig | undefined>();

export function platform(): BackendInfo['platform'] {
  const g = globalThis as { process?: { versions?: { node?: string } }; window?: unknown };
  if (g.process?.versions?.node) return 'node';
  if (
    typeof g.window !== 'undefined' ||
    typeof (globalThis as { importScripts?: unknown }).importScripts === 'function'
  ) {
    return 'browser';
  }
  return 'other';
}

export function defaultThreads(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/**
 * Imports a backend that is an optional peer. The specifier goes through a
 * variable so bundlers (Vite's dev server included) do not try to resolve a
 * package the app did not install.
 */
async function importOptional(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ specifier);
}

async function loadBackend(name: Exclude<BackendName, 'auto'>, options: InitBackendOptions) {
  switch (name) {
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (options.wasmPaths) wasm.setWasmPaths(options.wasmPaths as string);
      return;
    }
    case 'webgl':
      await importOptional('@tensorflow/tfjs-backend-webgl');
      return;
    case 'webgpu':
      if (!tf.findBackendFactory('webgpu')) {
        const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
        if (!nav?.gpu) throw new Error('no WebGPU here (navigator.gpu is missing)');
        await importOptional('@tensorflow/tfjs-backend-webgpu');
      }
      return;
  }
}

async function detectSimd(backend: string): Promise<boolean> {
  if (backend !== 'wasm') return false;
  return Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
}

function installKernel(config: KernelConfig): void {
  const existing = tf
    .getKernelsForBackend(config.backendName)
    .find((k) => k.kernelName === config.kernelName);
  const key = `${config.backendName}_${config.kernelName}`;
  if (!replaced.has(key)) replaced.set(key, existing);
  if (existing) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

/** Puts stock kernels back (and removes added ones) before another init. */
function restoreKernels(): void {
  for (const [key, original] of replaced) {
    const cut = key.indexOf('_');
    const backendName = key.slice(0, cut);
    const kernelName = key.slice(cut + 1);
    tf.unregisterKernel(kernelName, backendName);
    if (original) tf.registerKernel(original);
  }
  replaced.clear();
}

/**
 * Sets up tfjs for training in kd: gradients and chained ops registered (the
 * Node entry of tfjs-core registers neither), the requested backend started,
 * kernels stock backends lack installed (UnsortedSegmentSum on wasm), and
 * every registered `kernel` provider for that backend applied. Safe to call
 * again to switch backends.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const requested = options.backend ?? 'auto';
  if (requested !== 'auto' && !CONCRETE.includes(requested)) {
    throw new ValidationError(
      `backend must be one of auto, ${CONCRETE.join(', ')}; got ${JSON.stringify(requested)}`,
    );
  }
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ValidationError(`threads must be an integer >= 1, got ${threads}`);
  }
  const reg = options.registry ?? globalRegistry;
  registerGradientFixes();
  if (!(options.tfjsWarnings ?? platform() !== 'node')) tf.env().set('PROD', true);
  const candidates = requested === 'auto' ? CONCRETE : [requested];
  const skipped: Record<string, string> = {};

  for (const name of candidates) {
    // webgl needs a browser canvas; trying it in Node only prints noise.
    if (requested === 'auto' && name === 'webgl' && platform() !== 'browser') continue;
    try {
      for (const entry of reg.list('kernel')) {
        const provider = reg.create<KernelProvider>('kernel', entry.id, {});
        if (provider.backend === name && provider.setup)
          await provider.setup({ auto: requested === 'auto' });
      }
      await loadBackend(name, options);
      const ok = await tf.setBackend(name);
      if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
      await tf.ready();
    } catch (error) {
      skipped[name] = error instanceof Error ? error.message : String(error);
      if (requested !== 'auto') {
        throw new BackendError(`could not start the ${name} backend: ${skipped[name]}`, {
          cause: error,
        });
      }
      continue;
    }
    return finishInit(name, threads, reg, skipped);
  }
  throw new BackendError(
    `no backend could start: ${Object.entries(skipped)
      .map(([k, v]) => `${k} (${v})`)
      .join('; ')}`,
  );
}

async function finishInit(
  name: string,
  threads: number,
  reg: Registry,
  skipped: Record<string, string>,
): Promise<BackendInfo> {
  for (const p of activeProviders) await p.dispose?.();
  activeProviders = [];
  restoreKernels();

  const installed: string[] = [];
  for (const k of trainingKernels(name)) {
    installKernel(k);
    installed.push(k.kernelName);
  }
  const providers: BackendInfo['providers'] = {};
  for (const entry of reg.list('kernel')) {
    const provider = reg.create<KernelProvider>('kernel', entry.id, {});
    if (provider.backend !== name) continue;
    for (const k of await provider.kernels({ threads })) {
      installKernel(k);
      if (!installed.includes(k.kernelName)) installed.push(k.kernelName);
    }
    activeProviders.push(provider);
    providers[entry.id] = provider.describe?.() ?? {};
  }
  const providerThreads = Object.values(providers)
    .map((p) => p.threads)
    .filter((t): t is number => typeof t === 'number');
  current = {
    backend: name,
    simd: await detectSimd(name),
    threads: providerThreads.length > 0 ? Math.max(...providerThreads) : 1,
    tfjsVersion: tf.version_core,
    platform: platform(),
    kernels: installed.sort(),
    providers,
    skipped,
  };
  return current;
}

/** What the last `initBackend` set up, or undefined before the first call. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

/** Stops kernel providers' workers so the process can exit. */
export async function disposeBackend(): Promise<void> {
  for (const p of activeProviders) await p.dispose?.();
  activeProviders = [];
  restoreKernels();
}
