import {
  AbortedError,
  type CheckpointState,
  type CheckpointStore,
  registry as globalRegistry,
  type Progress,
  type Registry,
  Rng,
  ShapeError,
  type StoredTensor,
  silentProgress,
  toStoredTensor,
  ValidationError,
} from '@kd/core';
import { dropoutState, type Linear, type Module, type Parameter, setDropoutState } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import {
  defaultForward,
  disposeFeatures,
  type FeatureRequest,
  type Features,
  type ForwardFn,
  type LayerFeature,
  type ModelShape,
  probeModel,
  runWithFeatures,
} from './features.js';
import { type LayerMapSpec, type LayerPair, resolveLayerMap } from './layer-map.js';
import type { DistillLoss, FeatureKind } from './losses/entries.js';

export type { DistillLoss } from './losses/entries.js';

import { Projections } from './projections.js';
import { resolveSchedule, type ValueSchedule } from './schedules.js';

export type { DistillBatch } from './teacher.js';

import {
  type DistillBatch,
  LiveTeacher,
  PrecomputedTeacher,
  type TeacherSource,
} from './teacher.js';

/** One term of the distillation objective: a registered loss with its weight, temperature and layers. */
export interface DistillTermSpec {
  /** Name in logs and checkpoints (default: the loss id; repeats get `-2`, `-3`). */
  name?: string;
  /** A `loss:<id>` entry (`'logit-kd'` or `{ id, options }`) or a loss object. */
  loss: string | { id: string; options?: Record<string, unknown> } | DistillLoss;
  /** Weight of the term (default 1), constant or scheduled. */
  weight?: ValueSchedule;
  /** Overrides the loss's own temperature, constant or scheduled. */
  temperature?: ValueSchedule;
  /** Layered losses: which student layer learns from which teacher layer (default `uniform`). */
  layers?: LayerMapSpec;
  /**
   * Layered projectable losses (hidden states): `auto` (default) learns a
   * `Linear(d_s → d_t)` where widths differ; `always` learns one for every
   * pair (TinyBERT); `none` makes a width mismatch an error.
   */
  projection?: 'auto' | 'always' | 'none';
  /** One projection for all of the term's layer pairs (TinyBERT's `fit_dense`) instead of one per pair. */
  sharedProjection?: boolean;
  /** Combine the term's layer pairs by `sum` (TinyBERT, TextBrewer; default) or `mean`. */
  layerReduction?: 'sum' | 'mean';
}

/** What the distiller steps: @kd/optim's `Optimizer` fits (`step`, `exportState`, `importState`). */
export interface DistillOptimizer {
  step(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>): unknown;
  exportState?(): Promise<NonNullable<CheckpointState['optimizer']>>;
  importState?(state: NonNullable<CheckpointState['optimizer']>): unknown;
}

export interface DistillerOptions {
  /** A frozen model (run forward per batch) or precomputed outputs. */
  teacher: Module | TeacherSource;
  student: Module;
  terms: readonly DistillTermSpec[];
  optimizer: DistillOptimizer;
  /** Seeds the projections' initial weights (default 0). */
  seed?: number;
  /** Steps the schedules run over (set by `train`; default 0, i.e. the schedules' start). */
  totalSteps?: number;
  studentForward?: ForwardFn;
  teacherForward?: ForwardFn;
  /** Where `loss:` and `schedule:` entries are looked up (default: the global registry). */
  registry?: Registry;
}

/** One step's numbers: the weighted total and each term's unweighted value. */
export interface StepLog {
  step: number;
  loss: number;
  terms: Record<string, number>;
}

/** A term after planning: layer pairs resolved, projections made. */
export interface PlannedTerm {
  name: string;
  loss: DistillLoss;
  feature: FeatureKind;
  pairs: LayerPair[];
  weight: (step: number, total: number) => number;
  temperature?: (step: number, total: number) => number;
  reduction: 'sum' | 'mean';
}

export interface TrainOptions {
  /** The batch of a step: a function of the step, so a resumed run sees the same batches. */
  data: (step: number) => DistillBatch | Promise<DistillBatch>;
  /** Total steps (a resumed run continues to this number). */
  steps: number;
  checkpoints?: CheckpointStore;
  /** Save every this many steps (default: only at the end and when stopped). */
  checkpointEvery?: number;
  /** Continue from `checkpoints.latest()` when there is one (default true). */
  resume?: boolean;
  progress?: Progress;
  signal?: AbortSignal;
  onStep?: (log: StepLog) => void;
}

