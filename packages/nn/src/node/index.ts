// Node conveniences: the same loaders and savers as the main entry, reading
// and writing files. Everything here is a thin layer over the byte APIs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError, NotFoundError } from '@kd/core';
import { writeFileAtomic } from '@kd/core/node';
import { type LoadHFOptions, loadHF, type SaveHFOptions, saveHF } from '../checkpoints/hf.js';
import { loadLlama2c, saveLlama2c } from '../checkpoints/llama2c.js';
import type { LlamaForCausalLM } from '../models/llama.js';
import type { Module } from '../module.js';

async function readOrNotFound(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`${what} not found`, [], { where: path, cause: error });
    }
    throw error;
  }
}

function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Reads a Hugging Face model directory: `config.json` and `model.safetensors`
 * (or the shards named by `model.safetensors.index.json`).
 */
export async function loadHFDirectory(dir: string, options: LoadHFOptions = {}) {
  const config = bytes(await readOrNotFound(join(dir, 'config.json'), 'config.json'));
  let weights: Uint8Array | Uint8Array[];
  try {
    weights = bytes(await readFile(join(dir, 'model.safetensors')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const indexPath = join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(
      (
        await readOrNotFound(indexPath, 'model.safetensors (or model.safetensors.index.json)')
      ).toString('utf8'),
    ) as { weight_map?: Record<string, string> };
    if (!index.weight_map || typeof index.weight_map !== 'object') {
      throw new FormatError('no "weight_map" object', { where: indexPath });
    }
    const shards = [...new Set(Object.values(index.weight_map))].sort();
    weights = await Promise.all(
      shards.map(async (s) => bytes(await readOrNotFound(join(dir, s), s))),
    );
  }
  return loadHF({ config, weights }, options);
}

/** Writes `config.json` and `model.safetensors` into `dir` (created if needed), each atomically. */
export async function saveHFDirectory(
  model: Module,
  dir: string,
  options: SaveHFOptions = {},
): Promise<void> {
  const { files } = saveHF(model, options);
  await writeFileAtomic(join(dir, 'model.safetensors'), files['model.safetensors']);
  await writeFileAtomic(join(dir, 'config.json'), files['config.json']);
}

/** Loads a llama2.c checkpoint file (legacy or `ak42` v1). */
export async function loadLlama2cFile(path: string): Promise<LlamaForCausalLM> {
  return loadLlama2c(bytes(await readOrNotFound(path, 'llama2.c checkpoint')));
}

/** Writes a llama2.c checkpoint file atomically (`version` 1 by default). */
export async function saveLlama2cFile(
  model: LlamaForCausalLM,
  path: string,
  options: { version?: 0 | 1 } = {},
): Promise<void> {
  await writeFileAtomic(path, saveLlama2c(model, options));
}
