import { readFileSync } from 'node:fs';
import {
  decodeSafetensors,
  encodeSafetensors,
  initBackend,
  NotFoundError,
  ShapeError,
  ValidationError,
} from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adapterConfigJson,
  inspectAdapter,
  LoraModel,
  loadAdapter,
  loraConfig,
  parseAdapterConfig,
  saveAdapter,
} from '../src/index.js';
import { TinyEncoder } from './helpers/models.js';
import { add, flat, fromFlat, maxAbsDiff, mm, randomValues, rowNorms } from './helpers/plain.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const fixture = (name: string) => new URL(`./fixtures/peft-reference/${name}`, import.meta.url);
const bytes = (name: string) => new Uint8Array(readFileSync(fixture(name)));

function baseModel(dtype: 'f32' | 'bf16' = 'f32'): TinyEncoder {
  const model = new TinyEncoder(32, 2, 2);
  const { tensors } = decodeSafetensors(bytes(`base_model.${dtype}.safetensors`));
  model.loadStateDict(
    Object.fromEntries(
      Object.entries(tensors).map(([k, t]) => [
        k,
        { dtype: 'float32' as const, shape: t.shape, data: t.data as Float32Array },
      ]),
    ),
  );
  return model;
}

/** Every key PEFT 0.19 writes in adapter_config.json for LoRA (from a real PEFT-written file). */
const PEFT_CONFIG_KEYS = [
  'alora_invocation_tokens',
  'alpha_pattern',
  'arrow_config',
  'auto_mapping',
  'base_model_name_or_path',
  'bias',
  'corda_config',
  'ensure_weight_tying',
  'eva_config',
  'exclude_modules',
  'fan_in_fan_out',
  'inference_mode',
  'init_lora_weights',
  'layer_replication',
  'layers_pattern',
  'layers_to_transform',
  'loftq_config',
  'lora_alpha',
  'lora_bias',
  'lora_dropout',
  'lora_ga_config',
  'megatron_config',
  'megatron_core',
  'modules_to_save',
  'peft_type',
  'peft_version',
  'qalora_group_size',
  'r',
  'rank_pattern',
  'revision',
  'target_modules',
  'target_parameters',
  'task_type',
  'trainable_token_indices',
  'use_bdlora',
  'use_dora',
  'use_qalora',
  'use_rslora',
];

describe('the reference PEFT adapter (written by the official tools)', () => {
  it('loads onto the base and merges to the weights torch computes', () => {
    const model = baseModel();
    const warnings: string[] = [];
    const { lora, report } = loadAdapter(
      model,
      { config: bytes('adapter_config.json'), weights: bytes('adapter_model.safetensors') },
      { onWarning: (w) => warnings.push(w) },
    );
    expect(warnings).toEqual([]);
    expect(report.modules.sort()).toEqual([
      'encoder.layer.0.attention.self.query',
      'encoder.layer.0.attention.self.value',
      'encoder.layer.1.attention.self.query',
      'encoder.layer.1.attention.self.value',
    ]);
    expect(report.modulesToSave).toEqual(['classifier']);
    expect(lora.parameterCounts().trainable).toBe(0); // inference mode
    const merged = lora.mergeAndUnload();
    const expected = JSON.parse(readFileSync(fixture('merge_expected.json'), 'utf8'))
      .expected as Record<string, { float32_torch?: number[][]; float64?: number[] | number[][] }>;
    for (const [key, want] of Object.entries(expected)) {
      const got = merged.getParameter(key).dataSync();
      const ref = (want.float32_torch ?? want.float64) as number[] | number[][];
      // torch float32 vs tfjs float32: different summation order, 1 ulp-scale.
      expect(maxAbsDiff(got, ref.flat())).toBeLessThan(2e-7);
    }
    // Original names again, nothing left of the adapter.
    expect(
      merged
        .namedParameters()
        .map(([n]) => n)
        .some((n) => n.includes('lora_') || n.includes('base_layer')),
    ).toBe(false);
    merged.dispose();
  });

  it('a BF16 base loads too and merges within BF16 rounding', () => {
    const model = baseModel('bf16');
    const { lora } = loadAdapter(model, {
      config: bytes('adapter_config.json'),
      weights: bytes('adapter_model.safetensors'),
    });
    const merged = lora.mergeAndUnload();
    const want = JSON.parse(readFileSync(fixture('merge_expected.json'), 'utf8')).expected[
      'encoder.layer.0.attention.self.query.weight'
    ].float32_torch.flat();
    expect(
      maxAbsDiff(
        merged.getParameter('encoder.layer.0.attention.self.query.weight').dataSync(),
        want,
      ),
    ).toBeLessThan(1e-3);
    merged.dispose();
  });

  it('inspectAdapter reads targets, ranks and counts from the files alone', () => {
    const info = inspectAdapter({
      config: bytes('adapter_config.json'),
      weights: bytes('adapter_model.safetensors'),
    });
    expect(info.modules.map((m) => [m.path, m.r, m.in, m.out, m.scaling])).toEqual([
      ['encoder.layer.0.attention.self.query', 4, 32, 32, 2],
      ['encoder.layer.0.attention.self.value', 4, 32, 32, 2],
      ['encoder.layer.1.attention.self.query', 4, 32, 32, 2],
      ['encoder.layer.1.attention.self.value', 4, 32, 32, 2],
    ]);
    expect(info.totals.adapterParameters).toBe(4 * (4 * 32 + 32 * 4));
    expect(info.saved.map((s) => s.name).sort()).toEqual(['classifier.bias', 'classifier.weight']);
  });
});

