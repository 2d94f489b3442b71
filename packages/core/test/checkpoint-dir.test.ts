import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  type CheckpointState,
  decodeSafetensors,
  Rng,
  ValidationError,
} from '../src/index.js';
import { CHECKPOINT_FORMAT_VERSION, DirectoryCheckpointStore } from '../src/node/index.js';

let root: string;
let n = 0;
const fresh = () => join(root, `c${n++}`);
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kd-ckpt-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function state(step: number): CheckpointState {
  const rng = new Rng(step);
  rng.normal(); // leaves a Box–Muller spare behind
  const nanBits = new Float32Array(
    new Uint32Array([0x7fc00001, 0x80000000, 0x00000001, 0x7f800000]).buffer,
  );
  return {
    step,
    params: {
      'encoder.weight': { dtype: 'float32', shape: [2, 3], data: rng.normalArray(6) },
      'odd.bits': { dtype: 'float32', shape: [4], data: nanBits },
      'token.ids': { dtype: 'int32', shape: [3], data: new Int32Array([1, -2, 2147483647]) },
      mask: { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) },
      scalar: { dtype: 'float32', shape: [], data: new Float32Array([step]) },
    },
    optimizer: {
      tensors: {
        'encoder.weight/exp_avg': { dtype: 'float32', shape: [2, 3], data: rng.uniformArray(6) },
      },
      scalars: { count: step, lr: 1e-3, betas: [0.9, 0.999], best: Number.NaN, bound: -Infinity },
    },
    rng: { data: rng.getState(), dropout: rng.fork('dropout').getState() },
    recipe: { task: 'demo', options: { lr: 0.1, nested: { list: [1, 'two', null, true] } } },
    extra: {
      losses: [1.5, Number.NaN, Infinity, -0, 1e-300],
      curve: new Float64Array([0.1, 0.2]),
      big: 2n ** 70n,
      holes: [undefined, 1],
    },
  };
}

