import { AttentionPooling } from '../../nn/attention/pooling.js';
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import type { InitOptions } from '../../nn/init.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { GRU } from '../../nn/rnn/rnn.js';
import { unbind } from '../../nn/rnn/split.js';
import type { Indices } from '../../ops/indexing.js';
import { crossEntropy } from '../../ops/loss.js';
import { concat } from '../../ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, ShapeError } from '../../util/errors.js';
import { ConfigReader } from './config-reader.js';
import { argmaxRows, evaluate } from './predict.js';

/** Options of {@link AttentiveClassifier}; JSON, validated by {@link resolveAttentiveClassifierConfig}. */
export interface AttentiveClassifierConfig {
  /** Size of the token vocabulary. */
  vocabSize: number;
  /** Number of classes (≥ 2). */
  numClasses: number;
  /** Width of the token embeddings (default 64). */
  embedDim?: number;
  /** Hidden size of each GRU direction, H (default 64); the outputs are 2H wide. */
  hiddenSize?: number;
  /** Stacked bidirectional GRU layers (default 1). */
  numLayers?: number;
  /** Dropout before the output layer, and between GRU layers (default 0.2). */
  dropout?: number;
  /** The padding id: its embedding row stays zero (default 0). */
  padId?: number;
}

export type ResolvedAttentiveClassifierConfig = Required<AttentiveClassifierConfig>;

const configKeys = ['vocabSize', 'numClasses', 'embedDim', 'hiddenSize', 'numLayers', 'dropout', 'padId'];

/** Checks a config (unknown keys and wrong types are errors) and fills in the defaults. */
export function resolveAttentiveClassifierConfig(raw: unknown): ResolvedAttentiveClassifierConfig {
  const r = new ConfigReader('AttentiveClassifier', raw, configKeys);
  const c = {
    vocabSize: r.int('vocabSize'),
    numClasses: r.int('numClasses', undefined, 2),
    embedDim: r.int('embedDim', 64),
    hiddenSize: r.int('hiddenSize', 64),
    numLayers: r.int('numLayers', 1),
    dropout: r.rate('dropout', 0.2),
    padId: r.int('padId', 0, 0),
  };
  if (c.padId >= c.vocabSize) throw r.fail('padId', `${c.padId} is not below vocabSize ${c.vocabSize}`);
  return c;
}

/**
 * A batch of right-padded token sequences, as `padBatch` returns it: ids [B, T] row-major and
 * each row's real length (omitted: every row is T long).
 */
export interface ClassifierBatch {
  ids: Indices;
  shape: readonly number[];
  lengths?: ArrayLike<number>;
}

export interface ClassifierOutput {
  /** Unnormalised class scores [B, C]. */
  logits: Tensor;
  /** Attention-pooling weights [B, T]: sum to 1 over each row's real tokens, 0 on padding. */
  weights: Tensor;
}

/**
 * Text classification with attention over a finished RNN (seed 000, "seeing overall output
 * from RNN cells after finishing the whole process"):
 *
 *   e       = Embedding(ids)                                  [B, T, E]
 *   o, h_N  = BiGRU(e, lengths)                               [B, T, 2H], [2L, B, H]
 *   α       = softmax_t(o_t · q)    (padding masked)          [B, T]     q: Linear(2H → 1) = Q
 *   a       = Σ_t α_t o_t                                     [B, 2H]    the weighted sum = V
 *   s       = [h_N(fwd) ; h_N(rev)] of the top layer          [B, 2H]
 *   logits  = W · dropout([a ; s]) + b                        [B, C]
 *
 * The RNN outputs are the keys; the pooling layer's weight vector is the query ("how important
 * is this hidden state?"), so α says which tokens the decision rests on — `weights` is returned
 * for the attention explorer to shade each token.
 *
 * "The original output vector" the seed concatenates is, here, the RNN's summary of the whole
 * sequence: the forward direction's state after each row's last real token together with the
 * reverse direction's state after reading back to the first token (the top layer's h_N). Both
 * depend only on the real tokens, so padding cannot change the prediction. (The last time step's
 * output o_{T−1} would not do: for a padded row it is zero, and its reverse half has seen one
 * token only.)
 */
export class AttentiveClassifier extends Module {
  readonly config: ResolvedAttentiveClassifierConfig;
  readonly embedding: Embedding;
  readonly rnn: GRU;
  readonly pooling: AttentionPooling;
  readonly dropout: Dropout;
  readonly classifier: Linear;

  constructor(config: AttentiveClassifierConfig, init?: InitOptions) {
    super();
    const c = resolveAttentiveClassifierConfig(config);
    this.config = c;
    const h2 = 2 * c.hiddenSize;
    this.embedding = this.addModule(
      'embedding',
      new Embedding(c.vocabSize, c.embedDim, { paddingIdx: c.padId }, init),
    );
    this.rnn = this.addModule(
      'rnn',
      new GRU(
        {
          inputSize: c.embedDim,
          hiddenSize: c.hiddenSize,
          numLayers: c.numLayers,
          bidirectional: true,
          dropout: c.numLayers > 1 ? c.dropout : 0,
        },
        init,
      ),
    );
    this.pooling = this.addModule('pooling', new AttentionPooling(h2, init));
    this.dropout = this.addModule('dropout', new Dropout(c.dropout));
    this.classifier = this.addModule('classifier', new Linear(2 * h2, c.numClasses, {}, init));
  }

  /** batch ids [B, T] (right-padded, with lengths) → { logits [B, C], weights [B, T] }. */
  forward(batch: ClassifierBatch): ClassifierOutput {
    const { shape, lengths } = batch;
    if (shape.length !== 2 || batch.ids.length !== shape[0] * shape[1]) {
      throw new ShapeError(
        `AttentiveClassifier: ${batch.ids.length} ids with shape ${fmtShape(shape)}, expected [B, T] filled`,
      );
    }
    const e = this.embedding.forward(batch.ids, shape); // [B, T, E]
    const { output, hN } = this.rnn.forward(e, { lengths }); // [B, T, 2H], [2L, B, H]
    const { context, weights } = this.pooling.forward(output, lengths); // [B, 2H], [B, T]
    const states = unbind(hN, 0); // 2L × [B, H]; the top layer's are the last two
    const summary = concat(states.slice(-2), 1); // [B, 2H] = [forward | reverse]
    const features = this.dropout.forward(concat([context, summary], 1)); // [B, 4H]
    return { logits: this.classifier.forward(features), weights };
  }

  /** Mean cross-entropy of the batch against its labels [B]. */
  loss(batch: ClassifierBatch, labels: Indices): Tensor {
    return crossEntropy(this.forward(batch).logits, labels);
  }

  /**
   * The most likely class of each row [B], in evaluation mode (dropout off) without building a
   * graph; the module's training mode is restored afterwards.
   */
  predict(batch: ClassifierBatch): Int32Array {
    return evaluate(this, () => argmaxRows(this.forward(batch).logits.data, this.config.numClasses));
  }
}