describe('a PEFT adapter directory written by hand from the published format', () => {
  // rsLoRA + rank_pattern + DoRA, keys and shapes as PEFT documents them.
  const r = 2;
  const rValue = 3;
  const alpha = 4;
  const config = {
    peft_type: 'LORA',
    task_type: null,
    r,
    lora_alpha: alpha,
    target_modules: ['query', 'value'],
    rank_pattern: { value: rValue },
    alpha_pattern: {},
    use_rslora: true,
    use_dora: true,
    modules_to_save: null,
    layers_to_transform: [1],
    layers_pattern: 'layer',
    bias: 'none',
    init_lora_weights: true,
    inference_mode: true,
  };
  const mods = { query: r, value: rValue };
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  let seed = 10;
  for (const [m, rank] of Object.entries(mods)) {
    const p = `base_model.model.encoder.layer.1.attention.self.${m}`;
    tensors[`${p}.lora_A.weight`] = {
      dtype: 'F32',
      shape: [rank, 32],
      data: Float32Array.from(randomValues(rank * 32, seed++, 0.2)),
    };
    tensors[`${p}.lora_B.weight`] = {
      dtype: 'F32',
      shape: [32, rank],
      data: Float32Array.from(randomValues(32 * rank, seed++, 0.2)),
    };
    tensors[`${p}.lora_magnitude_vector`] = {
      dtype: 'F32',
      shape: [32],
      data: Float32Array.from(randomValues(32, seed++, 0.5).map((v) => 1 + v)),
    };
  }
  const files = () => ({
    config: JSON.stringify(config),
    weights: encodeSafetensors(tensors, { format: 'pt' }),
  });

  it('loads (layers_to_transform keeps layer 0 untouched) and merges to m/‖W+sBA‖·(W+sBA)', () => {
    const model = baseModel();
    const before = Object.fromEntries(
      model.namedParameters().map(([n, p]) => [n, Array.from(p.dataSync())]),
    );
    const { lora } = loadAdapter(model, files());
    expect(lora.targets('default').sort()).toEqual([
      'encoder.layer.1.attention.self.query',
      'encoder.layer.1.attention.self.value',
    ]);
    const merged = lora.mergeAndUnload();
    for (const [m, rank] of Object.entries(mods)) {
      const p = `encoder.layer.1.attention.self.${m}`;
      const s = alpha / Math.sqrt(rank); // rsLoRA
      const w = fromFlat(before[`${p}.weight`], 32, 32);
      const a = fromFlat(tensors[`base_model.model.${p}.lora_A.weight`].data, rank, 32);
      const b = fromFlat(tensors[`base_model.model.${p}.lora_B.weight`].data, 32, rank);
      const mag = Array.from(tensors[`base_model.model.${p}.lora_magnitude_vector`].data);
      const v = add(w, mm(b, a), s);
      const n = rowNorms(v);
      const want = v.map((row, i) => row.map((e) => (mag[i] / n[i]) * e));
      expect(maxAbsDiff(merged.getParameter(`${p}.weight`).dataSync(), flat(want))).toBeLessThan(
        1e-6,
      );
    }
    for (const k of ['encoder.layer.0.attention.self.query.weight', 'classifier.weight']) {
      expect(Array.from(merged.getParameter(k).dataSync())).toEqual(before[k]);
    }
    merged.dispose();
  });

  it('F16 adapter tensors load as float32', () => {
    const model = baseModel();
    const f16 = Object.fromEntries(
      Object.entries(tensors).map(([k, t]) => [k, { ...t, dtype: 'F16' as const }]),
    );
    const { report, lora } = loadAdapter(model, {
      config: JSON.stringify(config),
      weights: encodeSafetensors(f16, { format: 'pt' }),
    });
    expect(report.dtypes).toEqual({ F16: 6 });
    lora.dispose();
  });
});

