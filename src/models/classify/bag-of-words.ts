import type { InitOptions } from '../../nn/init.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { fromArray } from '../../ops/creation.js';
import type { Indices } from '../../ops/indexing.js';
import { crossEntropy } from '../../ops/loss.js';
import type { DType, Tensor } from '../../tensor/tensor.js';
import { HeedError } from '../../util/errors.js';
import { ConfigReader } from './config-reader.js';
import { argmaxRows, evaluate } from './predict.js';

/**
 * Bag-of-words baselines for the attentive classifier: what word order and attention buy over
 * counting words. Both read plain token-id sequences (no padding) and a vocabulary size.
 */

/** Token-id sequences, one per example. */
export type Sequences = readonly (readonly number[])[];

/** Word counts [N, V], row-major (float64: exact for any realistic count). */
export function countMatrix(seqs: Sequences, vocabSize: number, op = 'countMatrix'): Float64Array {
  const counts = new Float64Array(seqs.length * vocabSize);
  seqs.forEach((seq, n) => {
    for (let j = 0; j < seq.length; j++) {
      const id = seq[j];
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new HeedError(`${op}: id ${id} at sequence ${n}, position ${j} is not in [0, ${vocabSize})`);
      }
      counts[n * vocabSize + id] += 1;
    }
  });
  return counts;
}

/** How word counts become features: 'l1' (frequencies), 'l2' (unit length) or 'tfidf'. */
export type BowWeighting = 'l1' | 'l2' | 'tfidf';

/**
 * Inverse document frequencies, scikit-learn's smoothed form (TfidfTransformer, smooth_idf):
 *   idf(w) = ln((1 + N) / (1 + df(w))) + 1,
 * as if one extra document contained every word once, so an unseen word gets a finite idf.
 */
export function fitIdf(seqs: Sequences, vocabSize: number): Float64Array {
  const df = new Float64Array(vocabSize);
  const seen = new Uint8Array(vocabSize);
  for (const seq of seqs) {
    seen.fill(0);
    for (const id of seq) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new HeedError(`fitIdf: id ${id} is not in [0, ${vocabSize})`);
      }
      if (seen[id] === 0) df[id] += 1;
      seen[id] = 1;
    }
  }
  return df.map((d) => Math.log((1 + seqs.length) / (1 + d)) + 1);
}

/**
 * Feature vectors [N, V] from sequences:
 *   'l1':    x = counts / Σ counts                (word frequencies)
 *   'l2':    x = counts / ‖counts‖₂
 *   'tfidf': x = (counts ⊙ idf) / ‖counts ⊙ idf‖₂  (scikit-learn's TfidfVectorizer defaults)
 * An empty sequence gives a zero row.
 */
export function bowFeatures(
  seqs: Sequences,
  vocabSize: number,
  weighting: BowWeighting,
  idf: Float64Array | null = null,
): Float64Array {
  const x = countMatrix(seqs, vocabSize, 'bowFeatures');
  if (weighting === 'tfidf') {
    if (idf === null || idf.length !== vocabSize) {
      throw new HeedError(`bowFeatures: 'tfidf' needs ${vocabSize} idf weights (fit them first)`);
    }
    for (let i = 0; i < x.length; i++) x[i] *= idf[i % vocabSize];
  }
  for (let n = 0; n < seqs.length; n++) {
    const row = x.subarray(n * vocabSize, (n + 1) * vocabSize);
    let norm = 0;
    for (const v of row) norm += weighting === 'l1' ? Math.abs(v) : v * v;
    if (weighting !== 'l1') norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < row.length; i++) row[i] /= norm;
  }
  return x;
}

export interface LogisticRegressionBowConfig {
  vocabSize: number;
  /** Number of classes (≥ 2). */
  numClasses: number;
  /** Feature weighting (default 'tfidf'; call `fitIdf` on the training sequences first). */
  weighting?: BowWeighting;
}

export type ResolvedLogisticRegressionBowConfig = Required<LogisticRegressionBowConfig>;

