import { z } from 'zod';
import { optimizerEntrySchema } from '../entries.js';
import { type OptimizerId, optimizerOptions } from '../options.js';

/** The downstream tasks the comparison trains on (bundled samples by default). */
export const COMPARE_TASKS = ['sst2', 'rte', 'stsb', 'squad'] as const;
export type CompareTask = (typeof COMPARE_TASKS)[number];

const optimizerIds = Object.keys(optimizerOptions) as [OptimizerId, ...OptimizerId[]];

/**
 * One arm of the comparison: an optimiser entry with its options. `lr` is
 * the peak rate; the task adds the shared warmup + linear-decay schedule and
 * gradient clipping unless the arm opts out (`schedule: false`).
 */
export const armSchema = z
  .strictObject({
    /** Row label (default: the id). */
    name: z.string().min(1).optional(),
    id: z.enum(optimizerIds),
    options: z.record(z.string(), z.unknown()).default({}),
    /** Apply the shared warmup + linear decay (default true; schedule-free arms turn it off). */
    schedule: z.boolean().default(true),
  })
  .superRefine((arm, ctx) => {
    // Validate the optimiser's own options now, so a recipe fails before anything runs.
    const parsed = optimizerEntrySchema(arm.id).safeParse(arm.options);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ ...issue, path: ['options', ...issue.path] } as z.core.$ZodRawIssue);
      }
    }
    if (arm.options.schedule !== undefined && arm.schedule) {
      ctx.addIssue({
        code: 'custom',
        path: ['options', 'schedule'],
        message:
          'the task adds the shared schedule; set `schedule: false` on the arm to use your own',
      });
    }
  });
export type ArmInput = z.input<typeof armSchema>;
export type Arm = z.output<typeof armSchema>;

/** The small BERT every arm trains (Hugging Face `BertConfig` names). */
export const modelSchema = z.strictObject({
  hiddenSize: z.number().int().positive().default(64),
  numHiddenLayers: z.number().int().positive().default(2),
  numAttentionHeads: z.number().int().positive().default(2),
  intermediateSize: z.number().int().positive().default(128),
  hiddenDropoutProb: z.number().min(0).lt(1).default(0.1),
  attentionProbsDropoutProb: z.number().min(0).lt(1).default(0),
  /**
   * Word-embedding rows: the most frequent bert-base-uncased WordPiece ids of
   * the task's training split (others map to [UNK]), so the embedding matrix
   * does not dominate a tiny model (30,522 × d otherwise).
   */
  vocabSize: z.number().int().min(16).default(4000),
});
export type ModelConfig = z.output<typeof modelSchema>;

/** Per-task training lengths and shapes. */
export const taskSettingsSchema = z.strictObject({
  steps: z.number().int().positive(),
  batchSize: z.number().int().positive().default(32),
  /** Tokens per example, specials included (SQuAD: the window length). */
  maxLength: z.number().int().min(16).default(64),
  /** Evaluate on at most this many dev examples (default: all). */
  evalLimit: z.number().int().positive().optional(),
  /** A folder with the full dataset (GLUE TSV layout / SQuAD JSON); default: the bundled sample. */
  path: z.string().min(1).optional(),
});
export type TaskSettings = z.output<typeof taskSettingsSchema>;

/** What a recipe writes per task: any subset, over the task's defaults. */
const taskOverridesSchema = z.strictObject({
  steps: z.number().int().positive().optional(),
  batchSize: z.number().int().positive().optional(),
  maxLength: z.number().int().min(16).optional(),
  evalLimit: z.number().int().positive().optional(),
  path: z.string().min(1).optional(),
});

const defaultSettings: Record<CompareTask, z.input<typeof taskSettingsSchema>> = {
  sst2: { steps: 250, batchSize: 32, maxLength: 64 },
  rte: { steps: 160, batchSize: 32, maxLength: 96 },
  stsb: { steps: 160, batchSize: 32, maxLength: 64 },
  squad: { steps: 160, batchSize: 16, maxLength: 128 },
};

/** The learning-rate sweep (full profile): each arm's lr × factors, the best on a held-out train slice. */
export const sweepSchema = z.strictObject({
  task: z.enum(COMPARE_TASKS).default('sst2'),
  factors: z.array(z.number().positive()).min(1).default([0.3, 1, 3]),
  /** Training steps per candidate (default: the task's steps). */
  steps: z.number().int().positive().optional(),
  /** Fraction of the training split held out to score candidates (never the reported dev split). */
  holdout: z.number().gt(0).lt(1).default(0.1),
});
export type SweepOptions = z.output<typeof sweepSchema>;

export const optimCompareOptions = z
  .strictObject({
    tasks: z.array(z.enum(COMPARE_TASKS)).min(1).default(['sst2']),
    optimizers: z.array(armSchema).min(1),
    /** Seeds per arm: runs use seed, seed + 1, … (the recipe's seed first). */
    seeds: z.number().int().positive().default(1),
    model: modelSchema.default(modelSchema.parse({})),
    settings: z
      .strictObject({
        sst2: taskOverridesSchema.optional(),
        rte: taskOverridesSchema.optional(),
        stsb: taskOverridesSchema.optional(),
        squad: taskOverridesSchema.optional(),
      })
      .default({}),
    /** Warmup as a fraction of each run's steps (shared schedule: warmup, then linear decay to 0). */
    warmupFraction: z.number().min(0).lt(1).default(0.1),
    /** torch `clip_grad_norm_` before every optimiser (0: none). */
    clipGradNorm: z.number().min(0).default(1),
    /** Training-loss points in the plots: the mean loss of every this many steps. */
    logEvery: z.number().int().positive().default(10),
    /** Checkpoint inside a run every this many steps (runs are always checkpointed when they end). */
    checkpointEvery: z.number().int().positive().default(50),
    /** null turns it off (a profile can drop the full recipe's sweep). */
    sweep: sweepSchema.nullable().optional(),
    /** Examples per forward pass when evaluating. */
    evalBatchSize: z.number().int().positive().default(64),
  })
  .superRefine((o, ctx) => {
    const names = o.optimizers.map((a) => a.name ?? a.id);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) {
      ctx.addIssue({
        code: 'custom',
        path: ['optimizers'],
        message: `arm names must be unique; "${dup}" appears twice (give one a name)`,
      });
    }
    if (o.model.hiddenSize % o.model.numAttentionHeads !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'numAttentionHeads'],
        message: `hiddenSize ${o.model.hiddenSize} is not divisible by ${o.model.numAttentionHeads} heads`,
      });
    }
  });
export type OptimCompareInput = z.input<typeof optimCompareOptions>;
export type OptimCompareOptions = z.output<typeof optimCompareOptions>;

/** A task's settings with the defaults filled. */
export function settingsFor(o: OptimCompareOptions, task: CompareTask): TaskSettings {
  return taskSettingsSchema.parse({ ...defaultSettings[task], ...(o.settings[task] ?? {}) });
}

export function armName(arm: Arm): string {
  return arm.name ?? arm.id;
}
