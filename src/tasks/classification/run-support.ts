import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readCheckpointConfig, type SaveCheckpointOptions, saveCheckpoint } from '../../io/checkpoint.js';
import { buildSchedule, parseTrainerConfig, type TrainerConfig } from '../../train/config.js';
import { HeedError } from '../../util/errors.js';
import { readJson, v, validate } from '../../util/validate.js';
import { type RunConfig, runConfigSchema } from '../run-config.js';

/**
 * What the classification and language-model tasks share about a run: the training section,
 * the run config stored in a checkpoint, and writing the final checkpoint next to the JSONL log.
 * (Task-generic: a candidate for src/tasks/ once the translation task shares it too.)
 */

/** The training section: a TrainerConfig plus the batch size. */
export interface TrainingSection {
  trainer: TrainerConfig;
  /** Examples (or windows) per training step (default 32). */
  batchSize: number;
}

/**
 * Splits `batchSize` off a run config's training section and validates the rest as a
 * TrainerConfig, naming keys as they sit in the run config (`config.training.maxSteps`).
 * Periodic checkpoints may not go to `output`: the final checkpoint is written there.
 */
export function parseTrainingSection(
  section: Record<string, unknown>,
  output: string,
  source: string,
): TrainingSection {
  const { batchSize = 32, ...rest } = section;
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new HeedError(
      `${source}: config.training.batchSize must be an integer >= 1, got ${JSON.stringify(batchSize)}`,
    );
  }
  let trainer: TrainerConfig;
  try {
    trainer = parseTrainerConfig(rest, source);
  } catch (e) {
    // parseTrainerConfig names keys from its own root ("config.maxSteps").
    const root = `${source}: config`;
    if (e instanceof HeedError && e.message.startsWith(root)) {
      throw new HeedError(`${root}.training${e.message.slice(root.length)}`);
    }
    throw e;
  }
  try {
    // Building the schedule checks what its schema cannot (e.g. warmup < maxSteps) before training.
    buildSchedule(trainer.schedule, trainer.optimizer.lr, trainer.maxSteps);
  } catch (e) {
    if (e instanceof HeedError) throw new HeedError(`${source}: config.training.schedule: ${e.message}`);
    throw e;
  }
  if (trainer.checkpointDir !== undefined && resolve(trainer.checkpointDir) === resolve(output)) {
    throw new HeedError(
      `${source}: config.training.checkpointDir must differ from config.output (where the final checkpoint goes)`,
    );
  }
  return { trainer, batchSize };
}

/**
 * A model's config error as a path in the run config: `GPT: config.nLayer must be …` (from
 * `resolveGPTConfig(c, 'model')`) and `RNNLM config: unknown key 'x' (valid: vocabSize, …)`
 * (from a ConfigReader) become `config.model.nLayer must be …` and `config.model: unknown key
 * 'x' (valid: …)`, without the keys the task fills in from the data.
 */
export function modelMessage(message: string): string {
  return message
    .replace(/^model: config/, 'config.model')
    .replace(/^\w+ config: /, 'config.model: ')
    .replace(/\(valid: [^)]*\)/, (list) => list.replace(/(vocabSize|numClasses), /g, ''));
}

/** The JSONL training log: training.logFile, else log.jsonl in the output directory. */
export function logFileOf(trainer: TrainerConfig, output: string): string {
  return trainer.logFile ?? join(output, 'log.jsonl');
}

/** Removes the log a previous run left at the default place (the trainer appends to a log). */
export function startLog(trainer: TrainerConfig, output: string): string {
  const path = logFileOf(trainer, output);
  if (trainer.logFile === undefined) rmSync(path, { force: true });
  return path;
}

/** The run config as a checkpoint stores it (config.json's `config`): the file's keys, no source. */
export function storedRunConfig(config: RunConfig): Record<string, unknown> {
  const { source: _source, ...rest } = config;
  return rest;
}

/** The run config stored in a checkpoint of `kind`. */
export function readStoredRunConfig(dir: string, kind: string): RunConfig {
  const c = readCheckpointConfig(dir);
  if (c.kind !== kind) {
    throw new HeedError(`checkpoint ${dir}: holds a '${c.kind || 'unknown'}' model, not a ${kind} one`);
  }
  const source = join(dir, 'config.json');
  const config = validate(runConfigSchema, c.config, source, 'config.config');
  return { ...config, name: config.name ?? dir, source };
}

/** Reads an extra JSON file of a checkpoint, with a one-line error when it is missing. */
export function readCheckpointFile(dir: string, name: string): unknown {
  const path = join(dir, name);
  if (!existsSync(path)) throw new HeedError(`checkpoint ${dir}: missing file ${name}`);
  return readJson(path);
}

/** training.json: how the checkpoint's model was trained. */
export interface TrainingSummary {
  steps: number;
  epochs: number;
  seconds: number;
  stopReason: string;
}

const summarySchema = v.object({
  steps: v.int({ min: 0 }),
  epochs: v.int({ min: 0 }),
  seconds: v.number({ min: 0 }),
  stopReason: v.string(),
});

/** A checkpoint's training.json (zeros when it has none). */
export function readTrainingSummary(dir: string): TrainingSummary {
  const path = join(dir, 'training.json');
  if (!existsSync(path)) return { steps: 0, epochs: 0, seconds: 0, stopReason: 'unknown' };
  return validate(summarySchema, readJson(path), path, 'training');
}

/**
 * Saves the final checkpoint. saveCheckpoint replaces the directory whole, so a training log
 * kept inside it is moved aside while the new directory goes into place, then moved back.
 */
export function saveFinalCheckpoint(dir: string, o: SaveCheckpointOptions, logFile: string | null): void {
  const keep = logFile !== null && dirname(resolve(logFile)) === resolve(dir) && existsSync(logFile);
  const aside = `${resolve(dir)}.log-${process.pid}`;
  if (keep) renameSync(logFile, aside);
  try {
    saveCheckpoint(dir, o);
  } finally {
    if (keep) renameSync(aside, logFile);
  }
}
