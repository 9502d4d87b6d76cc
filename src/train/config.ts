import type { Parameter } from '../nn/parameter.js';
import { Adam, AdamW } from '../optim/adam.js';
import type { BaseOptions, Optimizer } from '../optim/optimizer.js';
import {
  constantSchedule,
  linearWarmupDecay,
  noamSchedule,
  type Schedule,
  warmupCosine,
} from '../optim/schedules.js';
import { SGD } from '../optim/sgd.js';
import { HeedError } from '../util/errors.js';
import { type Infer, readJson, type Validator, v, validate } from '../util/validate.js';

/**
 * The trainer's JSON config: how long to train, when to evaluate, checkpoint and log, and which
 * optimizer and learning-rate schedule to use. Every key is checked on load: an unknown key or a
 * wrong type is a one-line HeedError naming the key and the expected type.
 *
 *   { "maxSteps": 2000, "evalEvery": 200, "clipNorm": 1,
 *     "optimizer": { "name": "adamw", "lr": 3e-4 },
 *     "schedule": { "name": "cosine", "warmup": 100, "minLr": 3e-5 },
 *     "earlyStopping": { "metric": "valLoss", "patience": 3 },
 *     "checkpointDir": "runs/lm/ckpt", "checkpointEvery": 500, "logFile": "runs/lm/log.jsonl" }
 */
export interface TrainerRunConfig {
  /** Stop after this many optimizer steps (at least one of maxSteps and maxEpochs is needed). */
  maxSteps?: number;
  /** Stop after this many passes over trainBatches(). */
  maxEpochs?: number;
  /** Evaluate every N steps (default 0: only once, at the end). */
  evalEvery: number;
  /** Clip the gradients' joint L2 norm to this before each step (default: no clipping). */
  clipNorm?: number;
  /** Stop when an evaluation metric stops improving (needs evalEvery > 0). */
  earlyStopping?: EarlyStoppingConfig;
  /** Where checkpoints go (a directory, replaced atomically on each save). */
  checkpointDir?: string;
  /** Save every N steps (default 0: only at the end). */
  checkpointEvery: number;
  /** Where the best model so far (by earlyStopping.metric) is saved, when given. */
  bestCheckpointDir?: string;
  /**
   * Seed of the default generator at the start of training (default 0): dropout masks and any
   * shuffling drawn from it. Build the model under its own seed beforehand; generators handed
   * to the trainer are checkpointed but not reseeded.
   */
  seed: number;
  /** JSONL log: one object per training step and per evaluation (appended). */
  logFile?: string;
  /** 'auto' (default): a redrawn progress bar on a terminal, plain lines otherwise. */
  progress: 'auto' | 'bar' | 'lines' | 'none';
  /** Plain log lines every N steps (default 50). */
  logEvery: number;
}

export interface EarlyStoppingConfig {
  /** The key of the metric in evaluate()'s result. */
  metric: string;
  /** 'min' (default) when lower is better, 'max' when higher is. */
  mode: 'min' | 'max';
  /** Evaluations without improvement before stopping (default 5). */
  patience: number;
  /** The least change that counts as an improvement (default 0). */
  minDelta: number;
}

const earlyStoppingSchema: Validator<EarlyStoppingConfig> = v.object({
  metric: v.string({ nonEmpty: true }),
  mode: v.withDefault(v.oneOf(['min', 'max']), 'min'),
  patience: v.withDefault(v.int({ min: 1 }), 5),
  minDelta: v.withDefault(v.number({ min: 0 }), 0),
});

const runFields = {
  maxSteps: v.optional(v.int({ min: 1 })),
  maxEpochs: v.optional(v.int({ min: 1 })),
  evalEvery: v.withDefault(v.int({ min: 0 }), 0),
  clipNorm: v.optional(v.number({ gt: 0 })),
  earlyStopping: v.optional(earlyStoppingSchema),
  checkpointDir: v.optional(v.string({ nonEmpty: true })),
  checkpointEvery: v.withDefault(v.int({ min: 0 }), 0),
  bestCheckpointDir: v.optional(v.string({ nonEmpty: true })),
  seed: v.withDefault(v.int(), 0),
  logFile: v.optional(v.string({ nonEmpty: true })),
  progress: v.withDefault(v.oneOf(['auto', 'bar', 'lines', 'none']), 'auto'),
  logEvery: v.withDefault(v.int({ min: 1 }), 50),
};

export const trainerRunSchema: Validator<TrainerRunConfig> = v.object(runFields);

/** The keys of TrainerRunConfig. */
export const trainerRunKeys: ReadonlySet<string> = new Set(Object.keys(runFields));

/** The optimizer section. Keys that do not apply to the chosen optimizer are errors. */
const optimizerSchema = v.object({
  /** 'adamw' (default), 'adam' or 'sgd'. */
  name: v.withDefault(v.oneOf(['adamw', 'adam', 'sgd']), 'adamw'),
  /** Learning rate (default 1e-3); a schedule overrides it. */
  lr: v.withDefault(v.number({ min: 0 }), 1e-3),
  /** Default 0.01 for AdamW, 0 otherwise. */
  weightDecay: v.optional(v.number({ min: 0 })),
  /** Adam/AdamW (default [0.9, 0.999]). */
  betas: v.optional(v.tuple([v.number({ min: 0, lt: 1 }), v.number({ min: 0, lt: 1 })])),
  /** Adam/AdamW (default 1e-8). */
  eps: v.optional(v.number({ min: 0 })),
  /** Adam/AdamW (default false). */
  amsgrad: v.optional(v.boolean()),
  /** SGD (default 0). */
  momentum: v.optional(v.number({ min: 0 })),
  /** SGD (default 0). */
  dampening: v.optional(v.number()),
  /** SGD (default false). */
  nesterov: v.optional(v.boolean()),
});
export type OptimizerConfig = Infer<typeof optimizerSchema>;