describe('DirectoryCheckpointStore', () => {
  it('saves the documented layout and loads back exactly', async () => {
    const dir = fresh();
    const store = new DirectoryCheckpointStore(dir);
    expect(await store.latest()).toBeUndefined();
    const s = state(7);
    await store.save(s);
    expect(readdirSync(dir)).toEqual(['step-7']);
    expect(readdirSync(join(dir, 'step-7')).sort()).toEqual([
      'optimizer.safetensors',
      'params.safetensors',
      'state.json',
    ]);
    const json = JSON.parse(readFileSync(join(dir, 'step-7', 'state.json'), 'utf8'));
    expect(json.format).toBe('kd-checkpoint');
    expect(json.version).toBe(CHECKPOINT_FORMAT_VERSION);
    expect(json.step).toBe(7);
    expect(Object.keys(json.files).sort()).toEqual(['optimizer.safetensors', 'params.safetensors']);
    // The params file is ordinary safetensors, loadable by Hugging Face tools.
    const params = decodeSafetensors(
      new Uint8Array(readFileSync(join(dir, 'step-7', 'params.safetensors'))),
    );
    expect(params.metadata).toEqual({ format: 'pt' });
    expect(params.tensors['token.ids'].dtype).toBe('I32');

    const back = await store.latest();
    expect(back).toBeDefined();
    expect(back!.step).toBe(7);
    for (const [name, t] of Object.entries(s.params)) {
      const got = back!.params[name];
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual(t.shape);
      expect(got.data.constructor, name).toBe(t.data.constructor);
      // Bit-exact, NaN payloads and -0 included.
      expect(
        Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(
          Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        ),
        name,
      ).toBe(true);
    }
    expect(back!.optimizer!.tensors['encoder.weight/exp_avg'].data).toEqual(
      s.optimizer!.tensors['encoder.weight/exp_avg'].data,
    );
    expect(back!.optimizer!.scalars).toEqual(s.optimizer!.scalars);
    expect(back!.rng).toEqual(s.rng);
    expect(back!.recipe).toEqual(s.recipe);
    const extra = back!.extra as Record<string, unknown>;
    expect(Object.is((extra.losses as number[])[3], -0)).toBe(true);
    expect(extra.losses).toEqual([1.5, Number.NaN, Infinity, -0, 1e-300]);
    expect(extra.curve).toBeInstanceOf(Float64Array);
    expect(Array.from(extra.curve as Float64Array)).toEqual([0.1, 0.2]);
    expect(extra.big).toBe(2n ** 70n);
    expect(extra.holes).toEqual([undefined, 1]);
    // The restored RNG continues the same stream.
    const a = Rng.fromState(s.rng!.data);
    const b = Rng.fromState(back!.rng!.data);
    expect([a.normal(), a.normal(), a.uniform()]).toEqual([b.normal(), b.normal(), b.uniform()]);
  });

  it('keeps the newest `keep` checkpoints', async () => {
    const dir = fresh();
    const store = new DirectoryCheckpointStore(dir, { keep: 2 });
    for (const step of [1, 2, 3, 4, 5]) await store.save(state(step));
    expect(await store.steps()).toEqual([4, 5]);
    expect((await store.latest())!.step).toBe(5);
    const all = new DirectoryCheckpointStore(fresh(), { keep: Infinity });
    for (const step of [10, 20, 30]) await all.save(state(step));
    expect(await all.steps()).toEqual([10, 20, 30]);
    expect(() => new DirectoryCheckpointStore(dir, { keep: 0 })).toThrow(ValidationError);
  });

  it('replaces a checkpoint saved again at the same step', async () => {
    const dir = fresh();
    const store = new DirectoryCheckpointStore(dir);
    await store.save(state(3));
    const other = state(3);
    other.extra = { note: 'second' };
    await store.save(other);
    expect(readdirSync(dir)).toEqual(['step-3']);
    expect((await store.latest())!.extra).toEqual({ note: 'second' });
  });

  it('ignores torn checkpoints and leftover temp directories', async () => {
    const dir = fresh();
    const store = new DirectoryCheckpointStore(dir, { keep: 5 });
    await store.save(state(10));
    // A crash mid-save leaves a temp dir; a step dir without state.json is
    // not complete either (e.g. copied by hand, interrupted).
    mkdirSync(join(dir, '.tmp-step-20-abcdef'));
    writeFileSync(join(dir, '.tmp-step-20-abcdef', 'params.safetensors'), 'partial');
    mkdirSync(join(dir, 'step-30'));
    writeFileSync(join(dir, 'step-30', 'params.safetensors'), 'partial');
    mkdirSync(join(dir, 'step-x'));
    expect(await store.steps()).toEqual([10]);
    expect((await store.latest())!.step).toBe(10);
    await store.save(state(11));
    expect(existsSync(join(dir, '.tmp-step-20-abcdef'))).toBe(false);
    expect((await store.latest())!.step).toBe(11);
  });

  describe('raises CheckpointError naming the file for a corrupt checkpoint', () => {
    const corruptions: [string, (d: string) => void, string][] = [
      [
        'state.json is not JSON',
        (d) => writeFileSync(join(d, 'state.json'), '{"format":'),
        'state.json',
      ],
      [
        'state.json from a newer kd',
        (d) => {
          const j = JSON.parse(readFileSync(join(d, 'state.json'), 'utf8'));
          writeFileSync(join(d, 'state.json'), JSON.stringify({ ...j, version: 99 }));
        },
        'state.json',
      ],
      [
        'state.json for another step',
        (d) => {
          const j = JSON.parse(readFileSync(join(d, 'state.json'), 'utf8'));
          writeFileSync(join(d, 'state.json'), JSON.stringify({ ...j, step: 4 }));
        },
        'state.json',
      ],
      [
        'a flipped bit in params',
        (d) => {
          const b = readFileSync(join(d, 'params.safetensors'));
          b[b.length - 3] ^= 0x10;
          writeFileSync(join(d, 'params.safetensors'), b);
        },
        'params.safetensors',
      ],
      [
        'a truncated optimizer file',
        (d) => {
          const b = readFileSync(join(d, 'optimizer.safetensors'));
          writeFileSync(join(d, 'optimizer.safetensors'), b.subarray(0, b.length - 4));
        },
        'optimizer.safetensors',
      ],
      ['a missing params file', (d) => rmSync(join(d, 'params.safetensors')), 'params.safetensors'],
      [
        'malformed safetensors with no recorded checksum',
        (d) => {
          const j = JSON.parse(readFileSync(join(d, 'state.json'), 'utf8'));
          j.files = {};
          writeFileSync(join(d, 'state.json'), JSON.stringify(j));
          writeFileSync(join(d, 'params.safetensors'), new Uint8Array(5));
        },
        'params.safetensors',
      ],
      [
        'a bad tagged value',
        (d) => {
          const j = JSON.parse(readFileSync(join(d, 'state.json'), 'utf8'));
          j.extra = { x: { __kd__: 'number', value: 'lots' } };
          writeFileSync(join(d, 'state.json'), JSON.stringify(j));
        },
        'state.json',
      ],
    ];
    for (const [name, corrupt, file] of corruptions) {
      it(name, async () => {
        const dir = fresh();
        const store = new DirectoryCheckpointStore(dir, { keep: 5 });
        await store.save(state(2));
        await store.save(state(5));
        corrupt(join(dir, 'step-5'));
        const error = await store.latest().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(CheckpointError);
        expect((error as Error).message).toContain(join(dir, 'step-5', file));
        // The older checkpoint is intact and loadable on its own.
        expect((await store.load(2))!.step).toBe(2);
      });
    }
  });

  it('refuses values it cannot store before touching the disk', async () => {
    const dir = fresh();
    const store = new DirectoryCheckpointStore(dir);
    const s = state(1);
    s.extra = { history: [{ when: new Map() }] };
    await expect(store.save(s)).rejects.toThrow(/extra\.history\[0\]\.when: cannot store a Map/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(store.save({ ...state(1), extra: cyclic })).rejects.toThrow(CheckpointError);
    await expect(store.save({ ...state(1), extra: { __kd__: 1 } })).rejects.toThrow('reserved');
    await expect(store.save({ ...state(1), step: -1 })).rejects.toThrow(ValidationError);
    expect(existsSync(dir)).toBe(false);
  });

  it('clear() removes every checkpoint and nothing else', async () => {
    const dir = fresh();
    const store = new DirectoryCheckpointStore(dir, { keep: 3 });
    await store.save(state(1));
    await store.save(state(2));
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await store.clear();
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    expect(await store.latest()).toBeUndefined();
  });

  it('saves without optimizer, rng, recipe or extra', async () => {
    const store = new DirectoryCheckpointStore(fresh());
    await store.save({ step: 0, params: {} });
    const back = await store.latest();
    expect(back).toEqual({ step: 0, params: {} });
  });
});
