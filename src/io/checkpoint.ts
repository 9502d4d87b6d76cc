import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HEED_VERSION } from '../metrics/signature.js';
import type { Module } from '../nn/module.js';
import type { OptimizerState } from '../optim/optimizer.js';
import type { SchedulerState } from '../optim/schedules.js';
import { fmtShape, HeedError } from '../util/errors.js';
import type { Generator, RngState } from '../util/random.js';
import { type Infer, readJson, v, validate } from '../util/validate.js';
import { fsyncDir, writeAndSync } from './atomic.js';
import { encodeSafetensors, loadSafetensors } from './safetensors.js';

/**
 * A checkpoint is a directory:
 *
 *   model.safetensors      the module's stateDict (PyTorch names where PyTorch has the module)
 *   config.json            { kind, heedVersion, config }: the model config as the caller gave it
 *   optimizer.safetensors  the optimizer's buffers, named `<param index>.<buffer>`
 *   optimizer.json         the optimizer's kind, groups, hyperparameters and step counts
 *   trainer.json           progress (step, epoch, best metric, …), RNG and scheduler states
 *   <name>.json            any extra JSON the caller hands over (vocabularies, tokenizers)
 *
 * It is written whole into `DIR.tmp-<pid>`, every file fsynced, and then renamed into place (an
 * existing DIR is moved aside first and removed only after the new one is in place), so DIR
 * never holds a half-written checkpoint.
 */

export const CHECKPOINT_FILES = {
  model: 'model.safetensors',
  config: 'config.json',
  optimizerTensors: 'optimizer.safetensors',
  optimizerJson: 'optimizer.json',
  trainer: 'trainer.json',
} as const;

const RESERVED = new Set<string>(Object.values(CHECKPOINT_FILES));

/** What the optimizer must offer to be checkpointed (every heed optimizer does). */
export interface CheckpointOptimizer {
  stateDict(): OptimizerState;
  loadStateDict(state: OptimizerState, source?: string): void;
}

/** What the scheduler must offer to be checkpointed. */
export interface CheckpointScheduler {
  stateDict(): SchedulerState;
  loadStateDict(state: SchedulerState): void;
}

/**
 * Training progress kept in trainer.json. Trainers may add their own JSON fields; they come back
 * unchanged from loadCheckpoint.
 */
export interface TrainingProgress {
  step: number;
  epoch: number;
  bestMetric: number | null;
  [key: string]: unknown;
}

export interface SaveCheckpointOptions {
  model: Module;
  /** The model's config as JSON (written as config.json's `config`). */
  config?: unknown;
  /** What the model is (e.g. 'transformer-lm'), so a loader knows what to build. */
  kind?: string;
  optimizer?: CheckpointOptimizer;
  scheduler?: CheckpointScheduler;
  /** Generators whose states are saved by name (e.g. { default: defaultGenerator }). */
  generators?: Record<string, Generator>;
  progress?: TrainingProgress;
  /** Extra JSON files by file name (`vocab.json`): names end in .json, without directories. */
  files?: Record<string, unknown>;
}

const rngStateSchema = v.object({
  s: v.tuple([v.int({ min: 0 }), v.int({ min: 0 }), v.int({ min: 0 }), v.int({ min: 0 })]),
  spare: v.withDefault(v.json(), null),
});

const configFileSchema = v.object({
  kind: v.withDefault(v.string(), ''),
  heedVersion: v.string(),
  config: v.withDefault(v.json(), null),
});

/** config.json of a checkpoint. */
export type CheckpointConfig = Infer<typeof configFileSchema>;

const trainerFileSchema = v.object({
  progress: v.json(),
  rng: v.record(rngStateSchema),
  scheduler: v.withDefault(v.json(), null),
});

const optimizerFileSchema = v.object({
  kind: v.string(),
  groups: v.array(
    v.object({
      options: v.record(v.json()),
      lrScale: v.number({ min: 0 }),
      params: v.array(v.int({ min: 0 })),
    }),
  ),
  state: v.array(
    v.object({
      param: v.int({ min: 0 }),
      step: v.int({ min: 0 }),
      buffers: v.array(v.string({ nonEmpty: true })),
    }),
  ),
});

const progressSchema = v.object({
  step: v.int({ min: 0 }),
  epoch: v.int({ min: 0 }),
  bestMetric: v.withDefault(v.json(), null),
});

