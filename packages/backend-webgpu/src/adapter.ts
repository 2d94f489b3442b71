import { BackendError } from '@kd/core';
import { dawnGPU, defaultDawnBackends, installDawnGlobals, loadDawn } from './dawn.js';
import type { FeatureLevel, GPUAdapterInfoLike, GPUAdapterLike, GPULike } from './gpu-types.js';
import type { DawnBackend, WebGPUOptions } from './options.js';

/** Where a GPU object came from. */
export type GPUSource = 'navigator.gpu' | 'dawn' | 'custom';

export interface AdapterChoice {
  gpu: GPULike;
  adapter: GPUAdapterLike;
  info: AdapterDescription;
  source: GPUSource;
  dawnBackend: DawnBackend | undefined;
  featureLevel: FeatureLevel;
  /** Why each earlier candidate was passed over, in order. */
  attempts: string[];
}

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** As the adapter reports it (`info.isFallbackAdapter`, or the older adapter flag). */
  fallbackAdapter: boolean;
  /** Runs on the CPU: a fallback adapter or a known software implementation. */
  software: boolean;
}

/** Software rasterisers and emulators, by the names their adapters report. */
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

export async function adapterDescription(adapter: GPUAdapterLike): Promise<AdapterDescription> {
  let info: GPUAdapterInfoLike | undefined = adapter.info;
  if (!info && typeof adapter.requestAdapterInfo === 'function') {
    info = await adapter.requestAdapterInfo().catch(() => undefined);
  }
  // Read each field by name: they are prototype getters, invisible to spreading.
  const vendor = String(info?.vendor ?? '');
  const architecture = String(info?.architecture ?? '');
  const device = String(info?.device ?? '');
  const description = String(info?.description ?? '');
  const fallbackAdapter = Boolean(info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false);
  const software =
    fallbackAdapter || SOFTWARE.test([vendor, architecture, device, description].join(' '));
  return { vendor, architecture, device, description, fallbackAdapter, software };
}

function describeAdapter(d: AdapterDescription): string {
  return (
    [d.vendor, d.architecture, d.device, d.description].filter(Boolean).join(' / ') ||
    'an adapter with no description'
  );
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle in ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function levels(option: WebGPUOptions['featureLevel']): FeatureLevel[] {
  return option === 'auto' ? ['core', 'compatibility'] : [option];
}

interface Candidate {
  label: string;
  source: GPUSource;
  dawnBackend?: DawnBackend;
  gpu: () => Promise<GPULike>;
}

function isNode(): boolean {
  return Boolean(
    (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node,
  );
}

async function candidates(options: WebGPUOptions): Promise<Candidate[]> {
  if (options.gpu) {
    const gpu = options.gpu;
    return [{ label: 'the given GPU', source: 'custom', gpu: async () => gpu }];
  }
  const nav = (globalThis as { navigator?: { gpu?: GPULike } }).navigator;
  if (nav?.gpu) {
    const gpu = nav.gpu;
    return [{ label: 'navigator.gpu', source: 'navigator.gpu', gpu: async () => gpu }];
  }
  if (!isNode()) {
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    throw new BackendError(
      `no WebGPU here: navigator.gpu is missing${secure === false ? ' (this page is not a secure context: WebGPU needs https or localhost)' : ' (a browser without WebGPU, or with it disabled; Chromium on a machine without a GPU needs --enable-unsafe-webgpu)'}`,
    );
  }
  const mod = await loadDawn();
  installDawnGlobals(mod.globals);
  const platform = (globalThis as { process?: { platform?: string } }).process?.platform ?? '';
  return (options.dawnBackends ?? defaultDawnBackends(platform)).map((backend) => ({
    label: `Dawn ${backend}`,
    source: 'dawn' as const,
    dawnBackend: backend,
    gpu: async () => dawnGPU(mod, backend),
  }));
}

/**
 * Finds an adapter: each GPU candidate (the given GPU, navigator.gpu, or Dawn's
 * backends in order) at each allowed feature level (core first). A software adapter
 * is taken only when `allowSoftware`; every miss is kept to explain a failure.
 */
export async function chooseAdapter(options: WebGPUOptions): Promise<AdapterChoice> {
  const attempts: string[] = [];
  for (const candidate of await candidates(options)) {
    let gpu: GPULike;
    try {
      gpu = await candidate.gpu();
    } catch (error) {
      attempts.push(
        `${candidate.label}: ${error instanceof Error ? error.message : String(error)}`,
      );
      continue;
    }
    for (const featureLevel of levels(options.featureLevel)) {
      const where = `${candidate.label} (${featureLevel})`;
      let adapter: GPUAdapterLike | null;
      try {
        adapter = await withTimeout(
          gpu.requestAdapter({
            powerPreference: options.powerPreference,
            ...(featureLevel === 'compatibility' ? { featureLevel } : {}),
            ...(options.forceFallbackAdapter ? { forceFallbackAdapter: true } : {}),
          }),
          options.adapterTimeoutMs,
          'requestAdapter',
        );
      } catch (error) {
        attempts.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      if (!adapter) {
        attempts.push(`${where}: no adapter`);
        continue;
      }
      const info = await adapterDescription(adapter);
      if (info.software && options.allowSoftware === false) {
        attempts.push(
          `${where}: ${describeAdapter(info)} runs on the CPU, refused because allowSoftware is false`,
        );
        continue;
      }
      // A compatibility request may still be answered by a core-capable adapter.
      const level: FeatureLevel =
        featureLevel === 'core' || adapter.features.has('core-features-and-limits')
          ? 'core'
          : 'compatibility';
      return {
        gpu,
        adapter,
        info,
        source: candidate.source,
        dawnBackend: candidate.dawnBackend,
        featureLevel: level,
        attempts,
      };
    }
  }
  throw new BackendError(`no usable WebGPU adapter: ${attempts.join('; ')}`);
}
