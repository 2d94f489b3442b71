import { FormatError, type StoredTensor, ValidationError } from '@kd/core';
import { permuteForInterleaved, permuteForRotateHalf } from '../layers/rotary.js';
import { type LlamaConfigInput, LlamaForCausalLM } from '../models/llama.js';
import { readFloat32, writeFloat32 } from './bytes.js';

/**
 * llama2.c checkpoints (karpathy/llama2.c `run.c` / `export.py`):
 *
 * - legacy (version 0): seven int32 `dim, hidden_dim, n_layers, n_heads,
 *   n_kv_heads, vocab_size, seq_len`, then float32 weights: token
 *   embeddings, attention RMSNorm weights, wq, wk, wv, wo (all layers each),
 *   FFN RMSNorm weights, w1, w2, w3, final RMSNorm, two unused `freq_cis`
 *   tables `[seq_len, head_size/2]`, and the classifier only when
 *   `vocab_size` is negative (a positive one means the classifier shares
 *   the embedding matrix).
 * - version 1: a 256-byte header (`ak42` magic as uint32 0x616b3432,
 *   int32 version 1, the seven ints, a uint8 shared-classifier flag, zero
 *   padding), then float32: attention norms, FFN norms, final norm,
 *   embeddings, wq, wk, wv, wo, w1, w2, w3 (all layers each), classifier
 *   when not shared.
 *
 * Matrices are torch `[out, in]`. q and k rows are in Meta's interleaved
 * rotary order; they are permuted to Hugging Face's order on load (and
 * back on save), so the model is an ordinary `LlamaForCausalLM`.
 */
export interface Llama2cHeader {
  version: 0 | 1;
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
}

const MAGIC = 0x616b3432;
const V1_HEADER_BYTES = 256;
const WHERE = 'llama2.c checkpoint';

