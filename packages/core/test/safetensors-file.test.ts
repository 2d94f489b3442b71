import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DTypeError,
  decodeSafetensors,
  encodeSafetensors,
  fromStoredTensor,
  initBackend,
  NotFoundError,
  SafetensorsFormatError,
  toStoredTensor,
} from '../src/index.js';
import {
  readSafetensorsFile,
  SafetensorsFileReader,
  writeSafetensorsFile,
} from '../src/node/index.js';
import { expected, FIXTURES, rawFile, sha256 } from './safetensors-helpers.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kd-st-'));
  await initBackend({ backend: 'cpu' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('safetensors files (Node)', () => {
  it('reads every valid fixture the same way as the in-memory decoder', async () => {
    for (const c of expected.cases.filter((x) => x.kind === 'valid')) {
      const path = join(FIXTURES, c.file);
      const fromFile = await readSafetensorsFile(path, { int64: 'bigint' });
      const inMemory = decodeSafetensors(new Uint8Array(readFileSync(path)), { int64: 'bigint' });
      expect(Object.keys(fromFile.tensors)).toEqual(Object.keys(inMemory.tensors));
      for (const [name, t] of Object.entries(inMemory.tensors)) {
        expect(fromFile.tensors[name].dtype).toBe(t.dtype);
        expect(fromFile.tensors[name].shape).toEqual(t.shape);
        expect(sha256(fromFile.tensors[name].data)).toBe(sha256(t.data));
      }
      expect({ ...fromFile.metadata }).toEqual({ ...inMemory.metadata });
    }
  });

  it('decodes from a pooled Node Buffer without aliasing the pool', () => {
    const small = encodeSafetensors({ x: { dtype: 'F32', shape: [2], data: [1, 2] } });
    const pooled = Buffer.from(small); // small Buffers share one pool ArrayBuffer
    const { tensors } = decodeSafetensors(pooled, { raw: false });
    const data = tensors.x.data as Float32Array;
    expect(Array.from(data)).toEqual([1, 2]);
    expect(data.buffer.byteLength).toBe(8);
    const raw = decodeSafetensors(pooled, { raw: true }).tensors.x.data;
    expect(raw.buffer.byteLength).toBe(8);
  });

  it('rejects every corrupt fixture on open, with the file in the message', async () => {
    for (const c of expected.cases.filter((x) => x.kind === 'corrupt')) {
      const path = join(FIXTURES, c.file);
      const error = await SafetensorsFileReader.open(path).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, c.file).toBeInstanceOf(SafetensorsFormatError);
      expect((error as SafetensorsFormatError).reason, c.file).toBe(c.rust_error);
      expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
    }
  });

  it('reads single tensors lazily with info, keys and metadata', async () => {
    const reader = await SafetensorsFileReader.open(join(FIXTURES, 'adapter_model.safetensors'));
    try {
      expect(reader.metadata.format).toBe('pt');
      const keys = reader.keys();
      expect(keys.length).toBe(10);
      const name = 'base_model.model.encoder.layer.0.attention.self.query.lora_A.weight';
      expect(reader.has(name)).toBe(true);
      const info = reader.info(name);
      expect(info.dtype).toBe('F32');
      expect(info.byteLength).toBe(info.shape.reduce((a, b) => a * b, 4));
      const t = await reader.read(name);
      const whole = decodeSafetensors(
        new Uint8Array(readFileSync(join(FIXTURES, 'adapter_model.safetensors'))),
      );
      expect(sha256(t.data)).toBe(sha256(whole.tensors[name].data));
      await expect(reader.read('nope.lora_A.weight')).rejects.toBeInstanceOf(NotFoundError);
      const partial = await reader.readAll({ names: [name] });
      expect(Object.keys(partial.tensors)).toEqual([name]);
    } finally {
      await reader.close();
    }
    await expect(reader.read(reader.keys()[0])).rejects.toThrow('closed');
  });

  it('reads one tensor of a 3 GiB (sparse) file without reading the rest', async () => {
    // Header + a small tensor at the front, then 3 GiB of (sparse) zeros for a
    // huge tensor. readFile could not even hold this file in one buffer.
    const big = 3 * 2 ** 30;
    const header = `{"__metadata__":{"format":"pt"},"huge":{"dtype":"F32","shape":[${big / 4}],"data_offsets":[0,${big}]},"small":{"dtype":"I32","shape":[3],"data_offsets":[${big},${big + 12}]}}`;
    const front = rawFile(header, [], true);
    const path = join(dir, 'sparse.safetensors');
    const h = await open(path, 'w');
    await h.write(front, 0, front.length, 0);
    await h.write(new Uint8Array(new Int32Array([7, -8, 9]).buffer), 0, 12, front.length + big);
    await h.close();
    expect(statSync(path).size).toBe(front.length + big + 12);
    const reader = await SafetensorsFileReader.open(path);
    try {
      expect(reader.keys()).toEqual(['huge', 'small']);
      expect(reader.info('huge').byteLength).toBe(big);
      const small = await reader.read('small');
      expect(Array.from(small.data as ArrayLike<number>)).toEqual([7, -8, 9]);
    } finally {
      await reader.close();
    }
  });

  it('writes atomically and round-trips through tf tensors', async () => {
    const path = join(dir, 'w', 'model.safetensors');
    const w = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const ids = tf.tensor1d([3, -1], 'int32');
    const mask = tf.tensor1d([true, false], 'bool');
    await writeSafetensorsFile(
      path,
      { w: toStoredTensor(w), ids: toStoredTensor(ids), mask: toStoredTensor(mask) },
      { format: 'pt' },
    );
    expect(readdirSync(join(dir, 'w'))).toEqual(['model.safetensors']);
    const { tensors, metadata } = await readSafetensorsFile(path);
    expect(metadata).toEqual({ format: 'pt' });
    const before = tf.memory().numTensors;
    const back = Object.fromEntries(
      Object.entries(tensors).map(([k, v]) => [k, fromStoredTensor(v)]),
    );
    expect(tf.memory().numTensors).toBe(before + 3);
    expect(back.w.dtype).toBe('float32');
    expect(back.w.shape).toEqual([2, 3]);
    expect(Array.from(back.w.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.ids.dtype).toBe('int32');
    expect(Array.from(back.ids.dataSync())).toEqual([3, -1]);
    expect(back.mask.dtype).toBe('bool');
    expect(Array.from(back.mask.dataSync())).toEqual([1, 0]);
    tf.dispose([w, ids, mask, ...Object.values(back)]);
  });

  it('converts decoded dtypes to tf tensors, refusing what tfjs cannot hold', () => {
    const bytes = encodeSafetensors({
      h: { dtype: 'F16', shape: [2], data: [0.5, -2] },
      l: { dtype: 'I64', shape: [2], data: new BigInt64Array([5n, -6n]) },
      u: { dtype: 'U32', shape: [1], data: new Uint32Array([4294967295]) },
      c: { dtype: 'C64', shape: [1], data: new Float32Array([1, 2]) },
      f4: { dtype: 'F4', shape: [2], data: new Uint8Array([0x21]) },
    });
    const raw = decodeSafetensors(bytes, { keepHalf: true, int64: 'bigint' }).tensors;
    const h = fromStoredTensor(raw.h);
    expect(Array.from(h.dataSync())).toEqual([0.5, -2]);
    const l = fromStoredTensor(raw.l);
    expect(l.dtype).toBe('int32');
    expect(Array.from(l.dataSync())).toEqual([5, -6]);
    const c = fromStoredTensor(raw.c);
    expect(c.dtype).toBe('complex64');
    expect(() => fromStoredTensor(raw.u)).toThrow(DTypeError);
    expect(() => fromStoredTensor(raw.f4)).toThrow(DTypeError);
    expect(() => toStoredTensor(c)).toThrow(DTypeError);
    tf.dispose([h, l, c]);
  });

  it('gives NotFoundError for a missing file and leaves nothing behind on a failed write', async () => {
    await expect(readSafetensorsFile(join(dir, 'missing.safetensors'))).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const path = join(dir, 'bad', 'x.safetensors');
    await expect(
      writeSafetensorsFile(path, { x: { dtype: 'I8', shape: [1], data: [1000] } }),
    ).rejects.toThrow('does not fit I8');
    writeFileSync(join(dir, 'ok.safetensors'), encodeSafetensors({}));
    expect((await readSafetensorsFile(join(dir, 'ok.safetensors'))).tensors).toEqual({});
  });
});
