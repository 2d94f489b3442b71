// `pnpm bench` for @kd/losses: time and memory of one distillation step per
// arm of the experiment, against plain student training (the baseline) in the
// same run. Teacher: the real stories260K Llama (260K parameters); student: the
// experiment's 2-layer, 32-wide Llama (41K); batch 16 × 64 tokens; wasm
// backend with @kd/backend-wasm's kernels. Memory: tfjs' peak bytes during a
// step (`tf.profile`) and the bytes held between steps (weights, optimizer
// state, projections). Needs `pnpm build` here and in the dependencies.
// Options: --quick (fewer runs), --backend cpu|wasm.
import { initBackend, Rng, registry } from '@kd/core';
import { loadStories260K } from '@kd/data';
import { causalLmLoss, LlamaForCausalLM, loadLlama2c } from '@kd/nn';
import { createOptimizer, plugin as optimPlugin } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';
import { report, time } from '../../../scripts/bench.mjs';
import { Distiller, PrecomputedTeacher, plugin, precomputeTeacherOutputs } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const backendArg = process.argv.indexOf('--backend');
const backend = backendArg > 0 ? process.argv[backendArg + 1] : 'wasm';
if (backend === 'wasm') {
  const { plugin: kernels } = await import('@kd/backend-wasm');
  registry.register(kernels);
}
registry.register(plugin);
registry.register(optimPlugin);
const info = await initBackend({ backend });

const B = 16;
const T = 64;
const teacher = loadLlama2c((await loadStories260K()).legacy);
teacher.freeze();
const rng = new Rng(0);
const ids = Array.from({ length: B }, () => [
  1,
  ...Array.from({ length: T - 1 }, () => rng.int(512)),
]);
const batch = { inputs: { inputIds: ids }, indices: ids.map((_, i) => i) };
const student = () =>
  new LlamaForCausalLM(
    {
      vocabSize: 512,
      hiddenSize: 32,
      intermediateSize: 86,
      numHiddenLayers: 2,
      numAttentionHeads: 4,
      numKeyValueHeads: 4,
      maxPositionEmbeddings: 512,
      tieWordEmbeddings: true,
    },
    { seed: 1 },
  );
const KD = [{ loss: 'lm-ce' }, { loss: 'logit-kd' }];
const FULL = [...KD, { loss: 'hidden-mse', weight: 0.1 }, { loss: 'attention-kl', weight: 0.3 }];
const runs = { warmup: quick ? 1 : 2, iters: quick ? 3 : 10 };

async function measure(name, setup) {
  const { step, dispose } = await setup();
  const timing = await time(step, runs);
  const before = tf.memory().numBytes;
  const prof = await tf.profile(() => step());
  const row = {
    arm: name,
    ms: timing.medianMs,
    min_ms: timing.minMs,
    peak_MB: prof.peakBytes / 2 ** 20,
    held_MB: before / 2 ** 20,
  };
  dispose();
  return row;
}

function plain() {
  const s = student();
  const opt = createOptimizer('adamw', { lr: 1e-3 });
  const params = s.trainableParameters();
  return {
    step: () => {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(
          () => causalLmLoss(s.forward({ inputIds: ids }).logits, ids),
          Object.values(params),
        );
        opt.step(
          params,
          Object.fromEntries(Object.entries(params).map(([n, p]) => [n, grads[p.name]])),
        );
      });
    },
    dispose: () => {
      opt.dispose();
      s.dispose();
    },
  };
}

async function distill(terms, precomputed) {
  const s = student();
  const opt = createOptimizer('adamw', { lr: 1e-3 });
  let t = teacher;
  if (precomputed) {
    const plan = new Distiller({ teacher, student: s, terms, optimizer: { step() {} } });
    t = new PrecomputedTeacher(
      await precomputeTeacherOutputs(teacher, [batch], plan.teacherRequest),
    );
    plan.dispose();
  }
  const d = new Distiller({ teacher: t, student: s, terms, optimizer: opt });
  return {
    step: () => d.step(batch),
    dispose: () => {
      d.dispose();
      opt.dispose();
      s.dispose();
    },
  };
}

const rows = [];
rows.push(await measure('baseline: plain student training (lm-ce)', plain));
rows.push(await measure('distiller: hard labels', () => distill([{ loss: 'lm-ce' }], false)));
rows.push(await measure('distiller: + output KD (live teacher)', () => distill(KD, false)));
rows.push(await measure('distiller: + output KD (precomputed)', () => distill(KD, true)));
rows.push(
  await measure('distiller: + features + attention (live teacher)', () => distill(FULL, false)),
);
rows.push(
  await measure('distiller: + features + attention (precomputed)', () => distill(FULL, true)),
);
const base = rows[0].ms;
for (const r of rows) r.vs_baseline = r.ms / base;
report('losses-distill-step', rows, {
  backend: info.backend,
  simd: info.simd,
  threads: info.threads,
  batch: `${B} × ${T} tokens`,
  teacher: 'stories260K (260,032 parameters)',
  student: 'Llama 2 × 32 (41,248 parameters)',
});
teacher.dispose();