function pretty(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The directory path without trailing separators (so `DIR.tmp-…` is a sibling, not a child). */
function normDir(dir: string): string {
  const d = dir.replace(/[\\/]+$/, '');
  return d === '' ? dir : d;
}

/** Writes a checkpoint directory atomically (see the module comment). */
export function saveCheckpoint(dir: string, o: SaveCheckpointOptions): void {
  const final = normDir(dir);
  for (const name of Object.keys(o.files ?? {})) {
    if (!/^[\w.-]+\.json$/.test(name) || name.startsWith('.') || RESERVED.has(name)) {
      throw new HeedError(
        `saveCheckpoint: extra file name '${name}' must end in .json, have no directory, and not be one of ${[...RESERVED].join(', ')}`,
      );
    }
  }
  const parent = dirname(final);
  mkdirSync(parent, { recursive: true });
  const tmp = `${final}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const put = (name: string, data: string | Uint8Array) => writeAndSync(join(tmp, name), data);
    put(CHECKPOINT_FILES.model, encodeSafetensors(o.model.stateDict(), { format: 'pt' }));
    put(
      CHECKPOINT_FILES.config,
      pretty({ kind: o.kind ?? '', heedVersion: HEED_VERSION, config: o.config ?? null }),
    );
    if (o.optimizer) {
      const state = o.optimizer.stateDict();
      put(CHECKPOINT_FILES.optimizerTensors, encodeSafetensors(state.tensors));
      put(CHECKPOINT_FILES.optimizerJson, pretty(state.json));
    }
    if (o.progress || o.generators || o.scheduler) {
      const rng: Record<string, RngState> = {};
      for (const [name, g] of Object.entries(o.generators ?? {})) rng[name] = g.getState();
      put(
        CHECKPOINT_FILES.trainer,
        pretty({ progress: o.progress ?? null, rng, scheduler: o.scheduler?.stateDict() ?? null }),
      );
    }
    for (const [name, value] of Object.entries(o.files ?? {})) put(name, `${JSON.stringify(value)}\n`);
    fsyncDir(tmp);
    commitDir(tmp, final);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof HeedError) throw e;
    throw new HeedError(`saveCheckpoint ${final}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Renames a complete temporary directory over `final`, moving any old one aside first. */
function commitDir(tmp: string, final: string): void {
  if (!existsSync(final)) {
    renameSync(tmp, final);
    fsyncDir(dirname(final));
    return;
  }
  const old = `${final}.old-${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  renameSync(final, old);
  try {
    renameSync(tmp, final);
  } catch (e) {
    renameSync(old, final);
    throw e;
  }
  fsyncDir(dirname(final));
  rmSync(old, { recursive: true, force: true });
}

export interface LoadCheckpointTargets {
  model: Module;
  optimizer?: CheckpointOptimizer;
  scheduler?: CheckpointScheduler;
  /** Generators to restore by name; each must have a state in trainer.json. */
  generators?: Record<string, Generator>;
}

export interface LoadedCheckpoint {
  config: CheckpointConfig;
  /** trainer.json's progress, or null when the checkpoint has no trainer.json. */
  progress: TrainingProgress | null;
  /** The extra JSON files by name. */
  files: Record<string, unknown>;
}

function checkpointDirError(dir: string): HeedError {
  const base = basename(dir);
  let aside: string | undefined;
  try {
    aside = readdirSync(dirname(dir)).find((f) => f.startsWith(`${base}.old-`));
  } catch {
    aside = undefined;
  }
  const hint =
    aside === undefined ? '' : ` (an interrupted save left the previous one at ${join(dirname(dir), aside)})`;
  return new HeedError(`checkpoint ${dir}: directory not found${hint}`);
}

function requireFile(dir: string, name: string): string {
  const path = join(dir, name);
  if (!existsSync(path)) throw new HeedError(`checkpoint ${dir}: missing file ${name}`);
  return path;
}

/** Reads and validates config.json alone (to build the model before loading its weights). */
export function readCheckpointConfig(dir: string): CheckpointConfig {
  const d = normDir(dir);
  if (!existsSync(d) || !statSync(d).isDirectory()) throw checkpointDirError(d);
  const path = requireFile(d, CHECKPOINT_FILES.config);
  return validate(configFileSchema, readJson(path), path);
}

/**
 * Loads a checkpoint into the given model (and optimizer, scheduler, generators). Every problem
 * is a one-line HeedError naming the directory or file: a missing directory or file, bad JSON,
 * a malformed safetensors file, or a stateDict that does not fit (missing or unexpected keys,
 * shape mismatches, as Module.loadStateDict reports them). Every file a target needs is read
 * and validated, and the weights' shapes checked, before anything is loaded.
 */
export function loadCheckpoint(dir: string, targets: LoadCheckpointTargets): LoadedCheckpoint {
  const d = normDir(dir);
  const config = readCheckpointConfig(d);
  const modelPath = requireFile(d, CHECKPOINT_FILES.model);
  const model = loadSafetensors(modelPath).tensors;

  let optimizer: OptimizerState | null = null;
  if (targets.optimizer) {
    const jsonPath = requireFile(d, CHECKPOINT_FILES.optimizerJson);
    const tensorPath = requireFile(d, CHECKPOINT_FILES.optimizerTensors);
    const json = validate(optimizerFileSchema, readJson(jsonPath), jsonPath, 'optimizer');
    optimizer = { json, tensors: loadSafetensors(tensorPath).tensors };
  }

  const trainerPath = join(d, CHECKPOINT_FILES.trainer);
  const needTrainer = targets.scheduler !== undefined || Object.keys(targets.generators ?? {}).length > 0;
  let trainer: Infer<typeof trainerFileSchema> | null = null;
  let progress: TrainingProgress | null = null;
  if (existsSync(trainerPath)) {
    trainer = validate(trainerFileSchema, readJson(trainerPath), trainerPath, 'trainer');
    if (trainer.progress !== null) {
      // Validate the known fields; the trainer's own fields pass through.
      const { step, epoch, bestMetric, ...rest } = isObject(trainer.progress) ? trainer.progress : {};
      const known = validate(progressSchema, { step, epoch, bestMetric }, trainerPath, 'progress');
      if (known.bestMetric !== null && typeof known.bestMetric !== 'number') {
        throw new HeedError(`${trainerPath}: progress.bestMetric must be a number or null`);
      }
      progress = { ...rest, step: known.step, epoch: known.epoch, bestMetric: known.bestMetric };
    }
  } else if (needTrainer) {
    requireFile(d, CHECKPOINT_FILES.trainer);
  }
  const rngStates: [Generator, RngState][] = [];
  for (const [name, g] of Object.entries(targets.generators ?? {})) {
    const st = trainer?.rng[name];
    if (st === undefined) throw new HeedError(`${trainerPath}: no RNG state for generator '${name}'`);
    const spare = st.spare;
    if (spare !== null && typeof spare !== 'number') {
      throw new HeedError(`${trainerPath}: rng.${name}.spare must be a number or null`);
    }
    rngStates.push([g, { s: st.s, spare }]);
  }
  let scheduler: SchedulerState | null = null;
  if (targets.scheduler) {
    const raw = trainer?.scheduler;
    if (!isObject(raw) || typeof raw.stepCount !== 'number') {
      throw new HeedError(`${trainerPath}: no scheduler state (scheduler.stepCount)`);
    }
    scheduler = { stepCount: raw.stepCount };
  }

  for (const [key, p] of targets.model.namedParameters()) {
    const t = model.get(key);
    if (t !== undefined && (t.ndim !== p.ndim || t.shape.some((n, i) => n !== p.shape[i]))) {
      throw new HeedError(
        `${modelPath}: '${key}' has shape ${fmtShape(t.shape)}, the model expects ${fmtShape(p.shape)}`,
      );
    }
  }
  try {
    targets.model.loadStateDict(model);
  } catch (e) {
    if (e instanceof HeedError) throw new HeedError(`${modelPath}: ${e.message}`);
    throw e;
  }
  if (targets.optimizer && optimizer) {
    targets.optimizer.loadStateDict(optimizer, join(d, CHECKPOINT_FILES.optimizerJson));
  }
  if (targets.scheduler && scheduler) targets.scheduler.loadStateDict(scheduler);
  for (const [g, st] of rngStates) g.setState(st);

  const files: Record<string, unknown> = {};
  for (const name of readdirSync(d)) {
    if (name.endsWith('.json') && !RESERVED.has(name)) files[name] = readJson(join(d, name));
  }
  return { config, progress, files };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