export function resolveLogisticRegressionBowConfig(raw: unknown): ResolvedLogisticRegressionBowConfig {
  const r = new ConfigReader('LogisticRegressionBow', raw, ['vocabSize', 'numClasses', 'weighting']);
  return {
    vocabSize: r.int('vocabSize'),
    numClasses: r.int('numClasses', undefined, 2),
    weighting: r.oneOf('weighting', ['l1', 'l2', 'tfidf'] as const, 'tfidf'),
  };
}

/**
 * Multinomial logistic regression on bag-of-words vectors: logits = W·x + b, one Linear(V, C)
 * (`linear.weight`, `linear.bias`). It is a Module like every heed model, so it trains with the
 * same pieces — `loss()` is the cross-entropy of `forward()`, and any optimizer steps
 * `parameters()` — and without regularisation (add weight decay in the optimizer for L2).
 *
 * With 'tfidf' weighting the idf weights are statistics of the training set, not parameters:
 * `fitIdf(train)` computes them into `idf`; they are not in `stateDict()`, so save `idf`
 * alongside the weights (or pass it back through the constructor).
 */
export class LogisticRegressionBow extends Module {
  readonly config: ResolvedLogisticRegressionBowConfig;
  readonly linear: Linear;
  /** Inverse document frequencies [V], for 'tfidf'; null until fitted. */
  idf: Float64Array | null;

  constructor(config: LogisticRegressionBowConfig, init?: InitOptions, idf?: ArrayLike<number>) {
    super();
    this.config = resolveLogisticRegressionBowConfig(config);
    this.linear = this.addModule(
      'linear',
      new Linear(this.config.vocabSize, this.config.numClasses, {}, init),
    );
    this.idf = idf === undefined ? null : Float64Array.from(idf);
  }

  /** Computes the idf weights from the training sequences (needed for 'tfidf'). */
  fitIdf(seqs: Sequences): this {
    this.idf = fitIdf(seqs, this.config.vocabSize);
    return this;
  }

  /** The feature matrix [N, V] in the weights' dtype. */
  features(seqs: Sequences): Tensor {
    const { vocabSize, weighting } = this.config;
    if (weighting === 'tfidf' && this.idf === null) {
      throw new HeedError(`LogisticRegressionBow: 'tfidf' weighting needs fitIdf(trainingSequences) first`);
    }
    const dtype: DType = this.linear.weight.dtype;
    return fromArray(bowFeatures(seqs, vocabSize, weighting, this.idf), [seqs.length, vocabSize], { dtype });
  }

  /** sequences (N of them) → logits [N, C]. */
  forward(seqs: Sequences): Tensor {
    return this.linear.forward(this.features(seqs));
  }

  /** Mean cross-entropy against labels [N]. */
  loss(seqs: Sequences, labels: Indices): Tensor {
    return crossEntropy(this.forward(seqs), labels);
  }

  /** The most likely class of each sequence [N]. */
  predict(seqs: Sequences): Int32Array {
    return evaluate(this, () => argmaxRows(this.forward(seqs).data, this.config.numClasses));
  }
}

export interface NaiveBayesConfig {
  vocabSize: number;
  /** Number of classes (≥ 2). */
  numClasses: number;
  /** Additive (Laplace) smoothing α (default 1). */
  alpha?: number;
}

export type ResolvedNaiveBayesConfig = Required<NaiveBayesConfig>;

export function resolveNaiveBayesConfig(raw: unknown): ResolvedNaiveBayesConfig {
  const r = new ConfigReader('MultinomialNaiveBayes', raw, ['vocabSize', 'numClasses', 'alpha']);
  return {
    vocabSize: r.int('vocabSize'),
    numClasses: r.int('numClasses', undefined, 2),
    alpha: r.positive('alpha', 1),
  };
}

/**
 * Multinomial naive Bayes (McCallum & Nigam 1998; scikit-learn's MultinomialNB), fitted in
 * closed form from counts:
 *   log P(c)     = ln(N_c / N)                              (class frequencies)
 *   log P(w | c) = ln((n_cw + α) / (Σ_w' n_cw' + α·V))      (Laplace smoothing, α = 1)
 *   predict(x)   = argmax_c  log P(c) + Σ_w count_x(w) · log P(w | c),
 * all in log space so long documents do not underflow. A class with no training example gets
 * log P(c) = −∞ and is never predicted.
 */
