import { type Rng, ValidationError } from '@kd/core';
import { Module, ModuleList } from '@kd/nn';
import * as tf from '@tensorflow/tfjs-core';
import type { EdgeIndex } from '../edge-index.js';
import { GATConv } from '../layers/gat.js';
import { RGCNConv } from '../layers/rgcn.js';
import { dropout } from '../nn/dropout.js';
import { gatherRows } from '../scatter.js';
import { type KgScorer, makeScorer, type ScorerId } from './scorers.js';
import { type Triples, tripleGraph } from './triples.js';

export interface KgEncoderOptions {
  /** R-GCN (relation-aware) or GAT (relation-agnostic) message passing over the training graph. */
  type: 'rgcn' | 'gat';
  layers?: number;
  numBases?: number;
  numBlocks?: number;
  heads?: number;
  /** Dropout between layers (training only). */
  dropout?: number;
}

export interface KgModelOptions {
  numEntities: number;
  /** Relations in the data (inverse relations are added on top when `reciprocal`). */
  numRelations: number;
  scorer: ScorerId;
  /** Embedding dimension (complex scorers store 2·dim reals per entity). */
  dim: number;
  gamma?: number;
  p?: 1 | 2;
  /**
   * Learn an inverse relation r⁻¹ per relation and predict heads of (?, r, t)
   * as tails of (t, r⁻¹, ?) (Lacroix et al. 2018; Dettmers et al. 2018).
   */
  reciprocal?: boolean;
  /**
   * `uniform` in ±(γ + 2)/dim (KnowledgeGraphEmbedding's default) or `normal`
   * with std `initScale` (Lacroix et al. use 1e-3).
   */
  init?: 'uniform' | 'normal';
  initScale?: number;
  encoder?: KgEncoderOptions;
}

/** R-GCN or GAT layers that refine entity embeddings over the training graph. */
class KgEncoder extends Module {
  readonly kind: 'rgcn' | 'gat';
  readonly layers: ModuleList<RGCNConv | GATConv>;
  readonly p: number;
  readonly #rng: Rng;

  constructor(width: number, numEdgeTypes: number, options: KgEncoderOptions, rng: Rng) {
    super();
    this.kind = options.type;
    this.p = options.dropout ?? 0;
    const n = options.layers ?? 2;
    this.layers = this.addModule('layers', new ModuleList<RGCNConv | GATConv>());
    for (let l = 0; l < n; l++) {
      let layer: RGCNConv | GATConv;
      if (options.type === 'rgcn') {
        layer = new RGCNConv(
          {
            inChannels: width,
            outChannels: width,
            numRelations: numEdgeTypes,
            numBases: options.numBases,
            numBlocks: options.numBlocks,
          },
          rng,
        );
      } else {
        const heads = options.heads ?? 1;
        if (width % heads !== 0) {
          throw new ValidationError(
            `GAT encoder: heads (${heads}) must divide the entity width (${width})`,
          );
        }
        layer = new GATConv({ inChannels: width, outChannels: width / heads, heads }, rng);
      }
      this.layers.push(layer);
    }
    this.#rng = rng.fork('kg-encoder.dropout');
  }

  forward(x: tf.Tensor2D, edgeIndex: EdgeIndex, edgeType: Int32Array): tf.Tensor2D {
    return tf.tidy(() => {
      let h = x;
      [...this.layers].forEach((layer, l) => {
        h =
          layer instanceof RGCNConv
            ? layer.forward(h, edgeIndex, edgeType)
            : layer.forward(h, edgeIndex);
        if (l < this.layers.length - 1) {
          h = (this.kind === 'rgcn' ? tf.relu(h) : tf.elu(h)) as tf.Tensor2D;
          h = dropout(h, this.p, this.#rng, this.training) as tf.Tensor2D;
        }
      });
      return h;
    });
  }
}

/**
 * Knowledge-graph embedding model: entity and relation embeddings
 * (`entity_embedding`, `relation_embedding`), an optional R-GCN/GAT encoder
 * over the training graph (Schlichtkrull et al.'s encoder + scorer decoder),
 * and a scorer (TransE, DistMult, ComplEx, RotatE).
 */
export class KgModel extends Module {
  readonly options: KgModelOptions;
  readonly scorer: KgScorer;
  readonly entity: tf.Variable;
  readonly relation: tf.Variable;
  readonly encoder: KgEncoder | undefined;
  /** Relation rows: R, or 2R with reciprocal relations. */
  readonly numRelationSlots: number;
  #graph: { edgeIndex: EdgeIndex; edgeType: Int32Array } | undefined;

