// `pnpm bench` for @kd/lora (needs `pnpm build`): in one run, on tfjs' wasm
// backend,
//   1. a training step (forward, backward, AdamW) of a small BERT classifier
//      with full fine-tuning (the baseline) and with LoRA, rsLoRA, DoRA, LoRA+
//      and PiSSA adapters on all linear layers: median step time, ratio to
//      full fine-tuning, trainable parameters, peak tensor memory;
//   2. the forward cost of one 768×768 linear layer (512 tokens) plain, with
//      an unmerged LoRA (r = 8, 64) or DoRA adapter, and merged.
// kd's WASM-SIMD kernels (@kd/backend-wasm) are installed as the kd app
// installs them. Options: `--quick` (fewer runs), `--backend cpu`,
// `--threads <n>` (default 1), `--stock` (tfjs' own wasm kernels only).
import { plugin as backendWasm } from '@kd/backend-wasm';
import { initBackend, Rng, registry } from '@kd/core';
import { BertForSequenceClassification, Linear } from '@kd/nn';
import { createOptimizer, plugin as optim } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';
import { report, time } from '../../../scripts/bench.mjs';
import { LoraLinear, LoraModel, loraPlusGroups, loraScaling } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const backend = process.argv.includes('--backend')
  ? process.argv[process.argv.indexOf('--backend') + 1]
  : 'wasm';
const arg = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const threads = Number(arg('--threads', '1'));
registry.register(optim);
if (!process.argv.includes('--stock')) registry.register(backendWasm);
const info = await initBackend({ backend, threads });
const runs = { warmup: quick ? 1 : 3, iters: quick ? 3 : 15 };

// ---------------------------------------------------------------- 1. training step
const CONFIG = {
  vocabSize: 4096,
  hiddenSize: 128,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  intermediateSize: 512,
  maxPositionEmbeddings: 64,
  numLabels: 2,
};
const BATCH = 16;
const SEQ = 48;
const ids = Array.from({ length: BATCH }, (_, b) =>
  Array.from({ length: SEQ }, (_, t) => (b * 131 + t * 17 + 5) % CONFIG.vocabSize),
);
const labels = ids.map((r) => r[1] % 2);
const base = { r: 8, loraAlpha: 16, targetModules: 'all-linear', taskType: 'SEQ_CLS' };
const ARMS = [
  { name: 'full fine-tuning', config: null },
  { name: 'LoRA', config: base },
  { name: 'rsLoRA', config: { ...base, useRslora: true } },
  { name: 'DoRA', config: { ...base, useDora: true } },
  { name: 'LoRA+', config: base, loraplus: 16 },
  { name: 'PiSSA', config: { ...base, initLoraWeights: 'pissa' } },
];
const rows = [];
let fullMs;
for (const arm of ARMS) {
  const model = new BertForSequenceClassification(CONFIG, { seed: 0 });
  model.train();
  const lora = arm.config ? LoraModel.wrap(model, arm.config) : undefined;
  const params = lora ? lora.trainableParameters() : model.trainableParameters();
  const opt = createOptimizer(
    'adamw',
    { lr: 1e-4, groups: arm.loraplus ? loraPlusGroups(lora, { ratio: arm.loraplus }) : undefined },
    registry,
  );
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const { logits } = model.forward({ inputIds: ids });
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 2), logits);
      }, Object.values(params));
      opt.step(
        params,
        Object.fromEntries(Object.entries(params).map(([n, p]) => [n, grads[p.name]])),
      );
      value.dataSync();
    });
  const t = await time(step, runs);
  const peak = (await tf.profile(step)).peakBytes;
  fullMs ??= t.medianMs;
  const trainable = Object.values(params).reduce((s, p) => s + p.size, 0);
  rows.push({
    bench: 'train step',
    method: arm.name,
    medianMs: t.medianMs,
    vsFull: t.medianMs / fullMs,
    trainableParams: trainable,
    trainablePct: (100 * trainable) / model.parameterCount(),
    peakMiB: peak / 2 ** 20,
  });
  model.dispose();
}

// ---------------------------------------------------------------- 2. layer forward
const D = 768;
const TOKENS = 512;
const x = tf.randomUniform([TOKENS, D], -1, 1, 'float32', 1);
const layerRows = [];
let plainMs;
for (const variant of [
  { name: 'Linear (baseline)', r: 0 },
  { name: 'LoRA r=8 unmerged', r: 8 },
  { name: 'LoRA r=8 merged', r: 8, merge: true },
  { name: 'LoRA r=64 unmerged', r: 64 },
  { name: 'DoRA r=8 unmerged', r: 8, dora: true },
  { name: 'DoRA r=8 merged', r: 8, dora: true, merge: true },
]) {
  const linear = new Linear(D, D, { rng: new Rng(0) });
  let layer = linear;
  if (variant.r > 0) {
    layer = new LoraLinear(linear);
    layer.addAdapter(
      'default',
      {
        r: variant.r,
        alpha: 16,
        scaling: loraScaling(16, variant.r, false),
        dropout: 0,
        useRslora: false,
        useDora: Boolean(variant.dora),
        loraBias: false,
        init: false,
      },
      new Rng(1),
    );
    layer.activeAdapters = ['default'];
    layer.eval();
    if (variant.merge) layer.merge();
  }
  const t = await time(() => tf.tidy(() => layer.forward(x).dataSync()), runs);
  plainMs ??= t.medianMs;
  layerRows.push({
    bench: 'layer forward 512×768',
    variant: variant.name,
    medianMs: t.medianMs,
    vsPlain: t.medianMs / plainMs,
  });
  layer.dispose();
}

report('lora', [...rows, ...layerRows], {
  backend: info.backend,
  kdKernels: info.kernels.length,
  simd: info.simd,
  threads: info.threads,
  model: { ...CONFIG, batch: BATCH, seq: SEQ },
  note: 'vsFull: step time relative to full fine-tuning of the same model in the same run; vsPlain: forward time relative to the plain Linear.',
});