/** The schedule section (see optim/schedules.ts for the formulas). */
const scheduleSchema = v.object({
  /** 'constant' (default), 'linear', 'cosine' or 'noam'. */
  name: v.withDefault(v.oneOf(['constant', 'linear', 'cosine', 'noam']), 'constant'),
  /** Warm-up steps (default 0; noam needs ≥ 1). */
  warmup: v.withDefault(v.int({ min: 0 }), 0),
  /** linear/cosine: the step where the decay ends (default maxSteps). */
  total: v.optional(v.int({ min: 1 })),
  /** linear/cosine: the final rate (default 0). */
  minLr: v.withDefault(v.number({ min: 0 }), 0),
  /** noam: the model width d_model. */
  dModel: v.optional(v.int({ min: 1 })),
  /** noam: overall scale (default 1). */
  factor: v.withDefault(v.number({ min: 0 }), 1),
});
export type ScheduleConfig = Infer<typeof scheduleSchema>;

export type TrainerConfig = TrainerRunConfig & {
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
};

const trainerConfigSchema: Validator<TrainerConfig> = v.object({
  ...runFields,
  optimizer: v.withDefault(optimizerSchema, { name: 'adamw', lr: 1e-3 }),
  schedule: v.withDefault(scheduleSchema, { name: 'constant', warmup: 0, minLr: 0, factor: 1 }),
});

/** Checks what the schema cannot: relations between keys. `source` prefixes messages. */
export function checkRunConfig(c: TrainerRunConfig, source: string): void {
  if (c.maxSteps === undefined && c.maxEpochs === undefined) {
    throw new HeedError(`${source}: set maxSteps or maxEpochs (or both) to say when training stops`);
  }
  if (c.earlyStopping && c.evalEvery === 0) {
    throw new HeedError(`${source}: earlyStopping needs evalEvery > 0 (an evaluation every N steps)`);
  }
  if (c.bestCheckpointDir && !c.earlyStopping) {
    throw new HeedError(`${source}: bestCheckpointDir needs earlyStopping (its metric decides what is best)`);
  }
}

/** Validates a parsed JSON trainer config; defaults are filled in. */
export function parseTrainerConfig(json: unknown, source = 'trainer config'): TrainerConfig {
  const c = validate(trainerConfigSchema, json, source);
  checkRunConfig(c, source);
  const s = c.schedule;
  if ((s.name === 'linear' || s.name === 'cosine') && s.total === undefined && c.maxSteps === undefined) {
    throw new HeedError(
      `${source}: schedule.total is needed for a ${s.name} schedule when maxSteps is not set`,
    );
  }
  if (s.name === 'noam' && (s.dModel === undefined || s.warmup < 1)) {
    throw new HeedError(`${source}: a noam schedule needs schedule.dModel and schedule.warmup >= 1`);
  }
  checkOptimizerKeys(c.optimizer, source);
  return c;
}

/** Reads and validates a trainer config file. */
export function readTrainerConfig(path: string): TrainerConfig {
  return parseTrainerConfig(readJson(path), path);
}

const ADAM_ONLY = ['betas', 'eps', 'amsgrad'] as const;
const SGD_ONLY = ['momentum', 'dampening', 'nesterov'] as const;

function checkOptimizerKeys(o: OptimizerConfig, source: string): void {
  const foreign = o.name === 'sgd' ? ADAM_ONLY : SGD_ONLY;
  for (const key of foreign) {
    if (o[key] !== undefined) {
      throw new HeedError(`${source}: config.optimizer.${key} does not apply to '${o.name}'`);
    }
  }
}

/** The optimizer a config describes, over the given parameters. */
export function buildOptimizer(o: OptimizerConfig, params: readonly Parameter[]): Optimizer<BaseOptions> {
  checkOptimizerKeys(o, 'buildOptimizer');
  if (o.name === 'sgd') {
    return new SGD(params, {
      lr: o.lr,
      momentum: o.momentum ?? 0,
      dampening: o.dampening ?? 0,
      nesterov: o.nesterov ?? false,
      weightDecay: o.weightDecay ?? 0,
    });
  }
  const options = {
    lr: o.lr,
    betas: o.betas ?? [0.9, 0.999],
    eps: o.eps ?? 1e-8,
    amsgrad: o.amsgrad ?? false,
  } satisfies Partial<ConstructorParameters<typeof Adam>[1]>;
  return o.name === 'adam'
    ? new Adam(params, { ...options, weightDecay: o.weightDecay ?? 0 })
    : new AdamW(params, { ...options, weightDecay: o.weightDecay ?? 0.01 });
}

/** The schedule a config describes; `maxSteps` is the default end of a decay. */
export function buildSchedule(s: ScheduleConfig, lr: number, maxSteps?: number): Schedule {
  const total = s.total ?? maxSteps;
  switch (s.name) {
    case 'constant':
      return constantSchedule(lr);
    case 'linear':
    case 'cosine': {
      if (total === undefined) throw new HeedError(`schedule: ${s.name} needs total (or maxSteps)`);
      const o = { lr, warmup: s.warmup, total, minLr: s.minLr };
      return s.name === 'linear' ? linearWarmupDecay(o) : warmupCosine(o);
    }
    case 'noam':
      if (s.dModel === undefined) throw new HeedError('schedule: noam needs dModel');
      return noamSchedule({ dModel: s.dModel, warmup: s.warmup, factor: s.factor });
  }
}
