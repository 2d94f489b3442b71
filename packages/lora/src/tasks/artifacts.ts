import type { ArtifactSink } from '@kd/core';
import { type Module, saveHF } from '@kd/nn';
import type { LoraModel } from '../model.js';
import { saveAdapter } from '../peft-files.js';

/** Artefact name of an arm's trained output: its adapter, or the whole model when it has none. */
export function armArtifactName(key: string, hasAdapter: boolean): string {
  return hasAdapter ? `adapters/${key}` : `models/${key}`;
}

/**
 * Hands one trained arm to the task's artefact sink: the adapter as a PEFT
 * directory (`adapter_config.json`, `adapter_model.safetensors`, loadable by
 * `loadAdapter` here and `PeftModel.from_pretrained` in Python), or, for an
 * arm that fine-tunes every weight, the model as a Hugging Face directory
 * (`config.json`, `model.safetensors`).
 */
export async function saveArmArtifact(
  sink: ArtifactSink,
  key: string,
  model: Module,
  lora: LoraModel | undefined,
): Promise<void> {
  const files = lora ? { ...saveAdapter(lora) } : { ...saveHF(model).files };
  await sink.save(armArtifactName(key, lora !== undefined), files);
}

/** The result note naming a run's artefacts (`adapters/…`, `models/…`) and what the adapters apply to. */
export function artifactsNote(names: readonly string[], seed: number, base: string): string {
  const adapters = names.filter((n) => n.startsWith('adapters/'));
  const models = names.filter((n) => !n.startsWith('adapters/'));
  const parts = [
    ...(adapters.length > 0 ? [`PEFT adapters for ${base}: ${adapters.join(', ')}`] : []),
    ...(models.length > 0 ? [`fine-tuned Hugging Face models: ${models.join(', ')}`] : []),
  ];
  return `Artefacts of seed ${seed} (the first seed): ${parts.join('; ')}.`;
}
