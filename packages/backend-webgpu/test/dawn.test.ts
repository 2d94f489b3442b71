import { existsSync } from 'node:fs';
import { BackendError, initBackend, Registry, Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeWebGPU, plugin, setupWebGPU, type WebGPUInfo, webgpuInfo } from '../src/index.js';
import {
  compareParity,
  formatParity,
  type ParityCaseResult,
  parityCases,
  runParity,
} from '../src/parity/index.js';

/**
 * WebGPU in Node through Dawn (the `webgpu` package). Machines with Mesa's EGL and
 * its software rasteriser (libegl1 + libgl1-mesa-dri on Debian) get an llvmpipe
 * adapter and must run the whole parity suite; elsewhere setupWebGPU must fail with
 * a BackendError that lists what it tried, and each test checks that instead.
 */
const MULTIARCH = ['x86_64-linux-gnu', 'aarch64-linux-gnu'];
const mesaSoftware =
  process.platform === 'linux' &&
  MULTIARCH.some(
    (dir) =>
      existsSync(`/usr/lib/${dir}/libEGL_mesa.so.0`) &&
      existsSync(`/usr/lib/${dir}/dri/swrast_dri.so`),
  );

const cases = parityCases();
let cpu: ParityCaseResult[];
let info: WebGPUInfo | undefined;
let failure: unknown;
const registry = new Registry();
registry.register(plugin);

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  cpu = (await runParity(cases)).results;
  try {
    info = await setupWebGPU({ cpuForward: false });
  } catch (error) {
    failure = error;
  }
}, 120_000);

afterAll(async () => {
  await disposeWebGPU();
});

/** Runs `check` with Dawn, or checks the error that says why there is none. */
async function withDawn(check: (info: WebGPUInfo) => Promise<void> | void): Promise<void> {
  if (info) return check(info);
  expect(failure).toBeInstanceOf(BackendError);
  expect(String((failure as Error).message)).toMatch(/no usable WebGPU adapter: Dawn default/);
}

