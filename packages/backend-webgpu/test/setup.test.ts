import { BackendError, initBackend, Registry, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  COMPUTE_LIMITS,
  deviceDescriptor,
  disposeWebGPU,
  plugin,
  setupWebGPU,
  WebGPUKernelProvider,
  webgpuInfo,
} from '../src/index.js';
import { DEFAULT_LIMITS, fakeAdapter, fakeGPU, SWIFTSHADER_LIMITS } from './fake-gpu.js';

afterEach(async () => {
  await disposeWebGPU();
});

describe('deviceDescriptor', () => {
  it('requests wanted features as a flat list of strings, only those the adapter has', () => {
    const adapter = fakeAdapter({
      features: ['bgra8unorm-storage', 'timestamp-query', 'shader-f16', 'subgroups'],
    });
    const d = deviceDescriptor(adapter, { limits: 'max', features: [] });
    // tfjs 4.22 pushes ['bgra8unorm-storage'] (a nested array) here.
    expect(d.requiredFeatures).toEqual(['timestamp-query', 'bgra8unorm-storage']);
    expect(d.requiredFeatures.every((f) => typeof f === 'string')).toBe(true);
    expect(
      deviceDescriptor(fakeAdapter({ features: [] }), { limits: 'max', features: [] })
        .requiredFeatures,
    ).toEqual([]);
  });

  it("requests the adapter's maximum for the limits tfjs' kernels are sized by", () => {
    const d = deviceDescriptor(fakeAdapter(), { limits: 'max', features: [] });
    expect(Object.keys(d.requiredLimits).sort()).toEqual([...COMPUTE_LIMITS].sort());
    for (const name of COMPUTE_LIMITS)
      expect(d.requiredLimits[name]).toBe(SWIFTSHADER_LIMITS[name]);
    // Not one tfjs' kernels depend on.
    expect(d.requiredLimits.maxUniformBufferBindingSize).toBeUndefined();
    expect(
      deviceDescriptor(fakeAdapter(), { limits: 'default', features: [] }).requiredLimits,
    ).toEqual({});
  });

  it('takes per-limit overrides within the adapter maximum', () => {
    const d = deviceDescriptor(fakeAdapter(), {
      limits: { maxBufferSize: 1024 },
      features: [],
    });
    expect(d.requiredLimits.maxBufferSize).toBe(1024);
    expect(d.requiredLimits.maxComputeWorkgroupStorageSize).toBe(32_768);
    expect(() =>
      deviceDescriptor(fakeAdapter(), { limits: { maxBufferSize: 2 ** 40 }, features: [] }),
    ).toThrow(/maxBufferSize = 1099511627776, but the WebGPU adapter allows at most 1073741824/);
    expect(() =>
      deviceDescriptor(fakeAdapter(), { limits: { maxWarpDrive: 1 }, features: [] }),
    ).toThrow(BackendError);
  });

  it('names required features the adapter lacks', () => {
    expect(() =>
      deviceDescriptor(fakeAdapter({ features: ['timestamp-query'] }), {
        limits: 'max',
        features: ['shader-f16'],
      }),
    ).toThrow(/lacks required feature shader-f16; it has timestamp-query/);
  });
});