export interface TrainResult {
  steps: number;
  /** Every step's log, resumed ones included. */
  history: StepLog[];
  resumedFrom?: number;
}

const PREFIX = 'distill.';

function isModule(x: unknown): x is Module {
  return typeof (x as Module)?.namedParameters === 'function';
}

function isLoss(x: unknown): x is DistillLoss {
  return typeof (x as DistillLoss)?.compute === 'function';
}

function intTensor(x: tf.Tensor | number[][] | undefined): tf.Tensor | undefined {
  if (x === undefined) return undefined;
  if (x instanceof tf.Tensor) return x.dtype === 'int32' ? x : tf.cast(x, 'int32');
  return tf.tensor2d(x, undefined, 'int32');
}

/**
 * Teacher → student distillation with a weighted sum of registered losses
 * (TextBrewer's `GeneralDistiller`, as data): per-term layer maps, learned
 * projections that train with the student, weight and temperature
 * schedules, per-term logging, checkpoints and exact resume.
 *
 * Everything that can be wrong with the setup is checked when it is built,
 * before any step: a teacher with trainable parameters, a layer map naming
 * a missing layer, feature widths that differ without a projection, output
 * sizes that differ, precomputed outputs that lack a needed feature.
 */
export class Distiller {
  readonly student: Module;
  readonly teacher: TeacherSource;
  readonly optimizer: DistillOptimizer;
  readonly projections = new Projections();
  readonly terms: readonly PlannedTerm[];
  readonly studentShape: ModelShape;
  /** What the teacher must report (precompute exactly this). */
  readonly teacherRequest: FeatureRequest;
  readonly studentRequest: FeatureRequest;
  totalSteps: number;
  #step = 0;
  #history: StepLog[] = [];
  readonly #studentForward: ForwardFn;
  readonly #projectionOf = new Map<string, Map<number, Linear>>();

