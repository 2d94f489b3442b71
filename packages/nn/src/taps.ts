import { NotFoundError, ValidationError } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';
import type { Module } from './module.js';
import { asPatternList, matchesAny, type NamePattern } from './patterns.js';

/**
 * What a forward pass can report besides its output, for distillation
 * losses. Shapes (B batch, T query positions, S key positions = past + T,
 * d hidden size, H attention heads, Hkv key/value heads, dh head size):
 *
 * - `hidden`: the embeddings output, then each layer's output: L+1 tensors
 *   `[B, T, d]`, as Hugging Face's `output_hidden_states`. In pre-norm
 *   decoders (GPT-2, Llama) the last one has the final norm applied, as in
 *   Hugging Face.
 * - `attentions`: softmax probabilities `[B, H, T, S]`, before attention
 *   dropout (so rows sum to 1 in training too).
 * - `scores`: pre-softmax scores `[B, H, T, S]`: `QKᵀ/√dh` plus the additive
 *   mask, which is 0 where a key is visible and {@link MASK_VALUE} (−10000,
 *   BERT's original constant) where it is padding or in the future. TinyBERT
 *   distils these and zeroes entries ≤ −100 before its MSE; do the same.
 * - `queries`: `[B, H, T, dh]`, after rotary embedding where the model has it.
 * - `keys`, `values`: `[B, Hkv, S, dh]` as used in the dot products (keys
 *   after rotary embedding; with a KV cache, past positions included).
 *   Hkv = H except in grouped-query attention, where query head h uses
 *   key/value head ⌊h·Hkv/H⌋.
 *
 * Each list is in call order: layer 0 first.
 */
export type TapKind = 'hidden' | 'attentions' | 'scores' | 'queries' | 'keys' | 'values';
export const TAP_KINDS: readonly TapKind[] = [
  'hidden',
  'attentions',
  'scores',
  'queries',
  'keys',
  'values',
];

/** The additive mask value for hidden keys (see {@link TapKind} `scores`). */
export const MASK_VALUE = -10000;

export interface TapRequest {
  hidden?: boolean;
  attentions?: boolean;
  scores?: boolean;
  queries?: boolean;
  keys?: boolean;
  values?: boolean;
  /**
   * Outputs of any modules, by dotted module name or glob matched against
   * the whole name (`bert.encoder.layer.*.output.dense`), as forward hooks
   * give them; each entry lists one output per call.
   */
  outputs?: NamePattern | readonly NamePattern[];
}

export interface Taps {
  hidden: tf.Tensor[];
  attentions: tf.Tensor[];
  scores: tf.Tensor[];
  queries: tf.Tensor[];
  keys: tf.Tensor[];
  values: tf.Tensor[];
  /** Per module name, its outputs in call order. */
  outputs: Record<string, tf.Tensor[]>;
  /** For each kind, the dotted name of the module that produced each entry. */
  sources: Record<TapKind, string[]>;
  /** Disposes every tapped tensor (for use outside `tf.tidy`). */
  dispose(): void;
}

export interface Tapped<T> {
  /** What `fn` returned. */
  output: T;
  taps: Taps;
}

interface Recorder {
  modules: Map<Module, string>;
  want: Set<TapKind>;
  lists: Record<TapKind, tf.Tensor[]>;
  sources: Record<TapKind, string[]>;
  outputs: Record<string, tf.Tensor[]>;
}

/** Recorders of the `withTaps` calls running now, innermost last. */
const active: Recorder[] = [];

/**
 * A module's handle on the running taps: undefined (the common case, checked
 * with one array length) when nobody asked for anything this module makes.
 */
export interface TapSink {
  wants(kind: TapKind): boolean;
  record(kind: TapKind, tensor: tf.Tensor): void;
}

/**
 * Called by layers before computing anything optional. Returns undefined
 * when no running `withTaps` covers `module`, so layers allocate nothing
 * extra then.
 */
