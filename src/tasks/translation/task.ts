import { existsSync, rmSync } from 'node:fs';
import { bucketBatches, type EncodedPair, type Seq2SeqBatch, seq2seqBatch } from '../../data/batching.js';
import { loadCheckpoint } from '../../io/checkpoint.js';
import { Trainer } from '../../train/trainer.js';
import { Generator } from '../../util/random.js';
import {
  readTrainingSummary,
  saveFinalCheckpoint,
  startLog,
  storedRunConfig,
  type TrainingSummary,
} from '../classification/run-support.js';
import type { RunConfig } from '../run-config.js';
import type { Task, TaskIO, TaskResult } from '../task.js';
import { loadTranslator, sideFiles, TRANSLATION_KIND } from './checkpoint.js';
import { parseTranslationConfig, type TranslationTraining } from './config.js';
import {
  buildTokenizer,
  buildVocab,
  type EncodedExample,
  type Example,
  encodePairs,
  LENGTH_BUCKETS,
  loadCorpus,
  readTsvExamples,
  type Side,
} from './data.js';
import { testReport, validationMetrics } from './evaluation.js';
import { buildModel, modelLabel, modelLoss, positionLimit } from './model.js';
import { Translator } from './translator.js';

/**
 * Translation with encoder–decoders: the recurrent seq2seq of seeds 001–003 (no attention, dot,
 * general or Bahdanau's additive attention), seed 004's attention-only model, and the
 * Transformer. `train` reads (or draws) the data, builds each side's tokenizer and vocabulary on
 * the training side, trains with periodic validation loss and BLEU, scores the test set (BLEU,
 * chrF, exact match, and the same by source length — Bahdanau et al.'s Fig. 2 — or by date
 * format) and writes the checkpoint (checkpoint.ts) that `heed translate`, `heed eval` and
 * `heed attend` read.
 */
export const translationTask: Task = {
  name: 'translation',
  check(config) {
    parseTranslationConfig(config);
  },
  async train(config, io) {
    return (await trainTranslator(config, io)).result;
  },
  async evaluate(checkpoint, opts, io) {
    return evaluateTranslation(checkpoint, opts.data, io);
  },
};

const count = (n: number) => n.toLocaleString('en-US');

/** One side's tokenizer and vocabulary, learned from its training text. */
function buildSide(
  spec: Parameters<typeof buildTokenizer>[0],
  vocab: Parameters<typeof buildVocab>[1],
  texts: string[],
): Side {
  const tokenizer = buildTokenizer(spec, texts);
  return {
    tokenizer,
    vocab: buildVocab(
      texts.map((t) => tokenizer.tokenize(t)),
      vocab,
    ),
  };
}

/** A fresh pass over the training pairs in batches; the shuffling draws from `gen`. */
function* batches(
  pairs: readonly EncodedPair[],
  training: TranslationTraining,
  gen: Generator,
  specials: Side['vocab'],
): IterableIterator<Seq2SeqBatch> {
  const size =
    training.maxTokens !== undefined
      ? { maxTokens: training.maxTokens }
      : { batchSize: training.batchSize ?? 64 };
  for (const b of bucketBatches(pairs, { ...size, generator: gen })) yield seq2seqBatch(b, specials);
}

/**
 * Trains the run a config describes (see translationTask), writes its checkpoint and scores the
 * test set; returns the trained translator with the result.
 */
