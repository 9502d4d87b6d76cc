import { padBatch } from '../../data/batching.js';
import { AttentiveClassifier } from '../../models/classify/attentive-classifier.js';
import {
  LogisticRegressionBow,
  MultinomialNaiveBayes,
  type Sequences,
} from '../../models/classify/bag-of-words.js';
import { evaluate } from '../../models/classify/predict.js';
import type { InitOptions } from '../../nn/init.js';
import { Module } from '../../nn/module.js';
import { Parameter } from '../../nn/parameter.js';
import type { Tensor } from '../../tensor/tensor.js';
import { HeedError } from '../../util/errors.js';
import type { ClassifierKind } from './config.js';

/**
 * The three classifiers behind one interface, so training, evaluation, checkpoints and the
 * `classify` verb do not care which one they hold: the attentive classifier (seed 000: a
 * bidirectional GRU read through attention pooling), and the two bag-of-words baselines.
 */

/** What a classifier says about N texts. */
export interface ClassifierScores {
  /** P(class | text) [N, C], row-major. */
  probabilities: Float64Array;
  /** Per text, the attention-pooling weight of each of its tokens; null for the baselines. */
  weights: Float32Array[] | null;
}

export interface TextClassifierModel {
  readonly kind: ClassifierKind;
  /** The module the checkpoint's model.safetensors holds. */
  readonly module: Module;
  /** The module a Trainer optimises; null when the model is fitted in closed form. */
  readonly trainable: Module | null;
  /** Extra JSON files the checkpoint needs besides the weights (e.g. idf weights). */
  files(): Record<string, unknown>;
  /** Mean cross-entropy of a training batch (trainable models). */
  loss(seqs: Sequences, labels: Int32Array): Tensor;
  /**
   * Fits what is fitted in closed form from the training texts: naive Bayes' tables, logistic
   * regression's idf weights; nothing for the attentive classifier. Called before training.
   */
  fit(seqs: Sequences, labels: Int32Array): void;
  /** Class probabilities (and attention) for token-id sequences, `batchSize` texts at a time. */
  score(seqs: Sequences, batchSize: number): ClassifierScores;
}

/** Builds a classifier of `kind` from the model section's options; vocabSize and numClasses from the data. */
export function buildClassifier(
  kind: ClassifierKind,
  options: Record<string, unknown>,
  vocabSize: number,
  numClasses: number,
  init?: InitOptions,
  files: Record<string, unknown> = {},
): TextClassifierModel {
  const config = { ...options, vocabSize, numClasses };
  switch (kind) {
    case 'attentive-classifier':
      return new AttentiveModel(new AttentiveClassifier(config, init));
    case 'bow-logreg':
      return new LogRegModel(new LogisticRegressionBow(config, init, readIdf(files['idf.json'], vocabSize)));
    case 'naive-bayes':
      return new NaiveBayesModel(new MultinomialNaiveBayes(config));
  }
}

/** Row-wise softmax of logits [N, C] in float64. */
function softmaxRows(logits: ArrayLike<number>, cols: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let r = 0; r < logits.length / cols; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, logits[r * cols + c]);
    let z = 0;
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = Math.exp(logits[r * cols + c] - max);
      z += out[r * cols + c];
    }
    for (let c = 0; c < cols; c++) out[r * cols + c] /= z;
  }
  return out;
}

/**
 * Runs `fn` over `batchSize` texts at a time, taken in `order` (indices into the inputs), and
 * puts each result row back at its text's index.
 */
function inChunks(
  order: readonly number[],
  batchSize: number,
  cols: number,
  fn: (ids: number[]) => { probabilities: Float64Array; weights?: Float32Array[] },
): ClassifierScores {
  const probabilities = new Float64Array(order.length * cols);
  const weights: Float32Array[] = new Array(order.length);
  let hasWeights = false;
  for (let start = 0; start < order.length; start += batchSize) {
    const chunk = order.slice(start, start + batchSize);
    const r = fn(chunk);
    chunk.forEach((i, k) => {
      probabilities.set(r.probabilities.subarray(k * cols, (k + 1) * cols), i * cols);
      if (r.weights) {
        weights[i] = r.weights[k];
        hasWeights = true;
      }
    });
  }
  return { probabilities, weights: hasWeights ? weights : null };
}

class AttentiveModel implements TextClassifierModel {
  readonly kind = 'attentive-classifier';
  readonly trainable: Module;

  constructor(readonly module: AttentiveClassifier) {
    this.trainable = module;
  }

