import { bucketBatches } from '../../data/batching.js';
import { formatProblem, type LabelledExample } from '../../data/loaders.js';
import { Trainer } from '../../train/trainer.js';
import { HeedError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import type { RunConfig } from '../run-config.js';
import type { Task, TaskIO, TaskResult } from '../task.js';
import { loadClassifier, TextClassifier } from './classifier.js';
import { type ClassificationSetup, parseClassificationConfig } from './config.js';
import { buildTokenizer, buildVocab, encodeTokens, loadSplits, readExamples, tokenizeText } from './data.js';
import { classificationReport, meanNll } from './metrics.js';
import { buildClassifier } from './models.js';
import {
  readTrainingSummary,
  saveFinalCheckpoint,
  startLog,
  storedRunConfig,
  type TrainingSummary,
} from './run-support.js';

/**
 * Text classification (seed 000's second use of attention: pooling a finished RNN's outputs),
 * with the bag-of-words baselines it is measured against. `train` splits and tokenizes the
 * data, builds the vocabulary from the training texts, trains (or fits) the model with
 * periodic validation accuracy/F1, scores the test texts and writes the checkpoint:
 *
 *   config.json   kind 'classification', the full run config
 *   model.safetensors, tokenizer.json, vocab.json, labels.json (+ idf.json for tf-idf features)
 *   training.json steps, epochs, seconds;   log.jsonl  the trainer's JSONL log
 */
export const classificationTask: Task = {
  name: 'classification',
  check(config) {
    parseClassificationConfig(config);
  },
  async train(config, io) {
    return trainClassifier(config, io).result;
  },
  async evaluate(checkpoint, opts, io) {
    return evaluateClassifier(checkpoint, opts.data, io);
  },
};

/** Labelled examples as the model reads them: token ids and class ids. */
interface EncodedSet {
  seqs: number[][];
  labels: Int32Array;
}

/** Encodes labelled examples (tokenized already, when `tokenized` is given). */
function encodeSet(
  classifier: TextClassifier,
  examples: readonly LabelledExample[],
  what: string,
  tokenized?: readonly string[][],
): EncodedSet {
  const index = new Map(classifier.labels.map((l, i) => [l, i]));
  const labels = new Int32Array(examples.length);
  examples.forEach((e, i) => {
    const id = index.get(e.label);
    if (id === undefined) {
      throw new HeedError(
        `${what}: label '${e.label}' is not one the model knows (${classifier.labels.join(', ')})`,
      );
    }
    labels[i] = id;
  });
  const tokens = tokenized ?? examples.map((e) => classifier.tokenize(e.text));
  return { seqs: tokens.map((t) => encodeTokens(t, classifier.vocab).ids), labels };
}

/** The positive label: as configured, else the second of two sorted labels; null for more classes. */
function positiveLabelOf(
  setup: ClassificationSetup,
  labels: readonly string[],
  source: string,
): string | null {
  const given = setup.data.positiveLabel;
  if (given !== undefined) {
    if (!labels.includes(given)) {
      throw new HeedError(
        `${source}: config.data.positiveLabel '${given}' is not one of the labels (${labels.join(', ')})`,
      );
    }
    if (labels.length > 2) {
      throw new HeedError(
        `${source}: config.data.positiveLabel needs two labels, the data has ${labels.length}`,
      );
    }
    return given;
  }
  return labels.length === 2 ? labels[1] : null;
}

/** Accuracy, loss and F1 of a classifier on an encoded set, under a metric-name prefix. */
function scoreSet(classifier: TextClassifier, set: EncodedSet, prefix: string): Record<string, number> {
  const { probabilities } = classifier.score(set.seqs);
  const yPred = classifier.argmaxLabels(probabilities);
  const yTrue = Array.from(set.labels, (i) => classifier.labels[i]);
  const r = classificationReport(yTrue, yPred, classifier.labels, classifier.positiveLabel);
  return {
    [`${prefix}loss`]: meanNll(probabilities, set.labels, classifier.labels.length),
    [`${prefix}accuracy`]: r.metrics.accuracy,
    [`${prefix}f1`]: r.metrics.f1 ?? r.metrics.macro_f1,
  };
}

/** Trains (or fits) the classifier a run config describes; the task's `train`, with the model kept. */
export function trainClassifier(
  config: RunConfig,
  io: TaskIO,
): { classifier: TextClassifier; result: TaskResult } {
  const setup = parseClassificationConfig(config);
  const splits = loadSplits(setup.data, config.seed);
  if (splits.problems.length > 0) {
    io.log(`skipped ${splits.problems.length} malformed lines (first: ${formatProblem(splits.problems[0])})`);
  }
  const positive = positiveLabelOf(setup, splits.labels, config.source);
  const tokenizer = buildTokenizer(setup.data.tokenizer);
  const tokenize = (part: readonly LabelledExample[]) =>
    part.map((e) => tokenizeText(e.text, tokenizer, setup.data.maxLength));
  const trainTokens = tokenize(splits.train);
  const vocab = buildVocab(trainTokens, setup.data);
  const kind = setup.model.kind;
  const init = { generator: new Generator(config.seed) };
  const model = buildClassifier(kind, setup.model.options, vocab.size, splits.labels.length, init);
  const classifier = new TextClassifier(config, setup, tokenizer, vocab, splits.labels, positive, model);
  const train = encodeSet(classifier, splits.train, 'train', trainTokens);
  const valid = encodeSet(classifier, splits.valid, 'valid');
  const test = encodeSet(classifier, splits.test, 'test');
  io.log(
    `${config.name}: ${splits.train.length} train / ${splits.valid.length} valid / ${splits.test.length} test texts, ` +
      `labels ${splits.labels.join(', ')}, vocabulary ${vocab.size} tokens, ${kind} with ${model.module.numParameters()} parameters`,
  );

  const started = performance.now();
  model.fit(train.seqs, train.labels);
  let summary: TrainingSummary = { steps: 0, epochs: 0, seconds: 0, stopReason: 'closed form' };
  let logFile: string | null = null;
  const files = (): Record<string, unknown> => ({
    'tokenizer.json': tokenizer.toJSON(),
    'vocab.json': vocab.toJSON(),
    'labels.json': { labels: splits.labels, positiveLabel: positive },
    ...model.files(),
  });
  if (model.trainable !== null && setup.training !== null) {
    const { trainer: tc, batchSize } = setup.training;
    logFile = startLog(tc, config.output);
    // The shuffling stream is the trainer's to checkpoint, so a resumed run sees the same batches.
    const shuffler = new Generator(tc.seed);
    const examples = train.seqs.map((seq, i) => ({ seq, label: train.labels[i] }));
    const trainer = Trainer.fromConfig(
      { ...tc, logFile },
      {
        model: model.trainable,
        trainBatches: () =>
          bucketBatches(examples, { batchSize, generator: shuffler, sortKey: (e) => e.seq.length }),
        lossFn: (batch) => ({
          loss: model.loss(
            batch.map((e) => e.seq),
            Int32Array.from(batch, (e) => e.label),
          ),
          tokens: batch.reduce((n, e) => n + e.seq.length, 0),
        }),
        evaluate: () => scoreSet(classifier, valid, 'valid_'),
        generators: { data: shuffler },
        modelConfig: storedRunConfig(config),
        modelKind: 'classification',
        files: files(),
      },
    );
    const r = trainer.fit();
    summary = { steps: r.step, epochs: r.epoch, seconds: r.elapsedSeconds, stopReason: r.stopReason };
  } else {
    summary.seconds = (performance.now() - started) / 1000;
  }

  const result = report(classifier, test, config.name, config.output, summary);
  saveFinalCheckpoint(
    config.output,
    {
      model: model.module,
      kind: 'classification',
      config: storedRunConfig(config),
      files: { ...files(), 'training.json': summary },
    },
    logFile,
  );
  io.log(`checkpoint: ${config.output}`);
  return { classifier, result };
}

function report(
  classifier: TextClassifier,
  set: EncodedSet,
  name: string,
  checkpoint: string,
  summary: TrainingSummary,
): TaskResult {
  const { probabilities } = classifier.score(set.seqs);
  const yPred = classifier.argmaxLabels(probabilities);
  const yTrue = Array.from(set.labels, (i) => classifier.labels[i]);
  const r = classificationReport(yTrue, yPred, classifier.labels, classifier.positiveLabel);
  return {
    name,
    task: 'classification',
    model: classifier.model.kind,
    metrics: r.metrics,
    tables: r.tables,
    parameters: classifier.model.module.numParameters(),
    trainSeconds: summary.seconds,
    checkpoint,
  };
}

async function evaluateClassifier(
  checkpoint: string,
  data: string | undefined,
  io: TaskIO,
): Promise<TaskResult> {
  const classifier = loadClassifier(checkpoint);
  let examples: LabelledExample[];
  if (data !== undefined) {
    const r = readExamples(data, classifier.setup.data);
    if (r.problems.length > 0) io.log(`skipped ${r.problems.length} malformed lines of ${data}`);
    examples = r.examples;
  } else {
    examples = loadSplits(classifier.setup.data, classifier.config.seed).test;
  }
  io.log(
    `${classifier.config.name}: evaluating on ${examples.length} texts${data ? ` of ${data}` : ' (test split)'}`,
  );
  const set = encodeSet(classifier, examples, data ?? 'test');
  return report(classifier, set, classifier.config.name, checkpoint, readTrainingSummary(checkpoint));
}