describe('what kd saves is exactly PEFT', () => {
  it('names, shapes, dtypes, metadata and config keys', () => {
    const model = baseModel();
    const lora = LoraModel.wrap(model, {
      r: 4,
      loraAlpha: 8,
      targetModules: ['query', 'value'],
      modulesToSave: ['classifier'],
      taskType: 'SEQ_CLS',
      useDora: true,
    });
    const files = saveAdapter(lora);
    const decoded = decodeSafetensors(files['adapter_model.safetensors']);
    expect(decoded.metadata).toEqual({ format: 'pt' });
    const want: Record<string, number[]> = {
      'base_model.model.classifier.weight': [2, 32],
      'base_model.model.classifier.bias': [2],
    };
    for (const l of [0, 1]) {
      for (const m of ['query', 'value']) {
        const p = `base_model.model.encoder.layer.${l}.attention.self.${m}`;
        want[`${p}.lora_A.weight`] = [4, 32];
        want[`${p}.lora_B.weight`] = [32, 4];
        want[`${p}.lora_magnitude_vector`] = [32];
      }
    }
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(want).sort());
    for (const [k, t] of Object.entries(decoded.tensors)) {
      expect(t.dtype).toBe('F32');
      expect(t.shape).toEqual(want[k]);
    }
    // Byte layout: header padded to 8 bytes, as the official writer.
    const n = new DataView(files['adapter_model.safetensors'].buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    const json = JSON.parse(files['adapter_config.json']);
    expect(Object.keys(json)).toEqual(PEFT_CONFIG_KEYS);
    expect(json).toMatchObject({
      peft_type: 'LORA',
      r: 4,
      lora_alpha: 8,
      target_modules: ['query', 'value'],
      modules_to_save: ['classifier'],
      task_type: 'SEQ_CLS',
      use_dora: true,
      use_rslora: false,
      inference_mode: true,
      init_lora_weights: true,
      bias: 'none',
      rank_pattern: {},
      alpha_pattern: {},
      fan_in_fan_out: false,
      lora_dropout: 0,
    });
    lora.dispose();
  });

  it('save → load on a fresh base gives the same outputs; the reference adapter re-saves to the same tensors', () => {
    const model = baseModel();
    const lora = LoraModel.wrap(
      model,
      { r: 3, targetModules: 'all-linear', modulesToSave: ['classifier'], initLoraWeights: false },
      { seed: 4 },
    );
    const x = tf.tensor2d(randomValues(3 * 32, 1), [3, 32]);
    const y = (lora.model as TinyEncoder).forward(x).dataSync();
    const files = saveAdapter(lora);
    const fresh = baseModel();
    const { lora: loaded } = loadAdapter(fresh, {
      config: files['adapter_config.json'],
      weights: files['adapter_model.safetensors'],
    });
    expect(maxAbsDiff((loaded.model as TinyEncoder).forward(x).dataSync(), y)).toBe(0);

    const ref = loadAdapter(baseModel(), {
      config: bytes('adapter_config.json'),
      weights: bytes('adapter_model.safetensors'),
    });
    const again = decodeSafetensors(saveAdapter(ref.lora)['adapter_model.safetensors']).tensors;
    const orig = decodeSafetensors(bytes('adapter_model.safetensors')).tensors;
    expect(Object.keys(again).sort()).toEqual(Object.keys(orig).sort());
    for (const k of Object.keys(orig))
      expect(Array.from(again[k].data as Float32Array)).toEqual(
        Array.from(orig[k].data as Float32Array),
      );
  });
});