export class MultinomialNaiveBayes {
  readonly config: ResolvedNaiveBayesConfig;
  /** log P(c) [C]; null until fitted. */
  classLogPrior: Float64Array | null = null;
  /** log P(w | c) [C, V] row-major; null until fitted. */
  featureLogProb: Float64Array | null = null;

  constructor(config: NaiveBayesConfig) {
    this.config = resolveNaiveBayesConfig(config);
  }

  /** Counts words per class; replaces any earlier fit. */
  fit(seqs: Sequences, labels: Indices): this {
    const { vocabSize: v, numClasses: c, alpha } = this.config;
    if (labels.length !== seqs.length) {
      throw new HeedError(`MultinomialNaiveBayes.fit: ${labels.length} labels for ${seqs.length} sequences`);
    }
    const classCount = new Float64Array(c);
    const wordCount = new Float64Array(c * v); // n_cw
    seqs.forEach((seq, n) => {
      const y = labels[n];
      if (!Number.isInteger(y) || y < 0 || y >= c) {
        throw new HeedError(`MultinomialNaiveBayes.fit: label ${y} of sequence ${n} is not in [0, ${c})`);
      }
      classCount[y] += 1;
      for (const id of seq) {
        if (!Number.isInteger(id) || id < 0 || id >= v) {
          throw new HeedError(`MultinomialNaiveBayes.fit: id ${id} in sequence ${n} is not in [0, ${v})`);
        }
        wordCount[y * v + id] += 1;
      }
    });
    this.classLogPrior = classCount.map((k) => Math.log(k / seqs.length));
    const logProb = new Float64Array(c * v);
    for (let k = 0; k < c; k++) {
      let total = 0;
      for (let w = 0; w < v; w++) total += wordCount[k * v + w];
      const denom = Math.log(total + alpha * v);
      for (let w = 0; w < v; w++) logProb[k * v + w] = Math.log(wordCount[k * v + w] + alpha) - denom;
    }
    this.featureLogProb = logProb;
    return this;
  }

  /** log P(c) + Σ_w count(w)·log P(w | c) for each sequence and class: [N, C] row-major. */
  jointLogLikelihood(seqs: Sequences): Float64Array {
    const prior = this.classLogPrior;
    const logProb = this.featureLogProb;
    if (prior === null || logProb === null) throw new HeedError('MultinomialNaiveBayes: call fit() first');
    const { vocabSize: v, numClasses: c } = this.config;
    const out = new Float64Array(seqs.length * c);
    seqs.forEach((seq, n) => {
      for (let k = 0; k < c; k++) {
        let s = prior[k];
        for (const id of seq) {
          if (!Number.isInteger(id) || id < 0 || id >= v) {
            throw new HeedError(`MultinomialNaiveBayes: id ${id} in sequence ${n} is not in [0, ${v})`);
          }
          s += logProb[k * v + id];
        }
        out[n * c + k] = s;
      }
    });
    return out;
  }

  /** log P(c | x) [N, C] row-major: the joint log-likelihood normalised by log-sum-exp. */
  predictLogProba(seqs: Sequences): Float64Array {
    const c = this.config.numClasses;
    const out = this.jointLogLikelihood(seqs);
    for (let n = 0; n < seqs.length; n++) {
      const row = out.subarray(n * c, (n + 1) * c);
      const m = Math.max(...row);
      let z = 0;
      for (const x of row) z += Math.exp(x - m);
      const lse = m + Math.log(z);
      for (let k = 0; k < c; k++) row[k] -= lse;
    }
    return out;
  }

  /** The most likely class of each sequence [N] (the first on ties). */
  predict(seqs: Sequences): Int32Array {
    return argmaxRows(this.jointLogLikelihood(seqs), this.config.numClasses);
  }
}
