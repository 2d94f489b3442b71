// A BERT-style sequence classifier in plain tfjs-core ops: the model the bench trains
// (and test/training.test.ts checks at a small size). Same architecture as
// tiny_bert_torch.py: token + position embeddings, post-LayerNorm encoder layers with
// multi-head self-attention and an erf-GELU FFN, a tanh pooler on the first token and
// a linear classifier; cross-entropy loss; dense weights stored [in, out].
import { Rng } from '@kd/core';
import * as tf from '@tensorflow/tfjs-core';

/** The tiny BERT: vocab 8000, hidden 256, 4 layers, 4 heads, FFN 1024, 32×64 tokens. */
export const TINY_BERT = {
  vocab: 8000,
  hidden: 256,
  layers: 4,
  heads: 4,
  ffn: 1024,
  seq: 64,
  batch: 32,
  classes: 2,
};

const EPS = 1e-12;

/**
 * Parameters with Hugging Face names, initialised from a seeded Rng (normal, std
 * 0.02; LayerNorm weight 1, biases 0) so every backend starts from the same numbers.
 */
export function createParams(cfg, seed = 0) {
  const rng = new Rng(seed);
  const params = {};
  const normal = (name, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    params[name] = tf.variable(tf.tensor(rng.normalArray(n, 0, 0.02), shape), true, name);
  };
  const fill = (name, shape, value) => {
    params[name] = tf.variable(tf.fill(shape, value), true, name);
  };
  const dense = (prefix, inDim, outDim) => {
    normal(`${prefix}.weight`, [inDim, outDim]);
    fill(`${prefix}.bias`, [outDim], 0);
  };
  const norm = (prefix) => {
    fill(`${prefix}.weight`, [cfg.hidden], 1);
    fill(`${prefix}.bias`, [cfg.hidden], 0);
  };
  normal('embeddings.word_embeddings.weight', [cfg.vocab, cfg.hidden]);
  normal('embeddings.position_embeddings.weight', [cfg.seq, cfg.hidden]);
  norm('embeddings.LayerNorm');
  for (let l = 0; l < cfg.layers; l++) {
    const p = `encoder.layer.${l}`;
    dense(`${p}.attention.self.query`, cfg.hidden, cfg.hidden);
    dense(`${p}.attention.self.key`, cfg.hidden, cfg.hidden);
    dense(`${p}.attention.self.value`, cfg.hidden, cfg.hidden);
    dense(`${p}.attention.output.dense`, cfg.hidden, cfg.hidden);
    norm(`${p}.attention.output.LayerNorm`);
    dense(`${p}.intermediate.dense`, cfg.hidden, cfg.ffn);
    dense(`${p}.output.dense`, cfg.ffn, cfg.hidden);
    norm(`${p}.output.LayerNorm`);
  }
  dense('pooler.dense', cfg.hidden, cfg.hidden);
  dense('classifier', cfg.hidden, cfg.classes);
  return params;
}

function linear(x, params, prefix) {
  return tf.fused.matMul({ a: x, b: params[`${prefix}.weight`], bias: params[`${prefix}.bias`] });
}

function layerNorm(x, params, prefix) {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, EPS)));
  return tf.add(tf.mul(normed, params[`${prefix}.weight`]), params[`${prefix}.bias`]);
}

function gelu(x) {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** [batch·seq, hidden] → [batch, heads, seq, headDim]. */
function splitHeads(x, cfg) {
  const dh = cfg.hidden / cfg.heads;
  return tf.transpose(tf.reshape(x, [-1, cfg.seq, cfg.heads, dh]), [0, 2, 1, 3]);
}

/** Logits [batch, classes] for token ids [batch, seq] (int32). */
export function forward(params, ids, cfg) {
  const batch = ids.shape[0];
  const words = tf.gather(params['embeddings.word_embeddings.weight'], ids);
  const embedded = tf.add(words, params['embeddings.position_embeddings.weight']);
  let x = layerNorm(tf.reshape(embedded, [-1, cfg.hidden]), params, 'embeddings.LayerNorm');
  const scale = 1 / Math.sqrt(cfg.hidden / cfg.heads);
  for (let l = 0; l < cfg.layers; l++) {
    const p = `encoder.layer.${l}`;
    const q = splitHeads(linear(x, params, `${p}.attention.self.query`), cfg);
    const k = splitHeads(linear(x, params, `${p}.attention.self.key`), cfg);
    const v = splitHeads(linear(x, params, `${p}.attention.self.value`), cfg);
    const probs = tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale));
    const context = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [-1, cfg.hidden]);
    const attention = linear(context, params, `${p}.attention.output.dense`);
    x = layerNorm(tf.add(x, attention), params, `${p}.attention.output.LayerNorm`);
    const h = gelu(linear(x, params, `${p}.intermediate.dense`));
    x = layerNorm(
      tf.add(x, linear(h, params, `${p}.output.dense`)),
      params,
      `${p}.output.LayerNorm`,
    );
  }
  const first = tf.reshape(
    tf.slice(tf.reshape(x, [batch, cfg.seq, cfg.hidden]), [0, 0, 0], [batch, 1, cfg.hidden]),
    [batch, cfg.hidden],
  );
  const pooled = tf.tanh(linear(first, params, 'pooler.dense'));
  return linear(pooled, params, 'classifier');
}

/** Mean cross-entropy of the logits against integer labels [batch]. */
export function loss(params, ids, labels, cfg) {
  const logits = forward(params, ids, cfg);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, cfg.classes), logits);
}

/** A seeded batch: token ids [batch, seq] and labels [batch]. */
export function makeBatch(cfg, seed = 1) {
  const rng = new Rng(seed);
  const ids = new Int32Array(cfg.batch * cfg.seq);
  for (let i = 0; i < ids.length; i++) ids[i] = rng.int(cfg.vocab);
  const labels = new Int32Array(cfg.batch);
  for (let i = 0; i < labels.length; i++) labels[i] = rng.int(cfg.classes);
  return {
    ids: tf.tensor2d(ids, [cfg.batch, cfg.seq], 'int32'),
    labels: tf.tensor1d(labels, 'int32'),
  };
}

/** One Adam step; returns the loss value. */
export function trainStep(params, optimizer, batch, cfg) {
  const value = optimizer.minimize(
    () => loss(params, batch.ids, batch.labels, cfg),
    true,
    Object.values(params),
  );
  const out = value.dataSync()[0];
  value.dispose();
  return out;
}

/** Multiply-adds ×2 of one forward pass (matmuls only), for GFLOP/s figures. */
export function forwardFlops(cfg) {
  const t = cfg.batch * cfg.seq;
  const h = cfg.hidden;
  const perLayer =
    2 * t * h * h * 4 + 2 * t * h * cfg.ffn * 2 + 2 * 2 * cfg.batch * cfg.seq * cfg.seq * h;
  return cfg.layers * perLayer + 2 * cfg.batch * h * (h + cfg.classes);
}