  constructor(options: DistillerOptions) {
    const reg = options.registry ?? globalRegistry;
    this.student = options.student;
    this.optimizer = options.optimizer;
    this.totalSteps = options.totalSteps ?? 0;
    this.#studentForward = options.studentForward ?? defaultForward;
    if (!isModule(options.student)) {
      throw new ValidationError('student must be a @kd/nn Module', [], { where: 'Distiller' });
    }
    if (options.terms.length === 0) {
      throw new ValidationError('give at least one loss term', [], { where: 'Distiller terms' });
    }
    this.teacher = isModule(options.teacher)
      ? new LiveTeacher(options.teacher, options.teacherForward)
      : options.teacher;
    this.studentShape = probeModel(this.student, this.#studentForward);
    const rng = new Rng(options.seed ?? 0).fork('projections');
    const names = new Set<string>();
    this.terms = options.terms.map((spec, i) => {
      const where = `terms[${i}]`;
      const loss = isLoss(spec.loss)
        ? spec.loss
        : reg.create<DistillLoss>(
            'loss',
            typeof spec.loss === 'string' ? spec.loss : spec.loss.id,
            typeof spec.loss === 'string' ? {} : (spec.loss.options ?? {}),
          );
      let name = spec.name ?? loss.id;
      if (!spec.name) for (let k = 2; names.has(name); k++) name = `${loss.id}-${k}`;
      if (names.has(name)) {
        throw new ValidationError(`two terms are named "${name}"`, [], { where });
      }
      names.add(name);
      return this.#plan(spec, loss, name, `${where} (${name})`, rng, reg);
    });
    const tRequest: FeatureRequest = { logits: false, layers: {} };
    const sRequest: FeatureRequest = { logits: true, layers: {} };
    for (const t of this.terms) {
      if (t.feature === 'logits') {
        if (t.loss.needsTeacher) tRequest.logits = true;
        continue;
      }
      const f = t.feature as LayerFeature;
      const tl = new Set(tRequest.layers[f] ?? []);
      const sl = new Set(sRequest.layers[f] ?? []);
      for (const [s, te] of t.pairs) {
        tl.add(te);
        sl.add(s);
      }
      tRequest.layers[f] = [...tl].sort((a, b) => a - b);
      sRequest.layers[f] = [...sl].sort((a, b) => a - b);
    }
    this.teacherRequest = tRequest;
    this.studentRequest = sRequest;
    if (this.teacher instanceof PrecomputedTeacher) this.teacher.check(tRequest);
    const taken = new Set(this.student.namedParameters().map(([n]) => n));
    for (const [n] of this.projections.namedParameters()) {
      if (taken.has(PREFIX + n)) {
        throw new ValidationError(`the student already has a parameter named "${PREFIX + n}"`, [], {
          where: 'Distiller',
        });
      }
    }
  }

  #plan(
    spec: DistillTermSpec,
    loss: DistillLoss,
    name: string,
    where: string,
    rng: Rng,
    reg: Registry,
  ): PlannedTerm {
    const t = this.teacher.shape;
    const s = this.studentShape;
    const weight = resolveSchedule(spec.weight ?? 1, `${where}.weight`, reg);
    const temperature =
      spec.temperature === undefined
        ? undefined
        : resolveSchedule(spec.temperature, `${where}.temperature`, reg);
    const base = {
      name,
      loss,
      weight,
      temperature,
      reduction: spec.layerReduction ?? 'sum',
    } as const;
    if (!loss.layered) {
      if (spec.layers !== undefined || spec.projection !== undefined) {
        throw new ValidationError(
          `loss:${loss.id} compares outputs, not layers; remove "layers"/"projection"`,
          [],
          { where },
        );
      }
      if (loss.needsTeacher && (s.outputSize !== t.outputSize || s.outputRank !== t.outputRank)) {
        throw new ShapeError(
          `loss:${loss.id} compares output distributions, but the student's logits end in ${s.outputSize} (rank ${s.outputRank}) and the teacher's in ${t.outputSize} (rank ${t.outputRank})`,
          { where },
        );
      }
      return { ...base, feature: loss.feature, pairs: [] };
    }
    const feature = loss.feature as LayerFeature;
    const pairs = resolveLayerMap(spec.layers, {
      studentLayers: s.layers,
      teacherLayers: t.layers,
      withEmbeddings: feature === 'hidden',
      where: `${where}.layers`,
    });
    if (feature === 'hidden') {
      const mode = spec.projection ?? 'auto';
      const key = name.replace(/[^A-Za-z0-9_]/g, '_');
      const byLayer = new Map<number, Linear>();
      for (const [sl, tl] of pairs) {
        const ds = s.hiddenSizes[sl];
        const dt = t.hiddenSizes[tl];
        const need = mode === 'always' || (mode === 'auto' && ds !== dt);
        if (!need) {
          if (ds !== dt) {
            throw new ShapeError(
              `student layer ${sl} is ${ds} wide and teacher layer ${tl} is ${dt} wide, and projection is "none"; use projection: 'auto' to learn a Linear(${ds} → ${dt})`,
              { where },
            );
          }
          continue;
        }
        if (!loss.projectable) {
          throw new ShapeError(
            `student layer ${sl} (${ds}) and teacher layer ${tl} (${dt}) differ in width and loss:${loss.id} cannot use a projection`,
            { where },
          );
        }
        byLayer.set(
          sl,
          this.projections.create(key, spec.sharedProjection ? 'shared' : String(sl), ds, dt, rng),
        );
      }
      this.#projectionOf.set(name, byLayer);
    } else if (spec.projection !== undefined && spec.projection !== 'none') {
      throw new ValidationError(`loss:${loss.id} (${feature}) takes no projection`, [], { where });
    }
    for (const [sl, tl] of pairs) {
      if (feature === 'hidden') continue;
      loss.validate?.({
        student: {
          heads: s.heads[sl - 1],
          kvHeads: s.kvHeads[sl - 1],
          headDim: s.headDims[sl - 1],
        },
        teacher: {
          heads: t.heads[tl - 1],
          kvHeads: t.kvHeads[tl - 1],
          headDim: t.headDims[tl - 1],
        },
        where: `${where}: student layer ${sl} ↔ teacher layer ${tl}`,
      });
    }
    return { ...base, feature, pairs };
  }

  /** Steps taken (including those restored from a checkpoint). */
  get stepCount(): number {
    return this.#step;
  }

  get history(): readonly StepLog[] {
    return this.#history;
  }

  /** Student and projection parameters an optimizer updates, by dotted name. */
  trainableParameters(): Record<string, Parameter> {
    const out: Record<string, Parameter> = { ...this.student.trainableParameters() };
    for (const [n, p] of this.projections.namedParameters({ trainableOnly: true }))
      out[PREFIX + n] = p;
    return out;
  }

