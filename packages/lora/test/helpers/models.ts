import { Rng } from '@kd/core';
import { Embedding, Linear, Module, ModuleList } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';

/** `encoder.layer.N.attention.self.{query,key,value}` + `classifier`: the layout of the reference fixture. */
export class TinyEncoder extends Module {
  readonly encoder: Encoder;
  readonly classifier: Linear;
  constructor(d = 32, layers = 2, labels = 2, seed = 0) {
    super();
    const rng = new Rng(seed);
    this.encoder = this.addModule('encoder', new Encoder(d, layers, rng));
    this.classifier = this.addModule('classifier', new Linear(d, labels, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.classifier.forward(this.encoder.forward(x)));
  }
}

class Encoder extends Module {
  readonly layer: ModuleList<Layer>;
  constructor(d: number, layers: number, rng: Rng) {
    super();
    this.layer = this.addModule(
      'layer',
      new ModuleList(Array.from({ length: layers }, () => new Layer(d, rng))),
    );
  }
  forward(x: tf.Tensor): tf.Tensor {
    let h = x;
    for (const l of this.layer) h = l.forward(h);
    return h;
  }
}

class Layer extends Module {
  readonly attention: Attention;
  constructor(d: number, rng: Rng) {
    super();
    this.attention = this.addModule('attention', new Attention(d, rng));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.attention.forward(x);
  }
}

class Attention extends Module {
  readonly self: SelfProj;
  constructor(d: number, rng: Rng) {
    super();
    this.self = this.addModule('self', new SelfProj(d, rng));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.self.forward(x);
  }
}

class SelfProj extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  constructor(d: number, rng: Rng) {
    super();
    this.query = this.addModule('query', new Linear(d, d, { rng }));
    this.key = this.addModule('key', new Linear(d, d, { rng }));
    this.value = this.addModule('value', new Linear(d, d, { rng }));
  }
  /** A simple, differentiable mix of the three projections (enough to exercise adapters). */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() =>
      tf.tanh(
        tf.add(
          tf.add(this.query.forward(x), tf.mul(this.key.forward(x), 0.5)),
          this.value.forward(x),
        ),
      ),
    );
  }
}

/** A token model with an embedding and a tied output head, for embedding adapters and all-linear. */
export class TinyLm extends Module {
  readonly embed: Embedding;
  readonly proj: Linear;
  readonly lm_head: Linear;
  constructor(vocab = 11, d = 6, seed = 0) {
    super();
    const rng = new Rng(seed);
    this.embed = this.addModule('embed', new Embedding(vocab, d, { rng }));
    this.proj = this.addModule('proj', new Linear(d, d, { rng }));
    this.lm_head = this.addModule(
      'lm_head',
      new Linear(d, vocab, { rng, bias: false, tiedWeight: this.embed.weight }),
    );
  }
  forward(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.lm_head.forward(tf.tanh(this.proj.forward(this.embed.forward(ids)))));
  }
}
