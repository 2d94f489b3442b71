import { ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LoraConfig } from './config.js';
import { type LoraEmbedding, LoraLinear } from './layers/lora-layer.js';
import type { LoraModel } from './model.js';
import { ORIGINAL } from './modules-to-save.js';

export type CombinationType = 'linear' | 'cat';

/**
 * PEFT's `add_weighted_adapter` for the two exact-form combinations:
 *
 * - `linear` (all ranks equal): `A' = Σ sign(wᵢsᵢ)·√|wᵢsᵢ|·Aᵢ`,
 *   `B' = Σ √|wᵢsᵢ|·Bᵢ` — PEFT's formula, which is *not* `Σ wᵢ·ΔWᵢ` (cross
 *   terms `BᵢAⱼ` appear); it is what PEFT computes, so kd matches it.
 * - `cat`: ranks stacked, `A' = [A₁; A₂; …]`, `B' = [w₁s₁B₁, w₂s₂B₂, …]`,
 *   so `ΔW' = Σ wᵢ·sᵢ·BᵢAᵢ` exactly.
 *
 * The new adapter has `r = lora_alpha = new rank` (scaling 1), targets the
 * union of the inputs' modules, is frozen and not activated (as in PEFT).
 * Its `modules_to_save` copies come from the one input that has each
 * module (PEFT refuses two inputs saving the same module; it copies the
 * original module, losing the trained head — kd keeps the trained one).
 * Differences from PEFT: rsLoRA is switched off on the result (PEFT keeps
 * `use_rslora`, which would scale the combination by √r), and DoRA inputs
 * are refused (PEFT's result would reinitialise the magnitudes).
 */
export function addWeightedAdapter(
  lora: LoraModel,
  adapters: readonly string[],
  weights: readonly number[],
  name: string,
  combinationType: CombinationType = 'linear',
): void {
  if (adapters.length === 0 || adapters.length !== weights.length) {
    throw new ValidationError(
      `need one weight per adapter, got ${adapters.length} adapters and ${weights.length} weights`,
    );
  }
  for (const w of weights) {
    if (!Number.isFinite(w)) throw new ValidationError(`weights must be finite, got ${w}`);
  }
  const configs = adapters.map((a) => lora.config(a));
  if (configs.some((c) => c.useDora)) {
    throw new ValidationError(
      'add_weighted_adapter does not combine DoRA adapters (magnitudes do not add)',
    );
  }
  const type = adapters.length === 1 ? 'linear' : combinationType;
  const ranks = configs.map((c) => Math.max(c.r, ...Object.values(c.rankPattern)));
  let newRank: number;
  if (type === 'linear') {
    if (new Set(ranks).size !== 1) {
      throw new ValidationError(
        `all adapters must have the same r for combination "linear", got ${ranks.join(', ')}; use "cat"`,
      );
    }
    newRank = ranks[0];
  } else if (type === 'cat') {
    newRank = ranks.reduce((a, b) => a + b, 0);
  } else {
    throw new ValidationError(
      `combinationType must be "linear" or "cat", got ${JSON.stringify(type)}`,
    );
  }
  for (const path of new Set(adapters.flatMap((a) => lora.modulesToSave(a)))) {
    const owners = adapters.filter((a) => lora.modulesToSave(a).includes(path));
    if (owners.length > 1) {
      throw new ValidationError(
        `cannot combine adapters ${owners.map((o) => `"${o}"`).join(' and ')}: both train modules_to_save "${path}"`,
      );
    }
  }
  const targets = [...new Set(adapters.flatMap((a) => lora.targets(a)))];
  const saved = [...new Set(adapters.flatMap((a) => lora.modulesToSave(a)))];
  const base = configs[0];
  const config: LoraConfig = {
    ...base,
    r: newRank,
    loraAlpha: newRank,
    useRslora: false,
    rankPattern: {},
    alphaPattern: {},
    targetModules: targets,
    excludeModules: null,
    layersToTransform: null,
    layersPattern: null,
    modulesToSave: saved.length > 0 ? saved : null,
    taskType: saved.length > 0 ? null : base.taskType,
    initLoraWeights: true,
    loraDropout: base.loraDropout,
    inferenceMode: true,
  };
  lora.addAdapter(name, config);
  for (const path of targets) {
    const layer = lora.layers().get(path);
    const present = adapters
      .map((a, i) => ({ a, w: weights[i] }))
      .filter(({ a }) => layer?.specs.has(a));
    if (!layer || present.length === 0) continue;
    const factor = (n: string) =>
      layer instanceof LoraLinear ? layer.factors(n) : (layer as LoraEmbedding).factors(n);
    const scaling = (n: string) => layer.specs.get(n)?.scaling as number;
    const target = factor(name);
    const [a, b] = tf.tidy((): tf.Tensor[] => {
      if (type === 'cat') {
        const as = present.map(({ a }) => factor(a).a);
        const bs = present.map(({ a, w }) => tf.mul(factor(a).b, w * scaling(a)));
        let catA: tf.Tensor = tf.concat(as, 0);
        let catB: tf.Tensor = tf.concat(bs, 1);
        const missing = newRank - catA.shape[0];
        if (missing > 0) {
          catA = tf.concat([catA, tf.zeros([missing, catA.shape[1] as number])], 0);
          catB = tf.concat([catB, tf.zeros([catB.shape[0], missing])], 1);
        }
        return [catA, catB];
      }
      const ws = present.map(({ a, w }) => w * scaling(a));
      const sumA = tf.addN(
        present.map(({ a }, i) =>
          tf.mul(factor(a).a, Math.sign(ws[i]) * Math.sqrt(Math.abs(ws[i]))),
        ),
      );
      const sumB = tf.addN(
        present.map(({ a }, i) => tf.mul(factor(a).b, Math.sqrt(Math.abs(ws[i])))),
      );
      return [sumA, sumB];
    });
    target.a.assign(a);
    target.b.assign(b);
    a.dispose();
    b.dispose();
  }
  // modules_to_save: the new adapter starts from the trained copy of its owner.
  for (const path of saved) {
    const owner = adapters.find((a) => lora.modulesToSave(a).includes(path)) as string;
    const s = lora.savedModule(path);
    if (!s || owner === undefined) continue;
    const values = s.values(s.has(owner) ? owner : ORIGINAL);
    s.setValues(name, values);
    for (const t of values.values()) t.dispose();
  }
  lora.refreshTrainable();
}