describe('bad adapters fail loudly, naming the module, and leave the model as it was', () => {
  const cfg = JSON.parse(readFileSync(fixture('adapter_config.json'), 'utf8'));
  const good = decodeSafetensors(bytes('adapter_model.safetensors')).tensors;
  const names = (m: TinyEncoder) => m.namedParameters().map(([n]) => n);

  function expectUntouched(
    model: TinyEncoder,
    run: () => unknown,
    error: new (...args: never[]) => Error,
    pattern: RegExp,
  ) {
    const before = names(model);
    expect(run).toThrowError(error);
    expect(run).toThrowError(pattern);
    expect(names(model)).toEqual(before);
  }

  it('a target missing from the model', () => {
    const model = baseModel();
    const weights = { ...good };
    weights['base_model.model.encoder.layer.2.attention.self.query.lora_A.weight'] =
      good['base_model.model.encoder.layer.0.attention.self.query.lora_A.weight'];
    expectUntouched(
      model,
      () => loadAdapter(model, { config: cfg, weights }),
      ValidationError,
      /module "encoder\.layer\.2\.attention\.self\.query".*no module/,
    );
  });

  it('config targets that match nothing', () => {
    const model = baseModel();
    expectUntouched(
      model,
      () => loadAdapter(model, { config: { ...cfg, target_modules: ['q_proj'] }, weights: good }),
      NotFoundError,
      /\["q_proj"\] not found/,
    );
  });

  it('a tensor for a module the config does not target', () => {
    const model = baseModel();
    expectUntouched(
      model,
      () => loadAdapter(model, { config: { ...cfg, target_modules: ['query'] }, weights: good }),
      ValidationError,
      /"encoder\.layer\.0\.attention\.self\.value".*do not select/,
    );
  });

  it('shapes that disagree (r in the config ≠ r in the file)', () => {
    const model = baseModel();
    expectUntouched(
      model,
      () => loadAdapter(model, { config: { ...cfg, r: 8 }, weights: good }),
      ShapeError,
      /module "encoder\.layer\.0\.attention\.self\.query".*\[4, 32\].*\[8, 32\]/,
    );
  });

  it('a missing factor', () => {
    const model = baseModel();
    const { 'base_model.model.encoder.layer.1.attention.self.value.lora_B.weight': _, ...weights } =
      good;
    expectUntouched(
      model,
      () => loadAdapter(model, { config: cfg, weights }),
      ValidationError,
      /lacks 1 tensor.*"encoder\.layer\.1\.attention\.self\.value"/,
    );
  });

  it('a missing modules_to_save head (PEFT #577: random accuracy after reload)', () => {
    const model = baseModel();
    const { 'base_model.model.classifier.weight': _, ...weights } = good;
    expectUntouched(
      model,
      () => loadAdapter(model, { config: cfg, weights }),
      ValidationError,
      /"classifier"/,
    );
  });

  it('malformed configs name the field', () => {
    const model = baseModel();
    const cases: [unknown, RegExp][] = [
      [{ ...cfg, r: 'eight' }, /r: /],
      [{ ...cfg, lora_alpha: -1 }, /lora_alpha/],
      [{ ...cfg, target_modules: 7 }, /target_modules/],
      [{ ...cfg, peft_type: 'IA3' }, /peft_type is "IA3"/],
      [(({ peft_type: _, ...rest }) => rest)(cfg), /missing "peft_type"/],
      [{ ...cfg, layer_replication: [[0, 1]] }, /layer_replication/],
      ['{ "peft_type": "LORA", ', /not valid JSON/],
    ];
    for (const [config, pattern] of cases) {
      expectUntouched(
        model,
        () => loadAdapter(model, { config: config as never, weights: good }),
        ValidationError,
        pattern,
      );
    }
  });

  it('unknown config keys are kept, warned about, and written back', () => {
    const warnings: string[] = [];
    const parsed = parseAdapterConfig({ ...cfg, shiny_new_option: { on: true } });
    expect(parsed.unknownKeys).toEqual(['shiny_new_option']);
    const { lora } = loadAdapter(
      baseModel(),
      { config: { ...cfg, shiny_new_option: { on: true } }, weights: good },
      { onWarning: (w) => warnings.push(w) },
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/shiny_new_option/);
    expect(JSON.parse(saveAdapter(lora)['adapter_config.json']).shiny_new_option).toEqual({
      on: true,
    });
    expect(adapterConfigJson(loraConfig({}))).not.toHaveProperty('shiny_new_option');
  });
});

describe("PEFT's save_embedding_layers='auto'", () => {
  it('a targeted embed_tokens is saved in full as <path>.base_layer.weight, and loads back', async () => {
    const { LlamaForCausalLM } = await import('@kd/nn');
    const make = () =>
      new LlamaForCausalLM(
        {
          vocabSize: 16,
          hiddenSize: 8,
          intermediateSize: 12,
          numHiddenLayers: 1,
          numAttentionHeads: 2,
          maxPositionEmbeddings: 8,
        },
        { seed: 2 },
      );
    const lora = LoraModel.wrap(make(), { r: 2, targetModules: ['embed_tokens', 'q_proj'] });
    const keys = Object.keys(
      decodeSafetensors(saveAdapter(lora)['adapter_model.safetensors']).tensors,
    ).sort();
    expect(keys).toEqual([
      'base_model.model.model.embed_tokens.base_layer.weight',
      'base_model.model.model.embed_tokens.lora_embedding_A',
      'base_model.model.model.embed_tokens.lora_embedding_B',
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
      'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
    ]);
    const files = saveAdapter(lora);
    const { report } = loadAdapter(make(), {
      config: files['adapter_config.json'],
      weights: files['adapter_model.safetensors'],
    });
    expect(report.modules.sort()).toEqual([
      'model.embed_tokens',
      'model.layers.0.self_attn.q_proj',
    ]);
  });
});
