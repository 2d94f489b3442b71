// `pnpm bench` for @kd/nn: forward and forward+backward throughput (tokens/s)
// of small BERT, GPT-2 and Llama models on tfjs' cpu backend (the baseline)
// and its wasm backend, timed in the same run; ratios are wasm / cpu. Also
// KV-cached generation of the real stories260K model. Needs `pnpm build`
// (this package and its dependencies). Options: `--quick` (fewer runs).
import { disposeBackend, initBackend } from '@kd/core';
import { loadStories260K } from '@kd/data';
import * as tf from '@tensorflow/tfjs-core';
import { report, time } from '../../../scripts/bench.mjs';
import {
  BertForMaskedLM,
  causalLmLoss,
  GPT2LMHeadModel,
  generate,
  LlamaForCausalLM,
  loadLlama2c,
  maskedLmLoss,
} from '../dist/index.js';

const quick = process.argv.includes('--quick');
const BATCH = 8;
const SEQ = 64;
const VOCAB = 2048;
const D = 128;
const LAYERS = 2;
const HEADS = 4;
const FF = 512;

const MODELS = {
  bert: () =>
    new BertForMaskedLM({
      vocabSize: VOCAB,
      hiddenSize: D,
      numHiddenLayers: LAYERS,
      numAttentionHeads: HEADS,
      intermediateSize: FF,
      maxPositionEmbeddings: SEQ,
    }),
  gpt2: () =>
    new GPT2LMHeadModel({
      vocabSize: VOCAB,
      nPositions: SEQ,
      nEmbd: D,
      nLayer: LAYERS,
      nHead: HEADS,
      nInner: FF,
    }),
  llama: () =>
    new LlamaForCausalLM({
      vocabSize: VOCAB,
      hiddenSize: D,
      intermediateSize: FF,
      numHiddenLayers: LAYERS,
      numAttentionHeads: HEADS,
      numKeyValueHeads: 2,
      maxPositionEmbeddings: SEQ,
    }),
};

const ids = Array.from({ length: BATCH }, (_, b) =>
  Array.from({ length: SEQ }, (_, t) => (b * 131 + t * 17) % VOCAB),
);
const labels = ids.map((row) => row.map((v, t) => (t % 7 === 0 ? v : -100)));
const tokens = BATCH * SEQ;
const runs = { warmup: quick ? 1 : 2, iters: quick ? 3 : 10 };

const rows = [];
for (const backend of ['cpu', 'wasm']) {
  await initBackend({ backend, threads: 1 });
  for (const [name, make] of Object.entries(MODELS)) {
    const model = make();
    model.eval();
    const fwd = await time(
      () => tf.tidy(() => model.forward({ inputIds: ids }).logits.dataSync()),
      runs,
    );
    model.train();
    const vars = model.parameters();
    const step = await time(() => {
      // The whole step in one tidy, as a training loop runs it; grads are released with it.
      tf.tidy(() => {
        const { value } = tf.variableGrads(() => {
          const { logits } = model.forward({ inputIds: ids });
          return name === 'bert' ? maskedLmLoss(logits, labels) : causalLmLoss(logits, ids);
        }, vars);
        value.dataSync();
      });
    }, runs);
    rows.push({
      model: name,
      backend,
      pass: 'forward',
      medianMs: fwd.medianMs,
      tokensPerSec: (tokens / fwd.medianMs) * 1000,
    });
    rows.push({
      model: name,
      backend,
      pass: 'forward+backward',
      medianMs: step.medianMs,
      tokensPerSec: (tokens / step.medianMs) * 1000,
    });
    model.dispose();
  }
  // The real teacher: greedy KV-cached generation, 64 new tokens from BOS.
  const files = await loadStories260K();
  const teacher = loadLlama2c(files.v1);
  const gen = await time(() => generate(teacher, [1], { maxNewTokens: 64 }), {
    warmup: 1,
    iters: quick ? 2 : 5,
  });
  rows.push({
    model: 'stories260K',
    backend,
    pass: 'generate (KV cache)',
    medianMs: gen.medianMs,
    tokensPerSec: (64 / gen.medianMs) * 1000,
  });
  teacher.dispose();
}
await disposeBackend();

const ratios = {};
for (const r of rows.filter((x) => x.backend === 'wasm')) {
  const base = rows.find((x) => x.backend === 'cpu' && x.model === r.model && x.pass === r.pass);
  r.wasmOverCpu = r.tokensPerSec / base.tokensPerSec;
  ratios[`${r.model} ${r.pass}`] = r.wasmOverCpu;
}
report('nn-forward-backward', rows, {
  shape: { batch: BATCH, seq: SEQ, vocab: VOCAB, hidden: D, layers: LAYERS, heads: HEADS, ffn: FF },
  note: 'tfjs cpu backend is the baseline; wasm is stock tfjs-wasm with kd training kernels, 1 thread',
  ratios,
});