describe('WebGPU in Node through Dawn', () => {
  it('finds an adapter where Mesa is installed, and reports it', async () => {
    if (mesaSoftware) expect(failure).toBeUndefined();
    await withDawn((got) => {
      expect(got).toMatchObject({
        backend: 'webgpu',
        platform: 'node',
        source: 'dawn',
        syncReads: false,
      });
      if (got.dawnBackend === 'opengles') {
        expect(got.featureLevel).toBe('compatibility');
        expect(got.attempts[0]).toMatch(/^Dawn default \(core\): /);
      }
      if (/llvmpipe/.test(got.adapter.device)) expect(got.software).toBe(true);
      // Raised from the compatibility defaults (128 invocations, 4 storage buffers).
      expect(got.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
      expect(got.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
    });
  });

  it('starts through initBackend and shows in its report', async () => {
    await withDawn(async () => {
      const started = await initBackend({ backend: 'webgpu', registry });
      expect(started.backend).toBe('webgpu');
      expect(started.providers.webgpu).toMatchObject({
        active: true,
        source: expect.stringMatching(/^dawn:/),
        fixes: 'BatchMatMul, _FusedMatMul, UnsortedSegmentSum, Log',
      });
    });
  });

  it('matches cpu on every op and gradient', async () => {
    await withDawn(async () => {
      await initBackend({ backend: 'webgpu', registry });
      const before = tf.memory().numTensors;
      const run = await runParity(cases);
      expect(run.backend).toBe('webgpu');
      const rows = compareParity(cases, cpu, run.results);
      const failures = rows.filter((r) => !r.pass);
      expect(failures, formatParity(failures)).toEqual([]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it("tfjs' stock split-K matmul misreads Bᵀ here too (what kd's fix is for)", async () => {
    await withDawn(async () => {
      const only = cases.filter((c) => /^matMul (a|aᵀ)·bᵀ split-K/.test(c.name)).map((c) => c.name);
      await setupWebGPU({ cpuForward: false, fixes: false });
      await tf.setBackend('webgpu');
      const run = await runParity(cases, { only, gradients: false });
      const rows = compareParity(cases, cpu, run.results, { only, gradients: false });
      expect(rows).toHaveLength(2);
      for (const r of rows) expect(r.error, r.case).toBeGreaterThan(0.1);
      await setupWebGPU({ cpuForward: false });
    });
  });

  it('reads asynchronously, and says how when asked for a synchronous read', async () => {
    await withDawn(async () => {
      await initBackend({ backend: 'webgpu' });
      const x = tf.tensor1d([1, 2, 3]);
      // Still on the CPU: fine.
      expect(Array.from(x.dataSync())).toEqual([1, 2, 3]);
      const y = tf.mul(x, 2);
      expect(Array.from(await y.data())).toEqual([2, 4, 6]);
      const z = tf.add(y, 1);
      expect(() => z.dataSync()).toThrow(BackendError);
      expect(() => z.dataSync()).toThrow(/use `await tensor.data\(\)`/);
      tf.dispose([x, y, z]);
    });
  });

  it('trains a small classifier like cpu does, with flat memory', async () => {
    // Embedding → linear → softmax cross-entropy, 30 SGD steps from the same seed.
    const train = async (): Promise<number[]> => {
      const rng = new Rng(3);
      const emb = tf.variable(tf.tensor2d(rng.normalArray(40 * 12, 0, 0.3), [40, 12]));
      const w = tf.variable(tf.tensor2d(rng.normalArray(12 * 5, 0, 0.3), [12, 5]));
      const picked = Array.from({ length: 64 }, () => rng.int(40));
      const ids = tf.tensor1d(picked, 'int32');
      const labels = tf.oneHot(
        tf.tensor1d(
          picked.map((i) => i % 5),
          'int32',
        ),
        5,
      );
      const opt = tf.train.sgd(0.5);
      const losses: number[] = [];
      let baseline = 0;
      for (let step = 0; step < 30; step++) {
        const loss = opt.minimize(
          () =>
            tf.neg(
              tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(tf.matMul(tf.gather(emb, ids), w))), 1)),
            ) as tf.Scalar,
          true,
        ) as tf.Scalar;
        losses.push((await loss.data())[0]);
        loss.dispose();
        if (step === 2) baseline = tf.memory().numTensors;
      }
      expect(tf.memory().numTensors).toBe(baseline);
      tf.dispose([emb, w, ids, labels]);
      opt.dispose();
      return losses;
    };
    await initBackend({ backend: 'cpu' });
    const onCpu = await train();
    expect(onCpu[29]).toBeLessThan(onCpu[0] * 0.5);
    await withDawn(async () => {
      await initBackend({ backend: 'webgpu' });
      const onGpu = await train();
      for (let i = 0; i < onCpu.length; i++) {
        expect(Math.abs(onGpu[i] - onCpu[i]), `step ${i}`).toBeLessThan(
          1e-4 * Math.max(1, onCpu[i]),
        );
      }
    });
  });

  it('tries only the Dawn backends asked for, and a failed setup leaves the last one alone', async () => {
    const before = webgpuInfo();
    const result = await setupWebGPU({ dawnBackends: ['vulkan'], featureLevel: 'core' }).catch(
      (e: unknown) => e,
    );
    if (result instanceof Error) {
      expect(result).toBeInstanceOf(BackendError);
      expect(result.message).toMatch(
        /^no usable WebGPU adapter: Dawn vulkan \(core\): no adapter$/,
      );
      expect(webgpuInfo()).toBe(before);
    } else {
      expect((result as WebGPUInfo).dawnBackend).toBe('vulkan');
      await setupWebGPU({ cpuForward: false });
    }
  });

  it('goes away on disposeWebGPU', async () => {
    await withDawn(async () => {
      await initBackend({ backend: 'webgpu' });
      await disposeWebGPU();
      expect(tf.findBackendFactory('webgpu')).toBeNull();
      const auto = await initBackend({ backend: 'auto' });
      expect(auto.backend).toBe('wasm');
    });
  });
});
