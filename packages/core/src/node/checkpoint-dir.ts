import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointState, CheckpointStore, StoredTensor } from '../checkpoint-store.js';
import { CheckpointError, KdError, ValidationError } from '../errors.js';
import { decodeSafetensors } from '../safetensors/decode.js';
import { encodeSafetensors } from '../safetensors/encode.js';
import { writeFileAtomic } from './atomic-write.js';
import { fromJsonValue, toJsonValue } from './checkpoint-json.js';

/** Bumped when the layout changes incompatibly; older kd refuses newer checkpoints. */
export const CHECKPOINT_FORMAT_VERSION = 1;
const FORMAT = 'kd-checkpoint';
const PARAMS = 'params.safetensors';
const OPTIMIZER = 'optimizer.safetensors';
const STATE = 'state.json';
const STEP_DIR = /^step-(0|[1-9][0-9]*)$/;
const SCRATCH = /^\.(tmp|trash)-step-/;

export interface DirectoryCheckpointStoreOptions {
  /**
   * How many checkpoints to keep (the highest steps; the one just saved is
   * always kept). Default 2: the newest and one to fall back to by hand.
   * `Infinity` keeps all.
   */
  keep?: number;
}

interface FileRecord {
  bytes: number;
  sha256: string;
}

/** What state.json holds. Tensors live in the two safetensors files beside it. */
interface StateFile {
  format: typeof FORMAT;
  version: number;
  step: number;
  files: Record<string, FileRecord>;
  optimizer?: { scalars: unknown };
  rng?: unknown;
  recipe?: unknown;
  extra?: unknown;
}

const STORED_FROM = { F32: 'float32', I32: 'int32', BOOL: 'bool' } as const;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** fsync a directory so a rename in it survives a power cut (a no-op where unsupported). */
async function syncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open directories; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}

function scratchName(kind: 'tmp' | 'trash', step: number): string {
  return `.${kind}-step-${step}-${randomBytes(6).toString('hex')}`;
}

/**
 * Checkpoints on disk, one directory per step:
 *
 * ```
 * <dir>/step-<n>/params.safetensors     model parameters by dotted name
 * <dir>/step-<n>/optimizer.safetensors  optimizer tensors by `<param>/<slot>`
 * <dir>/step-<n>/state.json             step, RNG streams, recipe, extra,
 *                                       optimizer scalars, format version,
 *                                       size + sha256 of both tensor files
 * ```
 *
 * A checkpoint is written into a hidden temp directory, fsynced, then
 * renamed into place, so `step-<n>` is either absent or complete; a crash
 * mid-save leaves only a temp directory, which `latest` ignores and the next
 * `save` removes. `latest` returns the highest complete step; a checkpoint
 * that claims to be complete (state.json present) but fails to load — bad
 * JSON, missing file, checksum mismatch, malformed safetensors — raises a
 * CheckpointError naming the file rather than silently resuming from an
 * older one. One writer per directory.
 */
export class DirectoryCheckpointStore implements CheckpointStore {
  readonly dir: string;
  readonly keep: number;

  constructor(dir: string, options: DirectoryCheckpointStoreOptions = {}) {
    const keep = options.keep ?? 2;
    if (!(keep === Infinity || (Number.isInteger(keep) && keep >= 1))) {
      throw new ValidationError(`keep must be an integer >= 1 or Infinity, got ${keep}`);
    }
    this.dir = dir;
    this.keep = keep;
  }

  /** Path of the directory for `step`. */
  stepDir(step: number): string {
    return join(this.dir, `step-${step}`);
  }

