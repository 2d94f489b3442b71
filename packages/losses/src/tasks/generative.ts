import {
  defineEntry,
  type MeanStd,
  type PublishedNumber,
  Rng,
  type Task,
  type TaskContext,
  type TaskResult,
} from '@kd/core';
import { loadStories260K, loadStories260KTokenizer } from '@kd/data';
import { cer, corpusBleu, rouge } from '@kd/eval';
import { generate, LlamaForCausalLM as Llama, type LlamaForCausalLM, loadLlama2c } from '@kd/nn';
import { createOptimizer } from '@kd/optim';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Distiller } from '../distiller.js';
import { PrecomputedTeacher, precomputeTeacherOutputs } from '../teacher.js';
import { aggregate, armSchema, meanCurves, slug, termCurves, toTermSpec } from './common/arms.js';
import { type RunRecord, runGrid } from './common/runner.js';

const BOS = 1;
const EOS = 2;

const KD = [
  { loss: 'lm-ce' },
  { loss: { id: 'logit-kd', options: { temperature: 1 } }, weight: 1 },
];
const DEFAULT_ARMS = [
  { name: 'hard labels', terms: [{ loss: 'lm-ce' }] },
  { name: '+ output KD', terms: KD },
  {
    name: '+ features + attention',
    terms: [
      ...KD,
      { loss: 'hidden-mse', weight: 0.1, layers: 'uniform' as const },
      { loss: 'attention-kl', weight: 0.3, layers: 'uniform' as const },
    ],
  },
];

export const generativeOptions = z.strictObject({
  /** Teacher generations the students learn from (seeded sampling from BOS). */
  transfer: z
    .strictObject({
      stories: z.number().int().positive().default(256),
      /** Positions per sequence, BOS included. */
      length: z.number().int().min(8).max(512).default(64),
      temperature: z.number().positive().default(1),
      topP: z.number().gt(0).max(1).default(0.95),
    })
    .prefault({}),
  /** Teacher generations (another seed) for evaluation only. */
  heldOut: z
    .strictObject({
      stories: z.number().int().positive().default(64),
      /** Prompt = the first tokens of a held-out story (BOS included). */
      promptTokens: z.number().int().min(1).default(8),
      continuationTokens: z.number().int().positive().default(32),
    })
    .prefault({}),
  /** The student Llama (tied embeddings, the teacher's 512-token vocabulary). */
  student: z
    .strictObject({
      hiddenSize: z.number().int().positive().default(32),
      numHiddenLayers: z.number().int().positive().default(2),
      numAttentionHeads: z.number().int().positive().default(4),
      numKeyValueHeads: z.number().int().positive().default(4),
      intermediateSize: z.number().int().positive().default(86),
    })
    .prefault({}),
  steps: z.number().int().positive().default(600),
  batchSize: z.number().int().positive().default(16),
  lr: z.number().positive().default(1e-2),
  warmupSteps: z.number().int().nonnegative().default(30),
  weightDecay: z.number().nonnegative().default(0.01),
  seeds: z.number().int().min(1).default(3),
  arms: z.array(armSchema()).min(1).prefault(DEFAULT_ARMS),
});
export type GenerativeOptions = z.output<typeof generativeOptions>;

interface LmEval {
  /** exp of the mean cross-entropy −Σ p_t log p_s over held-out positions. */
  pplTeacherDist: number;
  /** Mean KL(p_t ‖ p_s) per position (nats). */
  kl: number;
  /** Perplexity of the held-out teacher text (hard tokens). */
  pplText: number;
}

/** Teacher log-probabilities of the held-out stories, once. */
function logProbs(model: LlamaForCausalLM, rows: number[][], batch = 16): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < rows.length; i += batch) {
    const chunk = rows.slice(i, i + batch);
    // Read outside tidy: a typed array returned from tidy is walked element by element.
    const lp = tf.tidy(() => tf.logSoftmax(model.forward({ inputIds: chunk }).logits));
    const data = lp.dataSync();
    lp.dispose();
    const per = data.length / chunk.length;
    for (let j = 0; j < chunk.length; j++)
      out.push((data as Float32Array).slice(j * per, (j + 1) * per));
  }
  return out;
}