export function tapsFor(module: Module): TapSink | undefined {
  if (active.length === 0) return undefined;
  const mine = active.filter((r) => r.modules.has(module) && r.want.size > 0);
  if (mine.length === 0) return undefined;
  return {
    wants: (kind) => mine.some((r) => r.want.has(kind)),
    record(kind, tensor) {
      for (const r of mine) {
        if (!r.want.has(kind)) continue;
        // A clone kept out of every enclosing tidy; handed back to the
        // caller's scope when withTaps returns.
        r.lists[kind].push(tf.keep(tf.clone(tensor)));
        r.sources[kind].push(r.modules.get(module) ?? '');
      }
    },
  };
}

/**
 * Runs `fn` (which runs `model`'s forward) and returns what it returned with
 * the intermediate tensors that `request` asks for (see {@link TapKind}).
 * Only modules inside `model` are recorded, so a teacher and a student can
 * run in the same `fn`. The tapped tensors belong to the scope `withTaps` is
 * called in, like `fn`'s own result: inside `tf.tidy` or `tf.variableGrads`
 * they are released with it, and losses on them backpropagate. `fn` must be
 * synchronous.
 *
 * @example
 * const { output, taps } = withTaps(model, { hidden: true, attentions: true }, () =>
 *   model.forward({ inputIds, attentionMask }),
 * );
 */
export function withTaps<T>(model: Module, request: TapRequest, fn: () => T): Tapped<T> {
  const want = new Set<TapKind>(TAP_KINDS.filter((k) => request[k] === true));
  const modules = new Map<Module, string>();
  for (const [name, m] of model.namedModules()) modules.set(m, name);
  const recorder: Recorder = {
    modules,
    want,
    lists: emptyLists(),
    sources: emptyLists() as unknown as Record<TapKind, string[]>,
    outputs: {},
  };
  const unhook: (() => void)[] = [];
  if (request.outputs !== undefined) {
    const patterns = asPatternList(request.outputs);
    const picked = [...modules.entries()].filter(([, name]) => matchesAny(name, patterns, true));
    if (picked.length === 0) {
      const names = [...modules.values()].filter(Boolean);
      throw new NotFoundError(
        `withTaps: no module matches ${patterns.map(String).join(', ')}; module names look like "${names[1] ?? names[0] ?? ''}"`,
        names.slice(0, 5),
      );
    }
    for (const [m, name] of picked) {
      recorder.outputs[name] = [];
      unhook.push(
        m.registerForwardHook((_mod, _args, out) => {
          if (!(out instanceof tf.Tensor)) {
            throw new ValidationError(
              `withTaps outputs: module "${name}" returned ${typeof out}, not a tensor; tap one of its children instead`,
            );
          }
          recorder.outputs[name].push(tf.keep(tf.clone(out)));
        }),
      );
    }
  }
  active.push(recorder);
  let output: T;
  try {
    output = fn();
    if (output instanceof Promise) {
      throw new ValidationError(
        'withTaps: fn returned a Promise; run the forward pass synchronously inside withTaps',
      );
    }
  } catch (error) {
    release(recorder, false);
    throw error;
  } finally {
    active.splice(active.indexOf(recorder), 1);
    for (const u of unhook) u();
  }
  const handed = release(recorder, true);
  return { output, taps: handed };
}

function emptyLists(): Record<TapKind, tf.Tensor[]> {
  return {
    hidden: [],
    attentions: [],
    scores: [],
    queries: [],
    keys: [],
    values: [],
  };
}

/**
 * Moves the kept clones into the caller's scope (one more clone each, which
 * the current tidy tracks) or disposes them after a failure.
 */
function release(r: Recorder, keep: boolean): Taps {
  const move = (t: tf.Tensor): tf.Tensor => {
    if (!keep) {
      t.dispose();
      return t;
    }
    const out = tf.clone(t);
    t.dispose();
    return out;
  };
  const lists = emptyLists();
  for (const k of TAP_KINDS) lists[k] = r.lists[k].map(move);
  const outputs: Record<string, tf.Tensor[]> = {};
  for (const [name, ts] of Object.entries(r.outputs)) outputs[name] = ts.map(move);
  return {
    ...lists,
    outputs,
    sources: r.sources,
    dispose() {
      for (const k of TAP_KINDS) for (const t of lists[k]) t.dispose();
      for (const ts of Object.values(outputs)) for (const t of ts) t.dispose();
    },
  };
}