  async #entries(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new CheckpointError(`cannot list checkpoints: ${(error as Error).message}`, {
        where: this.dir,
        cause: error,
      });
    }
  }

  /** Steps that have a complete checkpoint (state.json present), ascending. */
  async steps(): Promise<number[]> {
    const steps: number[] = [];
    for (const name of await this.#entries()) {
      const m = STEP_DIR.exec(name);
      if (!m) continue;
      try {
        const h = await open(join(this.dir, name, STATE), 'r');
        await h.close();
        steps.push(Number(m[1]));
      } catch {
        // No state.json: torn or foreign; not a checkpoint.
      }
    }
    return steps.sort((a, b) => a - b);
  }

  async save(state: CheckpointState): Promise<void> {
    const { step } = state;
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new ValidationError(`checkpoint step must be a non-negative integer, got ${step}`);
    }
    // Serialise everything before touching the disk: a bad value fails fast.
    const params = encodeSafetensors(state.params, { format: 'pt' });
    const optimizer = encodeSafetensors(state.optimizer?.tensors ?? {}, { format: 'pt' });
    const file: StateFile = {
      format: FORMAT,
      version: CHECKPOINT_FORMAT_VERSION,
      step,
      files: {
        [PARAMS]: { bytes: params.length, sha256: sha256(params) },
        [OPTIMIZER]: { bytes: optimizer.length, sha256: sha256(optimizer) },
      },
    };
    if (state.optimizer)
      file.optimizer = { scalars: toJsonValue(state.optimizer.scalars, 'optimizer.scalars') };
    if (state.rng !== undefined) file.rng = toJsonValue(state.rng, 'rng');
    if (state.recipe !== undefined) file.recipe = toJsonValue(state.recipe, 'recipe');
    if (state.extra !== undefined) file.extra = toJsonValue(state.extra, 'extra');
    const json = `${JSON.stringify(file, null, 1)}\n`;

    await mkdir(this.dir, { recursive: true });
    for (const name of await this.#entries()) {
      if (SCRATCH.test(name)) await rm(join(this.dir, name), { recursive: true, force: true });
    }
    const tmp = join(this.dir, scratchName('tmp', step));
    try {
      await mkdir(tmp);
      await writeFileAtomic(join(tmp, PARAMS), params);
      await writeFileAtomic(join(tmp, OPTIMIZER), optimizer);
      // Written last: its presence marks the checkpoint complete.
      await writeFileAtomic(join(tmp, STATE), json);
      await syncDir(tmp);
      const target = this.stepDir(step);
      const trash = join(this.dir, scratchName('trash', step));
      let replaced = false;
      try {
        await rename(target, trash);
        replaced = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      await rename(tmp, target);
      await syncDir(this.dir);
      if (replaced) await rm(trash, { recursive: true, force: true });
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      throw new CheckpointError(`cannot save step ${step}: ${(error as Error).message}`, {
        where: this.dir,
        cause: error,
      });
    }
    await this.#prune(step);
  }

  async #prune(justSaved: number): Promise<void> {
    if (this.keep === Infinity) return;
    const steps = (await this.steps()).filter((s) => s !== justSaved).sort((a, b) => b - a);
    for (const s of steps.slice(Math.max(0, this.keep - 1))) {
      await rm(this.stepDir(s), { recursive: true, force: true });
    }
  }

  async latest(): Promise<CheckpointState | undefined> {
    const steps = await this.steps();
    // Newest first. steps() saw state.json; if it vanished since (a
    // concurrent prune), fall through to the next.
    for (let i = steps.length - 1; i >= 0; i--) {
      const state = await this.load(steps[i]);
      if (state) return state;
    }
    return undefined;
  }

  /**
   * Loads the checkpoint of `step`; undefined when it is absent or torn (no
   * state.json). Anything else wrong raises a CheckpointError naming the file.
   */
  async load(step: number): Promise<CheckpointState | undefined> {
    const dir = this.stepDir(step);
    const statePath = join(dir, STATE);
    let text: string;
    try {
      text = await readFile(statePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CheckpointError(`cannot read: ${(error as Error).message}`, {
        where: statePath,
        cause: error,
      });
    }
    let file: StateFile;
    try {
      file = JSON.parse(text) as StateFile;
    } catch (error) {
      throw new CheckpointError(
        `not valid JSON (${(error as Error).message}); the checkpoint is corrupt`,
        {
          where: statePath,
          cause: error,
        },
      );
    }
    const bad = (message: string) => new CheckpointError(message, { where: statePath });
    if (typeof file !== 'object' || file === null || file.format !== FORMAT) {
      throw bad(`not a kd checkpoint (expected "format": "${FORMAT}")`);
    }
    if (!Number.isInteger(file.version) || file.version < 1)
      throw bad(`bad format version ${file.version}`);
    if (file.version > CHECKPOINT_FORMAT_VERSION) {
      throw bad(
        `written by a newer kd (format version ${file.version}; this one reads up to ${CHECKPOINT_FORMAT_VERSION})`,
      );
    }
    if (file.step !== step) throw bad(`says step ${file.step} but lives in step-${step}`);
    const params = await this.#tensors(join(dir, PARAMS), file.files?.[PARAMS]);
    const optimizerTensors = await this.#tensors(join(dir, OPTIMIZER), file.files?.[OPTIMIZER]);
    const state: CheckpointState = { step, params };
    if (file.optimizer) {
      state.optimizer = {
        tensors: optimizerTensors,
        scalars: fromJsonValue(file.optimizer.scalars, statePath, 'optimizer.scalars') as Record<
          string,
          unknown
        >,
      };
    }
    if ('rng' in file)
      state.rng = fromJsonValue(file.rng, statePath, 'rng') as CheckpointState['rng'];
    if ('recipe' in file) state.recipe = fromJsonValue(file.recipe, statePath, 'recipe');
    if ('extra' in file) {
      state.extra = fromJsonValue(file.extra, statePath, 'extra') as Record<string, unknown>;
    }
    return state;
  }

  async #tensors(
    path: string,
    record: FileRecord | undefined,
  ): Promise<Record<string, StoredTensor>> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new CheckpointError(
        `cannot read (${(error as NodeJS.ErrnoException).code ?? error}); the checkpoint is incomplete`,
        {
          where: path,
          cause: error,
        },
      );
    }
    if (record) {
      if (bytes.length !== record.bytes) {
        throw new CheckpointError(
          `is ${bytes.length} bytes, state.json recorded ${record.bytes}: the file is truncated or was changed`,
          { where: path },
        );
      }
      if (sha256(bytes) !== record.sha256) {
        throw new CheckpointError(
          'sha256 differs from the one in state.json: the file is corrupt',
          {
            where: path,
          },
        );
      }
    }
    let decoded: ReturnType<typeof decodeSafetensors>;
    try {
      decoded = decodeSafetensors(bytes, { where: path });
    } catch (error) {
      if (!(error instanceof KdError)) throw error;
      throw new CheckpointError(error.message, { cause: error });
    }
    const out: Record<string, StoredTensor> = {};
    for (const [name, t] of Object.entries(decoded.tensors)) {
      const dtype = STORED_FROM[t.dtype as keyof typeof STORED_FROM];
      if (!dtype) {
        throw new CheckpointError(
          `tensor ${JSON.stringify(name)} is ${t.dtype}; checkpoints hold F32, I32 and BOOL only`,
          { where: path },
        );
      }
      Object.defineProperty(out, name, {
        value: { dtype, shape: t.shape, data: t.data as StoredTensor['data'] },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  async clear(): Promise<void> {
    for (const name of await this.#entries()) {
      if (STEP_DIR.test(name) || SCRATCH.test(name)) {
        await rm(join(this.dir, name), { recursive: true, force: true });
      }
    }
  }
}