describe('setupWebGPU with a given GPU', () => {
  it('registers the backend, reports the adapter and device, and does not switch backends', async () => {
    await initBackend({ backend: 'cpu' });
    const adapter = fakeAdapter({ features: ['timestamp-query', 'bgra8unorm-storage'] });
    const gpu = fakeGPU(adapter);
    const info = await setupWebGPU({ gpu });
    expect(info).toMatchObject({
      backend: 'webgpu',
      platform: 'node',
      source: 'custom',
      featureLevel: 'core',
      adapter: { vendor: 'acme', architecture: 'rdna9', device: 'x1', description: '' },
      fallbackAdapter: false,
      software: false,
      features: ['bgra8unorm-storage', 'timestamp-query'],
      syncReads: false,
      attempts: [],
      fixes: ['BatchMatMul', '_FusedMatMul', 'UnsortedSegmentSum', 'Log'],
    });
    expect(info.limits.maxComputeInvocationsPerWorkgroup).toBe(256);
    expect(info.adapterLimits.maxBufferSize).toBe(SWIFTSHADER_LIMITS.maxBufferSize);
    expect(gpu.requests).toEqual([{ powerPreference: 'high-performance' }]);
    expect(tf.findBackendFactory('webgpu')).toBeTypeOf('function');
    expect(tf.getBackend()).toBe('cpu');
    expect(webgpuInfo()).toBe(info);
    // Node has no navigator.gpu before or after (it is defined only while tfjs'
    // constructor runs).
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
  });

  it('lets initBackend start it, applying the plugin kernels and showing its report', async () => {
    const adapter = fakeAdapter();
    await setupWebGPU({ gpu: fakeGPU(adapter) });
    const registry = new Registry();
    registry.register(plugin);
    const info = await initBackend({ backend: 'webgpu', registry });
    expect(info.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    // setupWebGPU installed the fixes; the provider adds none of its own.
    expect(info.kernels).toEqual([]);
    expect(info.providers.webgpu).toMatchObject({
      active: true,
      source: 'custom',
      adapter: 'acme rdna9 x1',
      featureLevel: 'core',
      software: false,
      syncReads: false,
      timestampQuery: true,
      fixes: 'BatchMatMul, _FusedMatMul, UnsortedSegmentSum, Log',
    });
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
    await initBackend({ backend: 'cpu', registry });
    await disposeWebGPU();
    expect(adapter.devices[0].destroyed).toBe(true);
    expect(tf.findBackendFactory('webgpu')).toBeNull();
  });

  it('wraps the stock kernels once, and puts them back with fixes: false', async () => {
    await setupWebGPU({ gpu: fakeGPU(fakeAdapter()), fixes: false });
    const stock = ['BatchMatMul', '_FusedMatMul', 'UnsortedSegmentSum', 'Log'].map(
      (name) => tf.getKernel(name, 'webgpu')?.kernelFunc,
    );
    expect(stock.every((k) => typeof k === 'function')).toBe(true);
    for (let i = 0; i < 2; i++) {
      const info = await setupWebGPU({ gpu: fakeGPU(fakeAdapter()) });
      expect(info.fixes).toHaveLength(4);
      expect(tf.getKernel('Log', 'webgpu')?.kernelFunc).not.toBe(stock[3]);
    }
    await setupWebGPU({ gpu: fakeGPU(fakeAdapter()), fixes: false });
    expect(
      ['BatchMatMul', '_FusedMatMul', 'UnsortedSegmentSum', 'Log'].map(
        (name) => tf.getKernel(name, 'webgpu')?.kernelFunc,
      ),
    ).toEqual(stock);
  });

  it('registers under another name with the kernels copied', async () => {
    await setupWebGPU({ gpu: fakeGPU(fakeAdapter()), name: 'kd-webgpu', priority: 0 });
    expect(tf.findBackendFactory('kd-webgpu')).toBeTypeOf('function');
    expect(tf.getKernel('Softmax', 'kd-webgpu')).toBeDefined();
    expect(tf.getKernel('Softmax', 'kd-webgpu')?.kernelFunc).toBe(
      tf.getKernel('Softmax', 'webgpu')?.kernelFunc,
    );
    // The fixes wrap the copied kernels under the new name.
    expect(tf.getKernel('BatchMatMul', 'kd-webgpu')?.kernelFunc).not.toBe(
      tf.getKernel('BatchMatMul', 'webgpu')?.kernelFunc,
    );
    expect(new WebGPUKernelProvider({ name: 'kd-webgpu' }).describe()).toMatchObject({
      active: true,
    });
    expect(new WebGPUKernelProvider().describe()).toEqual({ active: false });
  });

  it('falls back to a compatibility adapter and says what it tried', async () => {
    const gpu = fakeGPU(null, fakeAdapter());
    const info = await setupWebGPU({ gpu });
    expect(info.featureLevel).toBe('compatibility');
    expect(info.attempts).toEqual(['the given GPU (core): no adapter']);
    expect(gpu.requests).toEqual([
      { powerPreference: 'high-performance' },
      { powerPreference: 'high-performance', featureLevel: 'compatibility' },
    ]);
  });

  it('reports a core-capable adapter found at compatibility level as core', async () => {
    const adapter = fakeAdapter({ features: ['core-features-and-limits', 'timestamp-query'] });
    const info = await setupWebGPU({ gpu: fakeGPU(adapter), featureLevel: 'compatibility' });
    expect(info.featureLevel).toBe('core');
    expect(adapter.devices[0].descriptor?.requiredFeatures).toContain('core-features-and-limits');
  });

  it('throws a BackendError listing every attempt when there is no adapter', async () => {
    const error = await setupWebGPU({ gpu: fakeGPU(null) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toBe(
      'no usable WebGPU adapter: the given GPU (core): no adapter; the given GPU (compatibility): no adapter',
    );
    expect(webgpuInfo()).toBeUndefined();
  });

  it('gives up on a requestAdapter that never settles', async () => {
    const error = await setupWebGPU({
      gpu: fakeGPU('hang'),
      featureLevel: 'core',
      adapterTimeoutMs: 50,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(/\(core\): requestAdapter did not settle in 0.05 s/);
  });

  it('gives up on a requestDevice that never settles', async () => {
    const adapter = fakeAdapter();
    adapter.requestDevice = () => new Promise(() => {});
    const error = await setupWebGPU({ gpu: fakeGPU(adapter), adapterTimeoutMs: 50 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(/refused the device .*requestDevice did not settle/);
  });

  it('refuses software adapters when asked to, by flag or by name', async () => {
    const swiftshader = fakeAdapter({
      info: { vendor: 'google', architecture: 'swiftshader', device: '', description: '' },
    });
    const fallback = fakeAdapter({ isFallbackAdapter: true });
    for (const adapter of [swiftshader, fallback]) {
      const error = await setupWebGPU({
        gpu: fakeGPU(adapter),
        allowSoftware: false,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as Error).message).toMatch(
        /runs on the CPU, refused because allowSoftware is false/,
      );
    }
    const info = await setupWebGPU({ gpu: fakeGPU(swiftshader) });
    expect(info.software).toBe(true);
    expect(info.fallbackAdapter).toBe(false);
    const llvmpipe = fakeAdapter({
      info: { vendor: '', architecture: '', device: 'llvmpipe-llvm-15', description: 'Mesa' },
    });
    expect((await setupWebGPU({ gpu: fakeGPU(llvmpipe) })).software).toBe(true);
  });

  it('wraps a refused device and rejects a device too small for tfjs', async () => {
    const refused = await setupWebGPU({
      gpu: fakeGPU(fakeAdapter({ refuse: 'Required limit is greater than the supported limit' })),
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BackendError);
    expect((refused as Error).message).toMatch(
      /the WebGPU adapter refused the device \(features \["timestamp-query"\], limits \{.*"maxBufferSize":1073741824.*\}\): Required limit/,
    );
    // A compatibility-level device keeps its small defaults when nothing is requested.
    const small = fakeAdapter({
      deviceLimits: (requested) => ({
        ...DEFAULT_LIMITS,
        maxComputeInvocationsPerWorkgroup: 128,
        maxComputeWorkgroupSizeX: 128,
        ...requested,
      }),
    });
    const error = await setupWebGPU({ gpu: fakeGPU(small), limits: 'default' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(
      /maxComputeInvocationsPerWorkgroup is 128, they need 256; maxComputeWorkgroupSizeX is 128, they need 256/,
    );
    expect(small.devices[0].destroyed).toBe(true);
  });

  it('replaces an earlier setup and destroys its device', async () => {
    const first = fakeAdapter();
    const second = fakeAdapter();
    await setupWebGPU({ gpu: fakeGPU(first) });
    await setupWebGPU({ gpu: fakeGPU(second) });
    expect(first.devices[0].destroyed).toBe(true);
    expect(second.devices[0].destroyed).toBe(false);
  });

  it('rejects bad options with a ValidationError naming them', async () => {
    await expect(setupWebGPU({ powerPreference: 'fast' as never })).rejects.toThrow(
      ValidationError,
    );
    await expect(setupWebGPU({ name: 'Web_GPU' })).rejects.toThrow(/name/);
    await expect(setupWebGPU({ turbo: true } as never)).rejects.toThrow(/unknown option "turbo"/);
    await expect(setupWebGPU({ gpu: {} as never })).rejects.toThrow(/requestAdapter/);
  });
});

describe('plugin', () => {
  it('provides kernel:webgpu with validated options', () => {
    const registry = new Registry();
    registry.register(plugin);
    expect(plugin.meta.name).toBe('@kd/backend-webgpu');
    const provider = registry.create<WebGPUKernelProvider>('kernel', 'webgpu', {
      allowSoftware: false,
    });
    expect(provider).toBeInstanceOf(WebGPUKernelProvider);
    expect(provider.backend).toBe('webgpu');
    expect(() => registry.create('kernel', 'webgpu', { featureLevel: 'turbo' })).toThrow(
      ValidationError,
    );
  });

  it('sets up through the provider once and reuses a live setup', async () => {
    const provider = new WebGPUKernelProvider({ gpu: fakeGPU(fakeAdapter()) });
    const first = await provider.setup();
    expect(await provider.setup()).toBe(first);
  });

  it('refuses software adapters for backend auto unless the options allow them', async () => {
    const swiftshader = () =>
      fakeAdapter({
        info: { vendor: 'google', architecture: 'swiftshader' },
        isFallbackAdapter: true,
      });
    const provider = new WebGPUKernelProvider({ gpu: fakeGPU(swiftshader()) });
    await expect(provider.setup({ auto: true })).rejects.toThrow(
      /refused because allowSoftware is false/,
    );
    expect((await provider.setup()).software).toBe(true);
    // A live software setup is not reused for auto either.
    await expect(provider.setup({ auto: true })).rejects.toThrow(BackendError);
    const allowed = new WebGPUKernelProvider({ gpu: fakeGPU(swiftshader()), allowSoftware: true });
    expect((await allowed.setup({ auto: true })).software).toBe(true);
  });
});
