import type { RunConfig, TaskName } from './run-config.js';

/** Where a task writes what a person reads while it runs (progress goes to stderr separately). */
export interface TaskIO {
  log(line: string): void;
}

/** A table of results, e.g. BLEU by source-length bucket. */
export interface ResultTable {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

/** What training or evaluating a run produces. */
export interface TaskResult {
  name: string;
  task: TaskName;
  /** The model kind, e.g. 'seq2seq/additive'. */
  model: string;
  /** Headline metrics on the test data (e.g. bleu, chrf, accuracy, f1, valid_loss). */
  metrics: Record<string, number>;
  /** Further breakdowns (by length bucket, per class, …). */
  tables: ResultTable[];
  parameters: number;
  trainSeconds: number;
  checkpoint: string;
}

/** A task: trains a run config and evaluates its checkpoints. */
export interface Task {
  readonly name: TaskName;
  /** Checks the task's own sections of the config (throws a one-line HeedError). */
  check(config: RunConfig): void;
  /** Trains, writes the checkpoint to config.output, evaluates on the test data. */
  train(config: RunConfig, io: TaskIO): Promise<TaskResult>;
  /** Evaluates a checkpoint (on `data` when given, else the test data of its config). */
  evaluate(checkpoint: string, opts: { data?: string }, io: TaskIO): Promise<TaskResult>;
}