  /** Every parameter (frozen student ones too), by dotted name. */
  parameters(): Record<string, Parameter> {
    const out: Record<string, Parameter> = Object.fromEntries(this.student.namedParameters());
    for (const [n, p] of this.projections.namedParameters()) out[PREFIX + n] = p;
    return out;
  }

  /** The weight and temperature each term uses at `step`. */
  scheduleAt(step: number): Record<string, { weight: number; temperature?: number }> {
    const out: Record<string, { weight: number; temperature?: number }> = {};
    for (const t of this.terms) {
      out[t.name] = {
        weight: t.weight(step, this.totalSteps),
        ...(t.temperature ? { temperature: t.temperature(step, this.totalSteps) } : {}),
      };
    }
    return out;
  }

  /**
   * The weighted loss of one batch and each term's value, without updating
   * anything (student in its current mode). Tensors returned belong to the
   * caller's scope.
   */
  lossOf(batch: DistillBatch, teacher: Features | undefined, step = this.#step) {
    const schedule = this.scheduleAt(step);
    const inputs = batch.inputs;
    const ids = intTensor(inputs.inputIds as tf.Tensor | number[][]) as tf.Tensor;
    const attention = intTensor(inputs.attentionMask as tf.Tensor | number[][] | undefined);
    const mask = attention ? tf.cast(attention, 'float32') : undefined;
    const labels =
      batch.labels === undefined
        ? undefined
        : batch.labels instanceof tf.Tensor
          ? batch.labels
          : tf.tensor(batch.labels as number[], undefined, 'int32');
    const student = runWithFeatures(
      this.student,
      this.#studentForward,
      { ...inputs, inputIds: ids, attentionMask: attention },
      this.studentRequest,
      'student',
    );
    const values: tf.Scalar[] = [];
    const weighted: tf.Tensor[] = [];
    for (const term of this.terms) {
      const { weight, temperature } = schedule[term.name];
      if (weight === 0) {
        values.push(tf.scalar(0));
        continue;
      }
      const value = this.#termLoss(term, student, teacher, { mask, labels, ids, temperature });
      values.push(value);
      weighted.push(tf.mul(value, weight));
    }
    const total = (weighted.length > 0 ? tf.addN(weighted) : tf.scalar(0)) as tf.Scalar;
    return { total, values };
  }