export function readLlama2cHeader(bytes: Uint8Array): Llama2cHeader {
  if (bytes.length < 28) {
    throw new FormatError(`file has ${bytes.length} bytes; a header needs at least 28`, {
      where: WHERE,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  if (magic === MAGIC) {
    const version = view.getInt32(4, true);
    if (version !== 1) {
      throw new FormatError(
        `export version ${version} is not supported (only 1, fp32; version 2 is int8-quantised)`,
        { where: WHERE },
      );
    }
    if (bytes.length < V1_HEADER_BYTES) {
      throw new FormatError(`version 1 header needs 256 bytes, file has ${bytes.length}`, {
        where: WHERE,
      });
    }
    const ints = Array.from({ length: 7 }, (_, i) => view.getInt32(8 + 4 * i, true));
    return header(1, ints, view.getUint8(36) !== 0);
  }
  const ints = Array.from({ length: 7 }, (_, i) => view.getInt32(4 * i, true));
  const shared = ints[5] > 0;
  ints[5] = Math.abs(ints[5]);
  return header(0, ints, shared);
}

function header(version: 0 | 1, ints: number[], sharedClassifier: boolean): Llama2cHeader {
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen] = ints;
  const h = {
    version,
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    vocabSize,
    seqLen,
    sharedClassifier,
  };
  const bad = Object.entries(h).find(
    ([k, v]) =>
      typeof v === 'number' && k !== 'version' && !(Number.isInteger(v) && v > 0 && v < 1 << 24),
  );
  if (bad || dim % nHeads !== 0 || nHeads % nKvHeads !== 0) {
    throw new FormatError(
      `implausible header ${JSON.stringify(h)} (not a llama2.c checkpoint, or a different format)`,
      { where: WHERE },
    );
  }
  return h;
}

/** The Hugging Face config a llama2.c header describes (run.c's fixed eps 1e-5 and θ 10000). */
export function llama2cConfig(h: Llama2cHeader): LlamaConfigInput {
  return {
    vocabSize: h.vocabSize,
    hiddenSize: h.dim,
    intermediateSize: h.hiddenDim,
    numHiddenLayers: h.nLayers,
    numAttentionHeads: h.nHeads,
    numKeyValueHeads: h.nKvHeads,
    maxPositionEmbeddings: h.seqLen,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    hiddenAct: 'silu',
    tieWordEmbeddings: h.sharedClassifier,
    bosTokenId: 1,
    eosTokenId: 2,
  };
}

interface Piece {
  /** Hugging Face name with `{i}` for the layer. */
  name: string;
  shape: (h: Llama2cHeader) => number[];
  perLayer: boolean;
  /** Rows to permute between Meta and Hugging Face rotary order. */
  rotaryHeads?: (h: Llama2cHeader) => number;
}

const hs = (h: Llama2cHeader) => h.dim / h.nHeads;
const P = {
  emb: { name: 'model.embed_tokens.weight', shape: (h) => [h.vocabSize, h.dim], perLayer: false },
  attnNorm: {
    name: 'model.layers.{i}.input_layernorm.weight',
    shape: (h) => [h.dim],
    perLayer: true,
  },
  wq: {
    name: 'model.layers.{i}.self_attn.q_proj.weight',
    shape: (h) => [h.dim, h.dim],
    perLayer: true,
    rotaryHeads: (h) => h.nHeads,
  },
  wk: {
    name: 'model.layers.{i}.self_attn.k_proj.weight',
    shape: (h) => [h.nKvHeads * hs(h), h.dim],
    perLayer: true,
    rotaryHeads: (h) => h.nKvHeads,
  },
  wv: {
    name: 'model.layers.{i}.self_attn.v_proj.weight',
    shape: (h) => [h.nKvHeads * hs(h), h.dim],
    perLayer: true,
  },
  wo: {
    name: 'model.layers.{i}.self_attn.o_proj.weight',
    shape: (h) => [h.dim, h.dim],
    perLayer: true,
  },
  ffnNorm: {
    name: 'model.layers.{i}.post_attention_layernorm.weight',
    shape: (h) => [h.dim],
    perLayer: true,
  },
  w1: {
    name: 'model.layers.{i}.mlp.gate_proj.weight',
    shape: (h) => [h.hiddenDim, h.dim],
    perLayer: true,
  },
  w2: {
    name: 'model.layers.{i}.mlp.down_proj.weight',
    shape: (h) => [h.dim, h.hiddenDim],
    perLayer: true,
  },
  w3: {
    name: 'model.layers.{i}.mlp.up_proj.weight',
    shape: (h) => [h.hiddenDim, h.dim],
    perLayer: true,
  },
  norm: { name: 'model.norm.weight', shape: (h) => [h.dim], perLayer: false },
  cls: { name: 'lm_head.weight', shape: (h) => [h.vocabSize, h.dim], perLayer: false },
} satisfies Record<string, Piece>;

type Step = Piece | { skip: (h: Llama2cHeader) => number; part: 'cos' | 'sin' };

function layout(h: Llama2cHeader): Step[] {
  const skip = (x: Llama2cHeader) => (x.seqLen * hs(x)) / 2;
  const cos = { skip, part: 'cos' as const };
  const sin = { skip, part: 'sin' as const };
  const body =
    h.version === 0
      ? [P.emb, P.attnNorm, P.wq, P.wk, P.wv, P.wo, P.ffnNorm, P.w1, P.w2, P.w3, P.norm, cos, sin]
      : [P.attnNorm, P.ffnNorm, P.norm, P.emb, P.wq, P.wk, P.wv, P.wo, P.w1, P.w2, P.w3];
  return h.sharedClassifier ? body : [...body, P.cls];
}

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function expectedBytes(h: Llama2cHeader): number {
  let n = 0;
  for (const s of layout(h)) {
    n += 'skip' in s ? s.skip(h) : numel(s.shape(h)) * (s.perLayer ? h.nLayers : 1);
  }
  return (h.version === 0 ? 28 : V1_HEADER_BYTES) + 4 * n;
}

/**
 * Parses a llama2.c checkpoint into a Hugging Face-named state dict and
 * config, without building a model.
 */
export function readLlama2c(bytes: Uint8Array): {
  header: Llama2cHeader;
  config: LlamaConfigInput;
  state: Record<string, StoredTensor>;
} {
  const h = readLlama2cHeader(bytes);
  const expected = expectedBytes(h);
  if (bytes.length !== expected) {
    throw new FormatError(
      `expected ${expected} bytes for ${JSON.stringify(h)}, file has ${bytes.length}`,
      { where: WHERE },
    );
  }
  let offset = h.version === 0 ? 28 : V1_HEADER_BYTES;
  const state: Record<string, StoredTensor> = {};
  for (const s of layout(h)) {
    if ('skip' in s) {
      offset += 4 * s.skip(h);
      continue;
    }
    const shape = s.shape(h);
    const n = numel(shape);
    for (let i = 0; i < (s.perLayer ? h.nLayers : 1); i++) {
      let data = readFloat32(bytes, offset, n, WHERE);
      offset += 4 * n;
      if (s.rotaryHeads) data = permuteForRotateHalf(data, s.rotaryHeads(h), hs(h), h.dim);
      state[s.name.replace('{i}', String(i))] = { dtype: 'float32', shape, data };
    }
  }
  return { header: h, config: llama2cConfig(h), state };
}

/** Builds a `LlamaForCausalLM` from llama2.c checkpoint bytes (legacy or v1). */
export function loadLlama2c(bytes: Uint8Array): LlamaForCausalLM {
  const { config, state } = readLlama2c(bytes);
  const model = new LlamaForCausalLM(config);
  try {
    model.loadStateDict(state);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model.eval();
}

/**
 * Writes a `LlamaForCausalLM` as a llama2.c checkpoint (`version` 0 =
 * legacy, 1 = `ak42` v1) that `run.c` can run. The model must fit llama2.c:
 * no biases, SiLU, θ = 10000, head size = dim / heads.
 */
export function saveLlama2c(
  model: LlamaForCausalLM,
  options: { version?: 0 | 1 } = {},
): Uint8Array {
  const c = model.config;
  const problems: string[] = [];
  if (c.attentionBias || c.mlpBias) problems.push('biases');
  if (c.hiddenAct !== 'silu') problems.push(`activation ${c.hiddenAct}`);
  if (c.ropeTheta !== 10000) problems.push(`rope_theta ${c.ropeTheta}`);
  if (c.headDim !== null && c.headDim !== c.hiddenSize / c.numAttentionHeads)
    problems.push('head_dim');
  if (problems.length > 0) {
    throw new ValidationError(`llama2.c cannot represent this model: ${problems.join(', ')}`, [], {
      where: 'saveLlama2c',
    });
  }
  const version = options.version ?? 1;
  const h: Llama2cHeader = {
    version,
    dim: c.hiddenSize,
    hiddenDim: c.intermediateSize,
    nLayers: c.numHiddenLayers,
    nHeads: c.numAttentionHeads,
    nKvHeads: c.numKeyValueHeads ?? c.numAttentionHeads,
    vocabSize: c.vocabSize,
    seqLen: c.maxPositionEmbeddings,
    sharedClassifier: c.tieWordEmbeddings,
  };
  const out = new Uint8Array(expectedBytes(h));
  const view = new DataView(out.buffer);
  const ints = [h.dim, h.hiddenDim, h.nLayers, h.nHeads, h.nKvHeads, h.vocabSize, h.seqLen];
  let offset: number;
  if (version === 0) {
    if (!h.sharedClassifier) ints[5] = -ints[5];
    for (const [i, v] of ints.entries()) view.setInt32(4 * i, v, true);
    offset = 28;
  } else {
    view.setUint32(0, MAGIC, true);
    view.setInt32(4, 1, true);
    for (const [i, v] of ints.entries()) view.setInt32(8 + 4 * i, v, true);
    view.setUint8(36, h.sharedClassifier ? 1 : 0);
    offset = V1_HEADER_BYTES;
  }
  const state = model.stateDict();
  for (const s of layout(h)) {
    if ('skip' in s) {
      // The legacy freq_cis tables, as export.py wrote them (run.c ignores them).
      offset = writeFloat32(out, offset, freqCis(h, s.part));
      continue;
    }
    for (let i = 0; i < (s.perLayer ? h.nLayers : 1); i++) {
      const name = s.name.replace('{i}', String(i));
      let data = state[name].dataSync() as Float32Array;
      if (s.rotaryHeads) data = permuteForInterleaved(data, s.rotaryHeads(h), hs(h), h.dim);
      offset = writeFloat32(out, offset, data);
    }
  }
  return out;
}

/** export.py's `precompute_freqs_cis(head_size, seq_len)` real or imaginary part. */
function freqCis(h: Llama2cHeader, part: 'cos' | 'sin'): Float32Array {
  const half = hs(h) / 2;
  const out = new Float32Array(h.seqLen * half);
  for (let p = 0; p < h.seqLen; p++) {
    for (let j = 0; j < half; j++) {
      const freq = 1 / 10000 ** ((2 * j) / hs(h));
      out[p * half + j] = part === 'cos' ? Math.cos(p * freq) : Math.sin(p * freq);
    }
  }
  return out;
}