  files(): Record<string, unknown> {
    return {};
  }

  loss(seqs: Sequences, labels: Int32Array): Tensor {
    const { ids, shape, lengths } = padBatch(seqs, this.module.config.padId);
    return this.module.loss({ ids, shape, lengths }, labels);
  }

  fit(): void {}

  score(seqs: Sequences, batchSize: number): ClassifierScores {
    const c = this.module.config.numClasses;
    // Sorted by length so a batch holds texts of similar length and little padding.
    const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
    return inChunks(order, batchSize, c, (rows) =>
      evaluate(this.module, () => {
        const batch = padBatch(
          rows.map((i) => seqs[i]),
          this.module.config.padId,
        );
        const { logits, weights } = this.module.forward(batch); // [B, C], [B, T]
        const t = batch.shape[1];
        return {
          probabilities: softmaxRows(logits.data, c),
          weights: rows.map((_, k) =>
            Float32Array.from(weights.data.subarray(k * t, k * t + batch.lengths[k])),
          ),
        };
      }),
    );
  }
}

class LogRegModel implements TextClassifierModel {
  readonly kind = 'bow-logreg';
  readonly trainable: Module;

  constructor(readonly module: LogisticRegressionBow) {
    this.trainable = module;
  }

  files(): Record<string, unknown> {
    return this.module.idf === null ? {} : { 'idf.json': Array.from(this.module.idf) };
  }

  loss(seqs: Sequences, labels: Int32Array): Tensor {
    return this.module.loss(seqs, labels);
  }

  fit(seqs: Sequences): void {
    if (this.module.config.weighting === 'tfidf') this.module.fitIdf(seqs);
  }

  score(seqs: Sequences, batchSize: number): ClassifierScores {
    const c = this.module.config.numClasses;
    return inChunks(
      seqs.map((_, i) => i),
      batchSize,
      c,
      (rows) => ({
        probabilities: evaluate(this.module, () =>
          softmaxRows(this.module.forward(rows.map((i) => seqs[i])).data, c),
        ),
      }),
    );
  }
}

/**
 * Naive Bayes' fitted tables as a Module, so they are saved in model.safetensors like any
 * model's weights (float64, so a reloaded model predicts exactly as the fitted one).
 */
class NaiveBayesTables extends Module {
  readonly classLogPrior: Parameter;
  readonly featureLogProb: Parameter;
  readonly prior: Float64Array;
  readonly logProb: Float64Array;

  constructor(numClasses: number, vocabSize: number) {
    super();
    this.prior = new Float64Array(numClasses);
    this.logProb = new Float64Array(numClasses * vocabSize);
    this.classLogPrior = this.addParameter('class_log_prior', new Parameter(this.prior, [numClasses]));
    this.featureLogProb = this.addParameter(
      'feature_log_prob',
      new Parameter(this.logProb, [numClasses, vocabSize]),
    );
  }
}

class NaiveBayesModel implements TextClassifierModel {
  readonly kind = 'naive-bayes';
  readonly trainable = null;
  readonly module: NaiveBayesTables;

  constructor(readonly nb: MultinomialNaiveBayes) {
    this.module = new NaiveBayesTables(nb.config.numClasses, nb.config.vocabSize);
    // The classifier reads the tables' arrays, so loading a checkpoint into the module fits it.
    nb.classLogPrior = this.module.prior;
    nb.featureLogProb = this.module.logProb;
  }

  files(): Record<string, unknown> {
    return {};
  }

  loss(): Tensor {
    throw new HeedError('naive Bayes is fitted in closed form; it has no training loss');
  }

  fit(seqs: Sequences, labels: Int32Array): void {
    this.nb.fit(seqs, labels);
    this.module.prior.set(this.nb.classLogPrior ?? []);
    this.module.logProb.set(this.nb.featureLogProb ?? []);
    this.nb.classLogPrior = this.module.prior;
    this.nb.featureLogProb = this.module.logProb;
  }

  score(seqs: Sequences): ClassifierScores {
    const logp = this.nb.predictLogProba(seqs);
    return { probabilities: logp.map(Math.exp), weights: null };
  }
}

function readIdf(json: unknown, vocabSize: number): number[] | undefined {
  if (json === undefined) return undefined;
  if (
    !Array.isArray(json) ||
    json.length !== vocabSize ||
    !json.every((x): x is number => typeof x === 'number')
  ) {
    throw new HeedError(`idf.json must be an array of ${vocabSize} numbers`);
  }
  return json;
}