  #termLoss(
    term: PlannedTerm,
    student: Features,
    teacher: Features | undefined,
    ctx: { mask?: tf.Tensor; labels?: tf.Tensor; ids: tf.Tensor; temperature?: number },
  ): tf.Scalar {
    const { loss } = term;
    if (term.feature === 'logits') {
      const logits = student.logits as tf.Tensor;
      return loss.compute({
        student: logits,
        teacher: loss.needsTeacher ? teacher?.logits : undefined,
        // Classification logits [B, C] have no positions to mask.
        mask: logits.rank === 3 ? ctx.mask : undefined,
        labels: ctx.labels,
        inputIds: ctx.ids,
        temperature: ctx.temperature,
      });
    }
    const f = term.feature as LayerFeature;
    const projections = this.#projectionOf.get(term.name);
    const parts = term.pairs.map(([sl, tl]) => {
      const s = student.layers[f]?.get(sl);
      const t = teacher?.layers[f]?.get(tl);
      if (!s || !t) {
        throw new ShapeError(`missing ${f} for student layer ${sl} / teacher layer ${tl}`, {
          where: `term ${term.name}`,
        });
      }
      const proj = projections?.get(sl);
      return loss.compute({
        student: s,
        teacher: t,
        mask: ctx.mask,
        temperature: ctx.temperature,
        projection: proj ? (x: tf.Tensor) => proj.forward(x) : undefined,
      });
    });
    const sum = tf.addN(parts) as tf.Scalar;
    return term.reduction === 'mean' ? (tf.div(sum, parts.length) as tf.Scalar) : sum;
  }

  /** One optimisation step on `batch`; returns the weighted loss and each term's value. */
  async step(batch: DistillBatch): Promise<StepLog> {
    const step = this.#step;
    const needTeacher = this.terms.some((t) => t.loss.needsTeacher);
    const teacher = needTeacher
      ? await this.teacher.features(batch, this.teacherRequest)
      : undefined;
    const params = this.trainableParameters();
    const names = Object.keys(params);
    let kept: tf.Tensor | undefined;
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
    try {
      this.student.train();
      result = tf.variableGrads(() => {
        const { total, values } = this.lossOf(batch, teacher, step);
        kept = tf.keep(tf.stack(values));
        return total;
      }, Object.values(params));
      const byName: Record<string, tf.Tensor> = {};
      for (const n of names) {
        const g = result.grads[params[n].name];
        if (g) byName[n] = g;
      }
      await this.optimizer.step(params, byName);
      const [total, termValues] = await Promise.all([
        result.value.data(),
        (kept as tf.Tensor).data(),
      ]);
      const log: StepLog = {
        step,
        loss: total[0],
        terms: Object.fromEntries(this.terms.map((t, i) => [t.name, termValues[i]])),
      };
      this.#history.push(log);
      this.#step = step + 1;
      return log;
    } finally {
      disposeFeatures(teacher);
      kept?.dispose();
      if (result) {
        result.value.dispose();
        for (const g of Object.values(result.grads)) g.dispose();
      }
    }
  }

  /** Everything needed to continue exactly: parameters, optimizer state, dropout streams, history. */
  async state(): Promise<CheckpointState> {
    const params: Record<string, StoredTensor> = {};
    for (const [n, p] of Object.entries(this.parameters())) params[n] = toStoredTensor(p);
    return {
      step: this.#step,
      params,
      optimizer: this.optimizer.exportState ? await this.optimizer.exportState() : undefined,
      rng: dropoutState(this.student),
      extra: { history: this.#history.map((h) => ({ ...h, terms: { ...h.terms } })) },
    };
  }

  /** Restores `state()` (strict: every parameter, no unknown ones). */
  async restore(state: CheckpointState): Promise<void> {
    const student: Record<string, StoredTensor> = {};
    const projections: Record<string, StoredTensor> = {};
    const own = new Set(this.student.namedParameters().map(([k]) => k));
    for (const [n, v] of Object.entries(state.params)) {
      if (n.startsWith(PREFIX) && !own.has(n)) {
        projections[n.slice(PREFIX.length)] = v;
      } else student[n] = v;
    }
    this.student.loadStateDict(student);
    if (this.projections.namedParameters().length > 0 || Object.keys(projections).length > 0) {
      this.projections.loadStateDict(projections);
    }
    if (state.optimizer && this.optimizer.importState) this.optimizer.importState(state.optimizer);
    if (state.rng) setDropoutState(this.student, state.rng);
    this.#step = state.step;
    const history = state.extra?.history;
    this.#history = Array.isArray(history) ? (history as StepLog[]).map((h) => ({ ...h })) : [];
  }

  /**
   * Runs `steps` steps (from a checkpoint when there is one), saving every
   * `checkpointEvery` steps and at the end; an aborted `signal` saves and
   * throws `AbortedError`. A resumed run gives the same numbers as one that
   * never stopped.
   */
  async train(options: TrainOptions): Promise<TrainResult> {
    const { steps } = options;
    if (!Number.isInteger(steps) || steps < 0) {
      throw new ValidationError(`steps must be an integer ≥ 0, got ${steps}`, [], {
        where: 'Distiller.train',
      });
    }
    this.totalSteps = steps;
    const store = options.checkpoints;
    let resumedFrom: number | undefined;
    if (store && (options.resume ?? true)) {
      const state = await store.latest();
      if (state) {
        await this.restore(state);
        resumedFrom = state.step;
      }
    }
    const progress = (options.progress ?? silentProgress).stage('distill', steps, 'steps');
    if (this.#step > 0) progress.tick(Math.min(this.#step, steps));
    const save = async () => {
      if (store) await store.save(await this.state());
    };
    while (this.#step < steps) {
      if (options.signal?.aborted) {
        await save();
        throw new AbortedError(`distillation stopped at step ${this.#step}; checkpoint saved`);
      }
      const log = await this.step(await options.data(this.#step));
      options.onStep?.(log);
      progress.tick(1, { loss: log.loss, ...log.terms });
      if (
        options.checkpointEvery &&
        this.#step % options.checkpointEvery === 0 &&
        this.#step < steps
      ) {
        await save();
      }
    }
    await save();
    progress.done();
    return {
      steps: this.#step,
      history: [...this.#history],
      ...(resumedFrom === undefined ? {} : { resumedFrom }),
    };
  }

  /** Disposes the projections (the student, teacher and optimizer belong to the caller). */
  dispose(): void {
    this.projections.dispose();
  }
}