/** Soft and hard held-out numbers of `lp` (student log-probs) against the teacher's `lt`. */
function lmEval(lp: Float32Array[], lt: Float32Array[], rows: number[][], vocab: number): LmEval {
  let ce = 0;
  let kl = 0;
  let nll = 0;
  let n = 0;
  rows.forEach((row, r) => {
    // Position t predicts token t + 1; the last position has no target.
    for (let t = 0; t < row.length - 1; t++) {
      const off = t * vocab;
      let h = 0;
      let ent = 0;
      for (let v = 0; v < vocab; v++) {
        const p = Math.exp(lt[r][off + v]);
        if (p > 0) {
          h -= p * lp[r][off + v];
          ent -= p * lt[r][off + v];
        }
      }
      ce += h;
      kl += h - ent;
      nll -= lp[r][off + row[t + 1]];
      n++;
    }
  });
  return { pplTeacherDist: Math.exp(ce / n), kl: kl / n, pplText: Math.exp(nll / n) };
}

/** Text of a continuation, cut at the first BOS/EOS (the end of a story). */
function continuationText(
  tok: Awaited<ReturnType<typeof loadStories260KTokenizer>>,
  ids: number[],
): string {
  const end = ids.findIndex((t) => t === BOS || t === EOS);
  return tok.decode(end < 0 ? ids : ids.slice(0, end)).trim();
}

