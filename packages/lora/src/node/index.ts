// Node conveniences for PEFT adapter directories: the same savers and
// loaders as the main entry, reading and writing files.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError, NotFoundError } from '@kd/core';
import { writeFileAtomic } from '@kd/core/node';
import type { LoadHFOptions, Module } from '@kd/nn';
import { loadHFDirectory, saveHFDirectory } from '@kd/nn/node';
import type { LoraModel } from '../model.js';
import {
  type AdapterFiles,
  type AdapterInspection,
  inspectAdapter,
  type LoadAdapterOptions,
  type LoadedAdapter,
  loadAdapter,
  type SaveAdapterOptions,
  saveAdapter,
} from '../peft-files.js';

async function readOrNotFound(path: string, what: string): Promise<Uint8Array> {
  try {
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`${what} not found`, [], { where: path, cause: error });
    }
    throw error;
  }
}

/** Reads `adapter_config.json` and `adapter_model.safetensors` from a PEFT adapter directory. */
export async function readAdapterDirectory(
  dir: string,
): Promise<{ config: Uint8Array; weights: Uint8Array }> {
  const config = await readOrNotFound(join(dir, 'adapter_config.json'), 'adapter_config.json');
  let weights: Uint8Array;
  try {
    weights = await readOrNotFound(
      join(dir, 'adapter_model.safetensors'),
      'adapter_model.safetensors',
    );
  } catch (error) {
    const bin = await readFile(join(dir, 'adapter_model.bin')).catch(() => undefined);
    if (bin) {
      throw new FormatError(
        'only adapter_model.bin (a PyTorch pickle) is here; @kd/lora reads safetensors — convert it with `safetensors.torch.save_file(torch.load(path), "adapter_model.safetensors", metadata={"format": "pt"})`',
        { where: dir },
      );
    }
    throw error;
  }
  return { config, weights };
}

/** Writes a PEFT adapter directory (each file atomically). */
export async function saveAdapterDirectory(
  lora: LoraModel,
  dir: string,
  options: SaveAdapterOptions = {},
): Promise<AdapterFiles> {
  const files = saveAdapter(lora, options);
  await writeFileAtomic(join(dir, 'adapter_model.safetensors'), files['adapter_model.safetensors']);
  await writeFileAtomic(join(dir, 'adapter_config.json'), files['adapter_config.json']);
  return files;
}

/** Loads a PEFT adapter directory onto a model (see `loadAdapter`). */
export async function loadAdapterDirectory(
  target: Module | LoraModel,
  dir: string,
  options: LoadAdapterOptions = {},
): Promise<LoadedAdapter> {
  return loadAdapter(target, await readAdapterDirectory(dir), options);
}

/** `inspectAdapter` on a directory. */
export async function inspectAdapterDirectory(dir: string): Promise<AdapterInspection> {
  return inspectAdapter(await readAdapterDirectory(dir));
}

export interface MergeDirectoriesOptions {
  /** Hugging Face model directory (`config.json` + `model.safetensors`). */
  base: string;
  /** PEFT adapter directory. */
  adapter: string;
  /** Where the merged Hugging Face model directory is written. */
  out: string;
  /** Passed to `loadHFDirectory` (architecture switch, config overrides). */
  loadOptions?: LoadHFOptions;
  onWarning?: (message: string) => void;
}

/**
 * `kd lora merge`: loads the base model, applies the adapter (checked as
 * `loadAdapter` checks it), merges it, removes the adapter layers and writes
 * a plain Hugging Face directory that loads without PEFT. Returns what was
 * merged.
 */
export async function mergeAdapterDirectories(options: MergeDirectoriesOptions): Promise<{
  model: Module;
  loaded: LoadedAdapter;
}> {
  const { model } = await loadHFDirectory(options.base, options.loadOptions);
  try {
    const loaded = await loadAdapterDirectory(model, options.adapter, {
      onWarning: options.onWarning,
    });
    const merged = loaded.lora.mergeAndUnload();
    await saveHFDirectory(merged, options.out);
    return { model: merged, loaded };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
