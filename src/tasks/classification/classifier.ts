import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tokenizerFromJSON } from '../../data/tokenizers/index.js';
import type { Tokenizer } from '../../data/tokenizers/tokenizer.js';
import { Vocab } from '../../data/vocab.js';
import { loadCheckpoint } from '../../io/checkpoint.js';
import { Generator } from '../../util/random.js';
import { readJson, v, validate } from '../../util/validate.js';
import type { RunConfig } from '../run-config.js';
import { type ClassificationSetup, parseClassificationConfig } from './config.js';
import { type EncodedText, encodeTokens, tokenizeText } from './data.js';
import { buildClassifier, type ClassifierScores, type TextClassifierModel } from './models.js';
import { readCheckpointFile, readStoredRunConfig } from './run-support.js';

/** What `classify` says about one text. */
export interface Classification {
  /** The most likely label. */
  label: string;
  /** P(label | text) for every label. */
  probabilities: Record<string, number>;
  /** The tokens the model read (after truncation to data.maxLength). */
  tokens: string[];
  /** The attention-pooling weight of each token (attentive classifier); null for the baselines. */
  weights: number[] | null;
}

/** The label set of a classification checkpoint (labels.json). */
const labelsSchema = v.object({
  labels: v.array(v.string({ nonEmpty: true }), { minLength: 2 }),
  positiveLabel: v.withDefault(v.json(), null),
});

/**
 * A trained text classifier with everything it needs to read raw text: tokenizer, vocabulary,
 * label names and the model. Made by the task after training, or by `loadClassifier` from a
 * checkpoint; both predict identically.
 */
export class TextClassifier {
  constructor(
    /** The run config the model was trained from. */
    readonly config: RunConfig,
    readonly setup: ClassificationSetup,
    readonly tokenizer: Tokenizer,
    readonly vocab: Vocab,
    /** Class names: index = class id. */
    readonly labels: readonly string[],
    /** The class precision/recall/F1 are reported for, or null (more than two classes). */
    readonly positiveLabel: string | null,
    readonly model: TextClassifierModel,
  ) {}

  /** A text's tokens, as the model reads them (truncated to data.maxLength). */
  tokenize(text: string): string[] {
    return tokenizeText(text, this.tokenizer, this.setup.data.maxLength);
  }

  /** A text as the model reads it: tokens and ids. */
  encode(text: string): EncodedText {
    return encodeTokens(this.tokenize(text), this.vocab);
  }

  /** Class probabilities (and attention) for encoded texts. */
  score(seqs: readonly (readonly number[])[]): ClassifierScores {
    return this.model.score(seqs, this.setup.eval.batchSize);
  }

  /** The most likely label of each row of probabilities [N, C]. */
  argmaxLabels(probabilities: Float64Array): string[] {
    const c = this.labels.length;
    const out: string[] = [];
    for (let r = 0; r < probabilities.length / c; r++) {
      let best = 0;
      for (let k = 1; k < c; k++) if (probabilities[r * c + k] > probabilities[r * c + best]) best = k;
      out.push(this.labels[best]);
    }
    return out;
  }

  /** Classifies raw texts. */
  classify(texts: readonly string[]): Classification[] {
    const encoded = texts.map((t) => this.encode(t));
    const { probabilities, weights } = this.score(encoded.map((e) => e.ids));
    const c = this.labels.length;
    const predicted = this.argmaxLabels(probabilities);
    return encoded.map((e, i) => ({
      label: predicted[i],
      probabilities: Object.fromEntries(this.labels.map((l, k) => [l, probabilities[i * c + k]])),
      tokens: e.tokens,
      weights: weights === null ? null : Array.from(weights[i]),
    }));
  }
}

/** Loads a classification checkpoint written by the classification task. */
export function loadClassifier(dir: string): TextClassifier {
  const config = readStoredRunConfig(dir, 'classification');
  const setup = parseClassificationConfig(config, { checkFiles: false });
  const tokenizer = tokenizerFromJSON(readCheckpointFile(dir, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  const vocab = Vocab.fromJSON(readCheckpointFile(dir, 'vocab.json'), join(dir, 'vocab.json'));
  const stored = validate(
    labelsSchema,
    readCheckpointFile(dir, 'labels.json'),
    join(dir, 'labels.json'),
    'labels',
  );
  const positive = typeof stored.positiveLabel === 'string' ? stored.positiveLabel : null;
  const idfPath = join(dir, 'idf.json');
  const files = existsSync(idfPath) ? { 'idf.json': readJson(idfPath) } : {};
  const model = buildClassifier(
    setup.model.kind,
    setup.model.options,
    vocab.size,
    stored.labels.length,
    // A private stream (the weights are overwritten), so loading leaves the default generator alone.
    { generator: new Generator(0) },
    files,
  );
  loadCheckpoint(dir, { model: model.module });
  return new TextClassifier(config, setup, tokenizer, vocab, stored.labels, positive, model);
}

/** What the `attend` verb draws for a classifier: each token shaded by its pooling weight. */
export interface ClassificationAttention {
  tokens: string[];
  /** One weight per token (summing to 1); null for a model without attention. */
  weights: number[] | null;
  label: string;
  title: string;
}

/** The attention-pooling weights of a checkpoint's classifier over one text. */
export function classificationAttention(dir: string, text: string): ClassificationAttention {
  const classifier = loadClassifier(dir);
  const [c] = classifier.classify([text]);
  const p = c.probabilities[c.label];
  const title =
    c.weights === null
      ? `${classifier.model.kind} classifier`
      : `attention pooling of ${classifier.config.name}: ${c.label} (p = ${p.toFixed(3)})`;
  return { tokens: c.tokens, weights: c.weights, label: c.label, title };
}