/** Greedy continuations with throughput and peak tensor memory. */
async function greedy(model: LlamaForCausalLM, prompts: number[][], newTokens: number) {
  model.eval();
  const base = tf.memory().numBytes;
  let peak = 0;
  const t0 = performance.now();
  const out = await generate(model, prompts, {
    maxNewTokens: newTokens,
    onToken: () => {
      peak = Math.max(peak, tf.memory().numBytes - base);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  return {
    generated: out.generated,
    tokensPerSecond: (prompts.length * newTokens) / seconds,
    activationBytes: peak,
  };
}

export function studentModel(o: GenerativeOptions['student'], seed: number): LlamaForCausalLM {
  return new Llama(
    {
      vocabSize: 512,
      maxPositionEmbeddings: 512,
      tieWordEmbeddings: true,
      rmsNormEps: 1e-5,
      ...o,
    },
    { seed },
  );
}

/** Seeded teacher stories from BOS, `length` positions each. */
export async function teacherStories(
  teacher: LlamaForCausalLM,
  count: number,
  length: number,
  o: { temperature: number; topP: number; seed: number },
): Promise<number[][]> {
  const rows: number[][] = [];
  for (let i = 0; i < count; i += 64) {
    const n = Math.min(64, count - i);
    const out = await generate(
      teacher,
      Array.from({ length: n }, () => [BOS]),
      {
        maxNewTokens: length - 1,
        temperature: o.temperature,
        topP: o.topP,
        rng: new Rng(o.seed).fork(`chunk:${i}`),
      },
    );
    rows.push(...out.sequences);
  }
  return rows;
}

export async function runGenerative(
  options: GenerativeOptions,
  ctx: TaskContext,
): Promise<TaskResult> {
  const t0 = performance.now();
  const files = await loadStories260K();
  const tok = await loadStories260KTokenizer();
  const teacher = loadLlama2c(files.legacy);
  teacher.freeze();
  teacher.eval();
  const o = options;
  ctx.progress.log('generating the transfer set and held-out stories with the teacher');
  // One seeded sampling pass; the last stories are held out (never trained on).
  const stories = await teacherStories(
    teacher,
    o.transfer.stories + o.heldOut.stories,
    o.transfer.length,
    { ...o.transfer, seed: ctx.seed },
  );
  const transfer = stories.slice(0, o.transfer.stories);
  const heldOut = stories.slice(o.transfer.stories);
  const prompts = heldOut.map((r) => r.slice(0, o.heldOut.promptTokens));
  const teacherLp = logProbs(teacher, heldOut);
  const vocab = 512;
  // The teacher against its own text: the floor of both perplexities.
  const teacherLm = lmEval(teacherLp, teacherLp, heldOut, vocab);
  const teacherGen = await greedy(teacher, prompts, o.heldOut.continuationTokens);
  const references = teacherGen.generated.map((g) => continuationText(tok, g));

  // Teacher features once, for every arm and seed: the union of what the arms need.
  const armSpecs = o.arms.map((a) => ({ name: a.name, terms: a.terms.map(toTermSpec) }));
  const probeStudent = studentModel(o.student, 0);
  const request = { logits: false, layers: {} as Record<string, number[]> };
  for (const arm of armSpecs) {
    const d = new Distiller({
      teacher,
      student: probeStudent,
      terms: arm.terms,
      optimizer: { step() {} },
    });
    request.logits ||= d.teacherRequest.logits;
    for (const [k, v] of Object.entries(d.teacherRequest.layers)) {
      request.layers[k] = [...new Set([...(request.layers[k] ?? []), ...(v ?? [])])].sort(
        (a, b) => a - b,
      );
    }
    d.dispose();
  }
  const studentParams = probeStudent.parameterCount();
  probeStudent.dispose();
  const batches = [];
  for (let i = 0; i < transfer.length; i += 16) {
    const indices = Array.from({ length: Math.min(16, transfer.length - i) }, (_, k) => i + k);
    batches.push({ inputs: { inputIds: indices.map((k) => transfer[k]) }, indices });
  }
  ctx.progress.log('running the teacher once over the transfer set');
  const store = await precomputeTeacherOutputs(teacher, batches, request);
  const source = new PrecomputedTeacher(store);

  const seeds = Array.from({ length: o.seeds }, (_, k) => ctx.seed + k);
  const cells = seeds.flatMap((seed) =>
    armSpecs.map((a) => ({ group: 'stories260K', arm: a.name, seed })),
  );
  const runs = await runGrid(
    ctx,
    { task: 'kd-generative', seed: ctx.seed, options: o },
    cells,
    async (cell) => {
      const arm = armSpecs.find((a) => a.name === cell.arm) as (typeof armSpecs)[number];
      const student = studentModel(o.student, cell.seed);
      const optimizer = createOptimizer('adamw', {
        lr: o.lr,
        weightDecay: o.weightDecay,
        noDecay: ['bias', 'norm.weight', 'layernorm.weight'],
        clipGradNorm: 1,
        schedule: {
          id: 'warmup-cosine',
          options: { warmupSteps: o.warmupSteps, totalSteps: o.steps },
        },
      });
      const distiller = new Distiller({
        teacher: source,
        student,
        terms: arm.terms,
        optimizer,
        seed: cell.seed,
      });
      const rng = new Rng(cell.seed).fork('data');
      const perms = new Map<number, number[]>();
      const n = transfer.length;
      const data = (step: number) => {
        const indices: number[] = [];
        for (let i = 0; i < o.batchSize; i++) {
          const k = step * o.batchSize + i;
          const epoch = Math.floor(k / n);
          if (!perms.has(epoch)) perms.set(epoch, rng.fork(`epoch:${epoch}`).permutation(n));
          indices.push((perms.get(epoch) as number[])[k % n]);
        }
        return { inputs: { inputIds: indices.map((i) => transfer[i]) }, indices };
      };
      const t = performance.now();
      const result = await distiller.train({ data, steps: o.steps, signal: ctx.signal });
      const trainSeconds = (performance.now() - t) / 1000;
      student.eval();
      const lm = lmEval(logProbs(student, heldOut), teacherLp, heldOut, vocab);
      const gen = await greedy(student, prompts, o.heldOut.continuationTokens);
      const predictions = gen.generated.map((g) => continuationText(tok, g));
      const bleu = corpusBleu(
        predictions,
        references.map((r) => [r]),
      ).score;
      const rg = rouge(predictions, references, { use_stemmer: true }) as Record<string, number>;
      const c = cer(predictions, references).cer;
      const termNames = distiller.terms.map((t) => t.name);
      distiller.dispose();
      optimizer.dispose();
      student.dispose();
      return {
        ...cell,
        losses: result.history.map((h) => h.loss),
        terms: Object.fromEntries(
          termNames.map((name) => [name, result.history.map((h) => h.terms[name])]),
        ),
        metrics: {
          ppl_teacher_dist: lm.pplTeacherDist,
          kl: lm.kl,
          ppl_text: lm.pplText,
          bleu,
          rouge1: rg.rouge1,
          rouge2: rg.rouge2,
          rougeL: rg.rougeL,
          cer: c,
          tokens_per_second: gen.tokensPerSecond,
          activation_bytes: gen.activationBytes,
          train_seconds: trainSeconds,
        },
      } satisfies RunRecord;
    },
  );

  const armNames = armSpecs.map((a) => a.name);
  const agg = aggregate(runs, armNames);
  const teacherParams = teacher.parameterCount();
  teacher.dispose();
  const hard = agg[armNames[0]];
  const full = agg[armNames.at(-1) as string];
  const speed = meanOf(runs.map((r) => r.metrics.tokens_per_second)) / teacherGen.tokensPerSecond;
  const ms = (x: MeanStd | undefined) => x ?? null;
  const summary: TaskResult['summary'] = {
    teacher_ppl_teacher_dist: teacherLm.pplTeacherDist,
    teacher_params: teacherParams,
    student_params: studentParams,
    param_ratio: studentParams / teacherParams,
    student_speedup: speed,
    seconds: (performance.now() - t0) / 1000,
  };
  for (const arm of armNames) {
    const k = slug(arm);
    summary[`${k}_ppl_teacher_dist`] = agg[arm].ppl_teacher_dist;
    summary[`${k}_bleu`] = agg[arm].bleu;
  }
  const notes = [
    `Teacher: Karpathy's stories260K (${teacherParams} parameters, 5 layers × 64, 8 heads / 4 KV heads). Student: a Llama of ${studentParams} parameters (${(studentParams / teacherParams).toFixed(3)} of the teacher), ${o.student.numHiddenLayers} layers × ${o.student.hiddenSize}, trained from scratch for ${o.steps} steps of ${o.batchSize} × ${o.transfer.length} tokens.`,
    `Transfer set: ${o.transfer.stories} teacher stories sampled from BOS (T = ${o.transfer.temperature}, top-p ${o.transfer.topP}, seed ${ctx.seed}); held-out: ${o.heldOut.stories} more from the same sampling pass, never trained on. Teacher features are computed once and shared by every arm and seed.`,
    '"PPL vs teacher" is exp of the mean cross-entropy −Σ p_teacher · log p_student over held-out positions; its floor is the teacher\'s own entropy perplexity. "PPL text" is the perplexity of the held-out teacher text. BLEU (sacreBLEU), ROUGE (rouge_score, stemmed) and CER (jiwer) compare greedy student continuations of held-out prompts with the teacher\'s.',
    `Full-loss arm vs hard labels on PPL vs teacher: ${fmt(full?.ppl_teacher_dist)} vs ${fmt(hard?.ppl_teacher_dist)} (${(full?.ppl_teacher_dist.mean ?? 0) < (hard?.ppl_teacher_dist.mean ?? 0) ? 'lower, better' : 'not lower: the alignment terms did not help here'}).`,
    `Timings are wall-clock on this machine (${ctx.profile} profile); tokens/s are batched greedy generation of ${prompts.length} rows in the same process.`,
  ];
  const metricRows = (
    key: string,
    label: string,
    format: 'float' | 'pct' | 'int',
    digits?: number,
  ) => ({
    key,
    label,
    format,
    digits,
  });
  return {
    task: 'kd-generative',
    title:
      'Distilling stories260K into a quarter-size Llama: hard labels vs output KD vs full multi-task loss',
    summary,
    tables: [
      {
        id: 'quality',
        title: `Held-out quality, mean ± std over ${o.seeds} seeds`,
        columns: [
          { key: 'model', label: 'model', format: 'text' },
          metricRows('ppl_teacher_dist', 'PPL vs teacher ↓', 'float', 3),
          metricRows('kl', 'KL(p_t‖p_s) ↓', 'float', 4),
          metricRows('ppl_text', 'PPL text ↓', 'float', 3),
          metricRows('bleu', 'BLEU ↑', 'float', 2),
          metricRows('rouge1', 'ROUGE-1 ↑', 'pct'),
          metricRows('rouge2', 'ROUGE-2 ↑', 'pct'),
          metricRows('rougeL', 'ROUGE-L ↑', 'pct'),
          metricRows('cer', 'CER ↓', 'pct'),
        ],
        rows: [
          {
            model: 'teacher (reference)',
            ppl_teacher_dist: teacherLm.pplTeacherDist,
            kl: 0,
            ppl_text: teacherLm.pplText,
            bleu: 100,
            rouge1: 1,
            rouge2: 1,
            rougeL: 1,
            cer: 0,
          },
          ...armNames.map((arm) => ({
            model: `student: ${arm}`,
            ppl_teacher_dist: ms(agg[arm].ppl_teacher_dist),
            kl: ms(agg[arm].kl),
            ppl_text: ms(agg[arm].ppl_text),
            bleu: ms(agg[arm].bleu),
            rouge1: ms(agg[arm].rouge1),
            rouge2: ms(agg[arm].rouge2),
            rougeL: ms(agg[arm].rougeL),
            cer: ms(agg[arm].cer),
          })),
        ],
      },
      {
        id: 'cost',
        title: 'Size and speed',
        columns: [
          { key: 'model', label: 'model', format: 'text' },
          { key: 'params', label: 'parameters', format: 'int' },
          { key: 'param_bytes', label: 'weights', format: 'bytes' },
          { key: 'activation_bytes', label: 'peak generation tensors', format: 'bytes' },
          { key: 'tokens_per_second', label: 'tokens/s (greedy)', format: 'float', digits: 0 },
          { key: 'train_seconds', label: 'train s / run', format: 'float', digits: 1 },
        ],
        rows: [
          {
            model: 'teacher',
            params: teacherParams,
            param_bytes: teacherParams * 4,
            activation_bytes: teacherGen.activationBytes,
            tokens_per_second: teacherGen.tokensPerSecond,
            train_seconds: null,
          },
          ...armNames.map((arm) => ({
            model: `student: ${arm}`,
            params: studentParams,
            param_bytes: studentParams * 4,
            activation_bytes: ms(agg[arm].activation_bytes),
            tokens_per_second: ms(agg[arm].tokens_per_second),
            train_seconds: ms(agg[arm].train_seconds),
          })),
        ],
      },
    ],
    plots: [
      {
        id: 'ppl',
        title: 'Perplexity against the teacher’s distribution (held-out, lower is better)',
        kind: 'bar',
        xLabel: 'arm',
        yLabel: 'PPL vs teacher',
        categories: armNames,
        lines: [
          {
            name: 'mean over seeds',
            x: armNames.map((_, i) => i),
            y: armNames.map((a) => agg[a].ppl_teacher_dist.mean),
          },
        ],
      },
      {
        id: 'overlap',
        title: 'Greedy continuations vs the teacher’s',
        kind: 'bar',
        xLabel: 'arm',
        yLabel: 'score',
        categories: armNames,
        lines: ['rouge1', 'rouge2', 'rougeL'].map((k) => ({
          name: k,
          x: armNames.map((_, i) => i),
          y: armNames.map((a) => agg[a][k].mean),
        })),
      },
      {
        id: 'loss',
        title: 'Training loss (weighted sum of the arm’s terms), mean over seeds',
        kind: 'line',
        xLabel: 'step',
        yLabel: 'loss',
        lines: meanCurves(runs, armNames),
      },
      termCurves(runs, armNames.at(-1) as string),
    ],
    published: PUBLISHED_SPEED,
    notes,
  };
}

function meanOf(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function fmt(x: MeanStd | undefined): string {
  return x ? `${x.mean.toFixed(3)} ± ${x.std.toFixed(3)}` : 'n/a';
}

/** Published size/speed claims of distilled encoders (their settings, not ours). */
const PUBLISHED_SPEED: PublishedNumber[] = [
  {
    metric: 'student inference speed-up over the teacher',
    value: 1.6,
    source:
      'Sanh et al. 2019 (DistilBERT), README of transformers/examples/research_projects/distillation',
    setting:
      'BERT-base (110M) → DistilBERT (66M), "60% faster", CPU inference; not a generative LM',
    kdKey: 'student_speedup',
  },
  {
    metric: 'student inference speed-up over the teacher',
    value: 9.4,
    source: 'Jiao et al. 2020 (TinyBERT), README and abstract',
    setting: 'BERT-base (109M) → TinyBERT4 4L-312 (14.5M), 7.5× smaller',
    kdKey: 'student_speedup',
  },
  {
    metric: 'student / teacher parameters',
    value: 66 / 110,
    source: 'Sanh et al. 2019 (DistilBERT)',
    setting: '40% fewer parameters than BERT-base',
    kdKey: 'param_ratio',
  },
];

export const generativeTask = defineEntry({
  kind: 'task',
  id: 'kd-generative',
  description:
    'distil the stories260K Llama into a ≤ 1/4-size student: hard labels vs + output KD vs + hidden/attention alignment (PPL, BLEU, ROUGE, CER, speed)',
  options: generativeOptions,
  create: (options): Task => ({
    run: (ctx) => runGenerative(options, ctx),
  }),
});