export async function trainTranslator(
  config: RunConfig,
  io: TaskIO,
): Promise<{ translator: Translator; result: TaskResult }> {
  const setup = parseTranslationConfig(config);
  const corpus = loadCorpus(setup.data, config.seed, io);
  const src = buildSide(
    setup.data.srcTokenizer,
    setup.data.srcVocab,
    corpus.train.map((e) => e.src),
  );
  const tgt = buildSide(
    setup.data.tgtTokenizer,
    setup.data.tgtVocab,
    corpus.train.map((e) => e.tgt),
  );
  const model = buildModel(setup.model, src.vocab.size, tgt.vocab.size, config.seed);
  const translator = new Translator(config, setup, src, tgt, model);
  // bos + target must fit the positions of an attention model, as must the source.
  const limit = Math.min(
    setup.data.kind === 'tsv' ? (setup.data.maxLength ?? Infinity) : Infinity,
    positionLimit(model) - 1,
  );
  const train = encodePairs(corpus.train, src, tgt, limit);
  const valid = encodePairs(corpus.valid, src, tgt, limit);
  const why = Number.isFinite(limit) ? `empty or over ${limit} tokens` : 'empty';
  io.log(
    `${config.name}: ${count(train.pairs.length)} train pairs (${count(train.dropped)} left out: ${why}), ` +
      `${count(valid.pairs.length)} valid, ${count(corpus.test.length)} test; vocabularies ${count(src.vocab.size)} source / ${count(tgt.vocab.size)} target tokens`,
  );
  io.log(`${modelLabel(setup.model)}: ${count(model.numParameters())} parameters`);

  const { trainer: tc } = setup.training;
  const logFile = startLog(tc, config.output);
  // With early stopping the best model is kept beside the output and becomes the final one.
  const bestDir = tc.earlyStopping ? (tc.bestCheckpointDir ?? `${config.output}.best`) : undefined;
  const shuffler = new Generator(tc.seed);
  const files = sideFiles(src, tgt);
  const trainer = Trainer.fromConfig(
    { ...tc, logFile, bestCheckpointDir: bestDir },
    {
      model,
      trainBatches: () => batches(train.pairs, setup.training, shuffler, tgt.vocab),
      lossFn: (batch) => ({
        loss: modelLoss(model, batch, setup.training.labelSmoothing),
        tokens: batch.nTokens,
      }),
      evaluate: () => validationMetrics(translator, valid.pairs, corpus.valid, setup.eval),
      generators: { data: shuffler },
      modelConfig: storedRunConfig(config),
      modelKind: TRANSLATION_KIND,
      files,
    },
  );
  const r = trainer.fit();
  if (bestDir !== undefined && existsSync(bestDir)) {
    loadCheckpoint(bestDir, { model });
    io.log(`best model: step ${r.bestStep} (${tc.earlyStopping?.metric} ${r.bestMetric})`);
    if (tc.bestCheckpointDir === undefined) rmSync(bestDir, { recursive: true, force: true });
  }
  const summary: TrainingSummary = {
    steps: r.step,
    epochs: r.epoch,
    seconds: r.elapsedSeconds,
    stopReason: r.stopReason,
  };
  saveFinalCheckpoint(
    config.output,
    {
      model,
      kind: TRANSLATION_KIND,
      config: storedRunConfig(config),
      files: { ...files, 'training.json': summary },
    },
    logFile,
  );
  const test = encodePairs(corpus.test, src, tgt, positionLimit(model) - 1);
  const result = report(translator, corpus.test, test.pairs, corpus, config.output, summary);
  return { translator, result };
}

function report(
  translator: Translator,
  examples: readonly Example[],
  pairs: readonly EncodedExample[],
  groups: { groupTitle: string; groupOrder: readonly string[] },
  checkpoint: string,
  summary: TrainingSummary,
): TaskResult {
  const { metrics, tables } = testReport(translator, examples, pairs, {
    title: groups.groupTitle,
    order: groups.groupOrder,
  });
  return {
    name: translator.config.name,
    task: 'translation',
    model: modelLabel(translator.setup.model),
    metrics,
    tables,
    parameters: translator.model.numParameters(),
    trainSeconds: summary.seconds,
    checkpoint,
  };
}

/** Scores a checkpoint on a parallel TSV, or on the test data of its run config. */
async function evaluateTranslation(
  checkpoint: string,
  data: string | undefined,
  io: TaskIO,
): Promise<TaskResult> {
  const translator = loadTranslator(checkpoint);
  const { config, setup, src, tgt, model } = translator;
  let examples: Example[];
  let groups = { groupTitle: 'source words', groupOrder: LENGTH_BUCKETS as readonly string[] };
  if (data !== undefined) {
    const columns = setup.data.kind === 'tsv' ? setup.data : { srcColumn: 0, tgtColumn: 1 };
    examples = readTsvExamples(data, columns, io);
  } else if (setup.data.kind === 'tsv') {
    examples = readTsvExamples(setup.data.test, setup.data, io);
  } else {
    const corpus = loadCorpus(setup.data, config.seed, io);
    examples = corpus.test;
    groups = corpus;
  }
  io.log(
    `${config.name}: scoring ${count(examples.length)} sentence pairs${data === undefined ? '' : ` from ${data}`}`,
  );
  const pairs = encodePairs(examples, src, tgt, positionLimit(model) - 1).pairs;
  return report(translator, examples, pairs, groups, checkpoint, readTrainingSummary(checkpoint));
}
