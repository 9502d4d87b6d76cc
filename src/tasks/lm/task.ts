import { perplexityFromMeanNll } from '../../metrics/perplexity.js';
import { evaluate } from '../../models/classify/predict.js';
import { type LogRecord, Trainer } from '../../train/trainer.js';
import { HeedError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import {
  readTrainingSummary,
  saveFinalCheckpoint,
  startLog,
  storedRunConfig,
  type TrainingSummary,
} from '../classification/run-support.js';
import type { RunConfig } from '../run-config.js';
import type { ResultTable, Task, TaskIO, TaskResult } from '../task.js';
import { parseLMConfig } from './config.js';
import { loadCorpus, randomWindows, readText, type Windows } from './corpus.js';
import { LanguageModel, loadLanguageModel } from './language-model.js';
import { buildLanguageModel } from './models.js';

/**
 * Language modelling on one text, as nanoGPT's shakespeare_char: the last part of the token
 * stream is held out, training draws random windows of blockSize + 1 tokens, the validation loss
 * is the mean over `evalBatches` batches of fixed random validation windows (the same ones at
 * every evaluation, and again when a checkpoint is evaluated), and the run ends with the
 * validation loss, its perplexity and a sample. The checkpoint (kind 'lm') holds the model,
 * tokenizer.json, vocab.json, training.json and the JSONL log.
 */
export const lmTask: Task = {
  name: 'lm',
  check(config) {
    parseLMConfig(config);
  },
  async train(config, io) {
    return trainLanguageModel(config, io).result;
  },
  async evaluate(checkpoint, opts, io) {
    return evaluateLM(checkpoint, opts.data, io);
  },
};

/**
 * The fixed validation windows of a run: `batches` batches of `rows` windows drawn from a
 * generator seeded by the run's seed, so every evaluation (during training or of the
 * checkpoint later) averages over the same text.
 */
function validationWindows(
  ids: Int32Array,
  batches: number,
  rows: number,
  blockSize: number,
  seed: number,
): Windows[] {
  const gen = new Generator(seed);
  return Array.from({ length: batches }, () => randomWindows(ids, rows, blockSize, gen));
}

/** Mean cross-entropy over the windows (each batch the same size, so also the mean per token). */
function meanLoss(lm: LanguageModel, windows: readonly Windows[]): number {
  return evaluate(lm.net.module, () => {
    let total = 0;
    for (const w of windows) total += lm.net.loss(w.x, w.y, w.shape).item();
    return total / windows.length;
  });
}

/** The end-of-run sample, as a table (prompt and continuation, line by line) and a log line. */
function sample(lm: LanguageModel, seed: number, io: TaskIO): ResultTable[] {
  const e = lm.setup.eval;
  if (e.sampleTokens === 0) return [];
  const g = lm.generate(e.prompt, {
    maxTokens: e.sampleTokens,
    temperature: e.temperature,
    topK: e.topK,
    topP: e.topP,
    seed,
  });
  io.log(`sample (temperature ${e.temperature}, seed ${seed}):\n${g.text}`);
  // One row per line, so the table prints as text and `compare` sets runs' samples side by side.
  const lines = g.text.replace(/^\n+/, '').split('\n');
  return [
    {
      title: `sample (prompt ${JSON.stringify(e.prompt)}, temperature ${e.temperature}, seed ${seed})`,
      columns: ['line', 'text'],
      rows: lines.map((line, i) => [i + 1, line]),
    },
  ];
}

function result(
  lm: LanguageModel,
  validLoss: number,
  tables: ResultTable[],
  checkpoint: string,
  summary: TrainingSummary,
): TaskResult {
  return {
    name: lm.config.name,
    task: 'lm',
    model: lm.net.kind,
    metrics: { valid_loss: validLoss, perplexity: perplexityFromMeanNll(validLoss) },
    tables,
    parameters: lm.net.module.numParameters(),
    trainSeconds: summary.seconds,
    checkpoint,
  };
}

/** Trains the language model a run config describes; the task's `train`, with the model kept. */
export function trainLanguageModel(config: RunConfig, io: TaskIO): { lm: LanguageModel; result: TaskResult } {
  const setup = parseLMConfig(config);
  const { data, training } = setup;
  const corpus = loadCorpus(data);
  const net = buildLanguageModel(setup.model.kind, setup.model.options, corpus.vocab.size, data.blockSize, {
    generator: new Generator(config.seed),
  });
  const lm = new LanguageModel(config, setup, corpus.tokenizer, corpus.vocab, net);
  io.log(
    `${config.name}: ${corpus.train.length} training / ${corpus.valid.length} validation tokens, ` +
      `vocabulary ${corpus.vocab.size}, ${net.kind} with ${net.module.numParameters()} parameters`,
  );
  const { trainer: tc, batchSize } = training;
  const blockSize = data.blockSize;
  const valid = validationWindows(corpus.valid, setup.eval.evalBatches, batchSize, blockSize, config.seed);
  // An "epoch" is as many windows as the training text has tokens, so maxEpochs means a pass.
  const perEpoch = Math.max(1, Math.floor(corpus.train.length / (batchSize * blockSize)));
  // Windows are drawn lazily from a stream only trainBatches uses, which the trainer
  // checkpoints: a resumed run draws the same windows (see TrainerParts.trainBatches).
  const windows = new Generator(tc.seed);
  const logFile = startLog(tc, config.output);
  let lastEval: number | null = null;
  const files = {
    'tokenizer.json': corpus.tokenizer.toJSON(),
    'vocab.json': corpus.vocab.toJSON(),
  };
  const trainer = Trainer.fromConfig(
    { ...tc, logFile },
    {
      model: net.module,
      trainBatches: function* () {
        for (let i = 0; i < perEpoch; i++) yield randomWindows(corpus.train, batchSize, blockSize, windows);
      },
      lossFn: (w) => ({ loss: net.loss(w.x, w.y, w.shape), tokens: w.x.length }),
      evaluate: () => ({ valid_loss: meanLoss(lm, valid) }),
      generators: { data: windows },
      modelConfig: storedRunConfig(config),
      modelKind: 'lm',
      files,
      onLog: (r: LogRecord) => {
        if (r.type === 'eval') lastEval = r.metrics.valid_loss;
      },
    },
  );
  const r = trainer.fit();
  const summary = { steps: r.step, epochs: r.epoch, seconds: r.elapsedSeconds, stopReason: r.stopReason };
  // The trainer evaluates after the last step; its number is the final validation loss.
  const validLoss = lastEval ?? meanLoss(lm, valid);
  io.log(
    `validation loss ${validLoss.toFixed(4)} (perplexity ${Math.exp(validLoss).toFixed(2)}) after ${r.step} steps`,
  );
  const tables = sample(lm, config.seed, io);
  saveFinalCheckpoint(
    config.output,
    {
      model: net.module,
      kind: 'lm',
      config: storedRunConfig(config),
      files: { ...files, 'training.json': summary },
    },
    logFile,
  );
  io.log(`checkpoint: ${config.output}`);
  return { lm, result: result(lm, validLoss, tables, config.output, summary) };
}

async function evaluateLM(checkpoint: string, data: string | undefined, io: TaskIO): Promise<TaskResult> {
  const lm = loadLanguageModel(checkpoint);
  const { blockSize } = lm.setup.data;
  let ids: Int32Array;
  if (data !== undefined) {
    ids = Int32Array.from(lm.encode(readText(data), data));
    if (ids.length < blockSize + 1) {
      throw new HeedError(`${data}: ${ids.length} tokens, fewer than blockSize + 1 = ${blockSize + 1}`);
    }
  } else {
    ids = loadCorpus(lm.setup.data).valid;
  }
  io.log(
    `${lm.config.name}: evaluating on ${ids.length} tokens${data ? ` of ${data}` : ' (validation part)'}`,
  );
  const windows = validationWindows(
    ids,
    lm.setup.eval.evalBatches,
    lm.setup.training.batchSize,
    blockSize,
    lm.config.seed,
  );
  const validLoss = meanLoss(lm, windows);
  return result(lm, validLoss, sample(lm, lm.config.seed, io), checkpoint, readTrainingSummary(checkpoint));
}