  constructor(options: KgModelOptions, rng: Rng) {
    super();
    this.options = options;
    const { numEntities: n, numRelations: r, dim } = options;
    const gamma = options.gamma ?? 12;
    this.scorer = makeScorer(options.scorer, { gamma, p: options.p, dim });
    this.numRelationSlots = options.reciprocal ? 2 * r : r;
    const we = this.scorer.entityWidth(dim);
    const wr = this.scorer.relationWidth(dim);
    const draw = (size: number) => {
      if (
        (options.init ??
          (options.scorer === 'transe' || options.scorer === 'rotate' ? 'uniform' : 'normal')) ===
        'uniform'
      ) {
        const bound = options.initScale ?? (gamma + 2) / dim;
        return rng.uniformArray(size, -bound, bound);
      }
      return rng.normalArray(size, 0, options.initScale ?? 1e-3);
    };
    this.entity = this.addParameter('entity_embedding', { data: draw(n * we), shape: [n, we] });
    this.relation = this.addParameter('relation_embedding', {
      data: draw(this.numRelationSlots * wr),
      shape: [this.numRelationSlots, wr],
    });
    if (options.encoder) {
      this.encoder = this.addModule('encoder', new KgEncoder(we, 2 * r, options.encoder, rng));
    }
  }

  /** Sets the graph the encoder propagates over (the training triples). */
  setGraph(train: Triples): void {
    const g = tripleGraph(train, this.options.numEntities, this.options.numRelations);
    this.#graph = { edgeIndex: g.edgeIndex, edgeType: g.edgeType };
  }

  /**
   * Entity representations `[N, w]`: the embeddings, refined by the encoder
   * if there is one. Always a new tensor handle the caller may dispose.
   */
  entities(): tf.Tensor2D {
    if (!this.encoder) return tf.clone(this.entity) as tf.Tensor2D;
    if (!this.#graph) {
      throw new ValidationError('an encoder model needs setGraph(train) before scoring', [], {
        where: 'KgModel',
      });
    }
    return this.encoder.forward(
      this.entity as tf.Tensor2D,
      this.#graph.edgeIndex,
      this.#graph.edgeType,
    );
  }

  #rows(table: tf.Tensor, ids: Int32Array): tf.Tensor2D {
    return gatherRows(table, ids) as tf.Tensor2D;
  }

  /** f(h, r, t) per triple `[B]`; pass `entities` to reuse one encoder pass. */
  score(t: Triples, entities?: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const ent = entities ?? this.entities();
      return this.scorer.score(
        this.#rows(ent, t.heads),
        this.#rows(this.relation, t.relations),
        this.#rows(ent, t.tails),
      );
    });
  }

  /** Scores of (h_b, r_b, e) for every entity e: `[B, N]`. */
  scoreTails(heads: Int32Array, relations: Int32Array, entities?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const ent = entities ?? this.entities();
      return this.scorer.scoreTails(
        this.#rows(ent, heads),
        this.#rows(this.relation, relations),
        ent,
      );
    });
  }

  /**
   * Scores of (e, r_b, t_b) for every entity e: `[B, N]` — through the
   * inverse relation when the model is reciprocal.
   */
  scoreHeads(relations: Int32Array, tails: Int32Array, entities?: tf.Tensor2D): tf.Tensor2D {
    if (this.options.reciprocal) {
      const inv = Int32Array.from(relations, (r) => r + this.options.numRelations);
      return this.scoreTails(tails, inv, entities);
    }
    return tf.tidy(() => {
      const ent = entities ?? this.entities();
      return this.scorer.scoreHeads(
        this.#rows(this.relation, relations),
        this.#rows(ent, tails),
        ent,
      );
    });
  }

  /** The factors (h, r, t) of a batch, for N3/L2 regularisation. */
  factors(t: Triples, entities: tf.Tensor2D, inverse = false): tf.Tensor2D[] {
    const rel = inverse
      ? Int32Array.from(t.relations, (r) => r + this.options.numRelations)
      : t.relations;
    const [h, tl] = inverse ? [t.tails, t.heads] : [t.heads, t.tails];
    return this.scorer.moduli(
      this.#rows(entities, h),
      this.#rows(this.relation, rel),
      this.#rows(entities, tl),
    );
  }
}
