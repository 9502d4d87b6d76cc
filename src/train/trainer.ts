import { noGrad } from '../autograd/engine.js';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import type { Module } from '../nn/module.js';
import { clipGradNorm } from '../optim/clip.js';
import type { BaseOptions, Optimizer } from '../optim/optimizer.js';
import { LRScheduler } from '../optim/schedules.js';
import type { Tensor } from '../tensor/tensor.js';
import { HeedError } from '../util/errors.js';
import { defaultGenerator, type Generator, type RngState } from '../util/random.js';
import { v, validate } from '../util/validate.js';
import {
  buildOptimizer,
  buildSchedule,
  checkRunConfig,
  type TrainerConfig,
  type TrainerRunConfig,
  trainerRunKeys,
  trainerRunSchema,
} from './config.js';
import { JsonlWriter } from './jsonl.js';
import { ProgressDisplay, type ProgressOutput } from './progress.js';

/** What lossFn returns: a scalar loss and, optionally, how many tokens it covered. */
export interface StepLoss {
  loss: Tensor;
  tokens?: number;
  /** Tensors of the step's graph that someone keeps beyond the step (see `releaseGraph`). */
  retain?: readonly Tensor[];
}

/** The parts of a training run that are objects and functions (the rest is TrainerRunConfig). */
export interface TrainerParts<B> {
  model: Module;
  optimizer: Optimizer<BaseOptions>;
  scheduler?: LRScheduler;
  /** A fresh pass over the training data (called once per epoch). Its random choices must come
   *  from a generator the trainer knows (the default one or `generators`), made when it is
   *  called or from a generator only it uses, so a resumed run replays the same order. */
  trainBatches: () => Iterable<B>;
  lossFn: (batch: B) => StepLoss;
  /** Metrics on held-out data; run in eval mode without gradients. */
  evaluate?: () => Record<string, number>;
  /** Generators besides the default one whose states are checkpointed (e.g. a data shuffler). */
  generators?: Record<string, Generator>;
  /** Written into checkpoints: the model's config, its kind, and extra JSON files. */
  modelConfig?: unknown;
  modelKind?: string;
  files?: Record<string, unknown>;
  /** Progress output (default process.stderr). */
  output?: ProgressOutput;
  /** Called with every record the JSONL log gets. */
  onLog?: (record: LogRecord) => void;
  /**
   * Release each step's graph after backward (default true): its intermediate tensors become
   * unreadable and their buffers are reused by the next step, which spares the allocations and
   * garbage collections of a step's worth of memory (autograd/engine.ts's BackwardOptions).
   * A lossFn that keeps a tensor of the graph past the step (a view or its data included) lists
   * it in `retain`, or this is set to false.
   */
  releaseGraph?: boolean;
}

export type TrainerOptions<B> = TrainerParts<B> & Partial<TrainerRunConfig>;

/** One line of the JSONL log. `epoch` counts from 1; `elapsed` is seconds of training. */
export type LogRecord =
  | {
      type: 'train';
      step: number;
      epoch: number;
      loss: number;
      lr: number;
      tokens?: number;
      tokensPerSec?: number;
      gradNorm?: number;
      elapsed: number;
    }
  | { type: 'eval'; step: number; epoch: number; elapsed: number; metrics: Record<string, number> };

export interface TrainResult {
  step: number;
  /** Completed epochs. */
  epoch: number;
  stopReason: 'maxSteps' | 'maxEpochs' | 'earlyStopping';
  lastLoss: number | null;
  bestMetric: number | null;
  bestStep: number | null;
  elapsedSeconds: number;
}

/** The trainer's own fields in trainer.json's progress. */
const progressSchema = v.object({
  step: v.int({ min: 0 }),
  epoch: v.int({ min: 0 }),
  bestMetric: v.withDefault(v.json(), null),
  bestStep: v.withDefault(v.json(), null),
  badEvals: v.withDefault(v.int({ min: 0 }), 0),
  batchInEpoch: v.withDefault(v.int({ min: 0 }), 0),
  batchesPerEpoch: v.withDefault(v.json(), null),
  elapsedSeconds: v.withDefault(v.number({ min: 0 }), 0),
  rngEpochStart: v.record(
    v.object({
      s: v.tuple([v.int({ min: 0 }), v.int({ min: 0 }), v.int({ min: 0 }), v.int({ min: 0 })]),
      spare: v.withDefault(v.json(), null),
    }),
  ),
});

const orNull = (x: unknown): number | null => (typeof x === 'number' ? x : null);

/**
 * Trains any Module: it knows the model only through lossFn, evaluate and the parameters the
 * optimizer holds. One step is zeroGrad → lossFn → (stop on a non-finite loss) → backward (which
 * releases the step's graph for reuse) → clip → optimizer.step → scheduler.step. Runs are deterministic under `seed`; `resume()` from
 * a checkpoint continues bit-identically to a run that was never interrupted, because the
 * checkpoint holds the RNG states (now and at the start of the epoch) and the position in the
 * epoch, which resume replays.
 */
export class Trainer<B> {
  readonly config: TrainerRunConfig;
  private step = 0;
  private epoch = 0;
  private batchInEpoch = 0;
  private batchesPerEpoch: number | null = null;
  private bestMetric: number | null = null;
  private bestStep: number | null = null;
  private badEvals = 0;
  private elapsedBefore = 0;
  private rngEpochStart: Record<string, RngState> = {};
  private resumed = false;
  private started = false;
  private lastCheckpointStep: number | null = null;

  constructor(private readonly parts: TrainerOptions<B>) {
    // The run settings among the parts, validated as the JSON config's are.
    const given = Object.entries(parts).filter(([k, x]) => trainerRunKeys.has(k) && x !== undefined);
    const defined = Object.fromEntries(given);
    this.config = validate(trainerRunSchema, defined, 'Trainer', 'options');
    checkRunConfig(this.config, 'Trainer');
    if (this.config.earlyStopping && !parts.evaluate) {
      throw new HeedError('Trainer: earlyStopping needs an evaluate function');
    }
  }

  /** A trainer from a JSON config (optimizer and schedule built from it) and the run's parts. */
  static fromConfig<B>(
    config: TrainerConfig,
    parts: Omit<TrainerParts<B>, 'optimizer' | 'scheduler'>,
  ): Trainer<B> {
    const { optimizer: o, schedule: s, ...run } = config;
    const optimizer = buildOptimizer(o, parts.model.parameters());
    const scheduler = new LRScheduler(optimizer, buildSchedule(s, o.lr, run.maxSteps));
    return new Trainer({ ...parts, ...run, optimizer, scheduler });
  }

  private generators(): Record<string, Generator> {
    return { default: defaultGenerator, ...this.parts.generators };
  }

  private rngStates(): Record<string, RngState> {
    return Object.fromEntries(Object.entries(this.generators()).map(([k, g]) => [k, g.getState()]));
  }

  private setRngStates(states: Record<string, RngState>): void {
    for (const [k, g] of Object.entries(this.generators())) {
      const st = states[k];
      if (st === undefined) throw new HeedError(`Trainer: no saved RNG state for generator '${k}'`);
      g.setState(st);
    }
  }

  /** Loads a checkpoint written by this trainer; fit() then continues where it stopped. */
  resume(checkpointDir: string): void {
    if (this.started) throw new HeedError('Trainer.resume: call it before fit()');
    const { progress } = loadCheckpoint(checkpointDir, {
      model: this.parts.model,
      optimizer: this.parts.optimizer,
      scheduler: this.parts.scheduler,
      generators: this.generators(),
    });
    if (progress === null) throw new HeedError(`Trainer.resume: ${checkpointDir} has no training progress`);
    const p = validate(progressSchema, progress, `${checkpointDir}/trainer.json`, 'progress');
    this.step = p.step;
    this.epoch = p.epoch;
    this.batchInEpoch = p.batchInEpoch;
    this.batchesPerEpoch = orNull(p.batchesPerEpoch);
    this.bestMetric = orNull(p.bestMetric);
    this.bestStep = orNull(p.bestStep);
    this.badEvals = p.badEvals;
    this.elapsedBefore = p.elapsedSeconds;
    this.rngEpochStart = Object.fromEntries(
      Object.entries(p.rngEpochStart).map(([k, st]) => [k, { s: st.s, spare: orNull(st.spare) }]),
    );
    this.lastCheckpointStep = p.step;
    this.resumed = true;
  }

  /** Runs training to maxSteps / maxEpochs / early stopping. */
  fit(): TrainResult {
    if (this.started) throw new HeedError('Trainer.fit: a trainer runs once (make a new one, or resume)');
    this.started = true;
    const c = this.config;
    const { model, optimizer, scheduler } = this.parts;
    if (!this.resumed) defaultGenerator.manualSeed(c.seed);
    const params = optimizer.params();
    const releaseGraph = this.parts.releaseGraph ?? true;
    const log = c.logFile ? new JsonlWriter(c.logFile) : null;
    const display = new ProgressDisplay(c.progress, this.parts.output ?? process.stderr, c.logEvery);
    const runStart = performance.now();
    const elapsed = () => this.elapsedBefore + (performance.now() - runStart) / 1000;
    const emit = (record: LogRecord) => {
      log?.write(record);
      this.parts.onLog?.(record);
    };
    let stepsThisRun = 0;
    let tokensThisRun = 0;
    let lastLoss: number | null = null;
    let evaluatedAt = -1;
    let stopReason: TrainResult['stopReason'] | null = null;

    const evaluate = (): void => {
      const fn = this.parts.evaluate;
      if (!fn) return;
      evaluatedAt = this.step;
      // Evaluation must not change training: its RNG use is undone, so runs with and without
      // evaluation (or with another evalEvery) train identically.
      const saved = this.rngStates();
      model.eval();
      let metrics: Record<string, number>;
      try {
        metrics = noGrad(fn);
      } finally {
        model.train();
        this.setRngStates(saved);
      }
      emit({ type: 'eval', step: this.step, epoch: this.epoch + 1, elapsed: elapsed(), metrics });
      display.message(
        `eval step ${this.step}: ${Object.entries(metrics)
          .map(([k, x]) => `${k} ${Number.isFinite(x) ? x.toFixed(4) : x}`)
          .join(', ')}`,
      );
      const es = c.earlyStopping;
      if (!es) return;
      const value = metrics[es.metric];
      if (typeof value !== 'number') {
        throw new HeedError(
          `Trainer: evaluate() returned no metric '${es.metric}' for early stopping (it returned ${Object.keys(metrics).join(', ') || 'nothing'})`,
        );
      }
      const best = this.bestMetric;
      const improved =
        best === null || (es.mode === 'min' ? value < best - es.minDelta : value > best + es.minDelta);
      if (improved) {
        this.bestMetric = value;
        this.bestStep = this.step;
        this.badEvals = 0;
        if (c.bestCheckpointDir) this.save(c.bestCheckpointDir, elapsed());
      } else if (++this.badEvals >= es.patience) {
        stopReason = 'earlyStopping';
        display.message(
          `early stopping at step ${this.step}: ${es.metric} has not improved on ${best} (step ${this.bestStep}) for ${this.badEvals} evaluations`,
        );
      }
    };

    const trainStep = (batch: B): void => {
      const t0 = performance.now();
      optimizer.zeroGrad({ release: releaseGraph });
      const { loss, tokens, retain } = this.parts.lossFn(batch);
      const value = loss.item();
      if (!Number.isFinite(value)) throw this.divergence(`loss is ${value}`);
      loss.backward(undefined, { releaseGraph, retain });
      let gradNorm: number | undefined;
      if (c.clipNorm !== undefined) {
        gradNorm = clipGradNorm(params, c.clipNorm);
        if (!Number.isFinite(gradNorm)) throw this.divergence(`gradient norm is ${gradNorm}`);
      }
      const lr = optimizer.lr;
      optimizer.step();
      scheduler?.step();
      this.step++;
      stepsThisRun++;
      lastLoss = value;
      const seconds = (performance.now() - t0) / 1000;
      const record: LogRecord = {
        type: 'train',
        step: this.step,
        epoch: this.epoch + 1,
        loss: value,
        lr,
        elapsed: elapsed(),
      };
      if (tokens !== undefined) {
        tokensThisRun += tokens;
        record.tokens = tokens;
        record.tokensPerSec = seconds > 0 ? tokens / seconds : 0;
      }
      if (gradNorm !== undefined) record.gradNorm = gradNorm;
      emit(record);
      const runSeconds = (performance.now() - runStart) / 1000;
      display.step({
        step: this.step,
        total: this.totalSteps(),
        epoch: this.epoch + 1,
        loss: value,
        lr,
        tokensPerSec: tokens === undefined ? null : tokensThisRun / Math.max(runSeconds, 1e-9),
        secondsPerStep: runSeconds / stepsThisRun,
      });
    };

    try {
      model.train();
      epochs: while (stopReason === null) {
        if (c.maxEpochs !== undefined && this.epoch >= c.maxEpochs) {
          stopReason = 'maxEpochs';
          break;
        }
        const it = this.openEpoch();
        try {
          while (true) {
            if (c.maxSteps !== undefined && this.step >= c.maxSteps) {
              stopReason = 'maxSteps';
              break epochs;
            }
            const next = it.next();
            if (next.done) break;
            trainStep(next.value);
            this.batchInEpoch++;
            if (c.evalEvery > 0 && this.step % c.evalEvery === 0) evaluate();
            if (c.checkpointDir && c.checkpointEvery > 0 && this.step % c.checkpointEvery === 0) {
              this.save(c.checkpointDir, elapsed());
            }
            if (stopReason !== null) break epochs;
          }
        } finally {
          it.return?.();
        }
        if (this.batchInEpoch === 0)
          throw new HeedError(`Trainer: trainBatches() yielded no batches (epoch ${this.epoch + 1})`);
        this.batchesPerEpoch = this.batchInEpoch;
        this.epoch++;
        this.batchInEpoch = 0;
      }
      if (evaluatedAt !== this.step && this.parts.evaluate && stepsThisRun > 0) evaluate();
      if (c.checkpointDir && this.lastCheckpointStep !== this.step) this.save(c.checkpointDir, elapsed());
    } finally {
      display.finish();
      log?.close();
    }
    return {
      step: this.step,
      epoch: this.epoch,
      stopReason: stopReason ?? 'maxSteps',
      lastLoss,
      bestMetric: this.bestMetric,
      bestStep: this.bestStep,
      elapsedSeconds: elapsed(),
    };
  }

  /**
   * An iterator over this epoch's batches. At an epoch's start the RNG states are recorded; when
   * resuming mid-epoch they are restored, the batches already trained on are drawn again and
   * skipped, and the current states put back, so the data order matches the interrupted run.
   */
  private openEpoch(): Iterator<B> {
    if (this.batchInEpoch === 0) {
      this.rngEpochStart = this.rngStates();
      return this.parts.trainBatches()[Symbol.iterator]();
    }
    const current = this.rngStates();
    this.setRngStates(this.rngEpochStart);
    const it = this.parts.trainBatches()[Symbol.iterator]();
    for (let i = 0; i < this.batchInEpoch; i++) {
      if (it.next().done) {
        throw new HeedError(
          `Trainer.resume: trainBatches() now yields ${i} batches, the checkpoint was taken after ${this.batchInEpoch}`,
        );
      }
    }
    this.setRngStates(current);
    return it;
  }

  private totalSteps(): number | null {
    const { maxSteps, maxEpochs } = this.config;
    const byEpochs =
      maxEpochs !== undefined && this.batchesPerEpoch !== null ? maxEpochs * this.batchesPerEpoch : null;
    if (maxSteps !== undefined) return byEpochs === null ? maxSteps : Math.min(maxSteps, byEpochs);
    return byEpochs;
  }

  private divergence(what: string): HeedError {
    const dir = this.config.checkpointDir;
    const kept =
      dir === undefined
        ? 'no checkpoint directory was set'
        : this.lastCheckpointStep === null
          ? 'no checkpoint was written yet'
          : `the last good checkpoint (step ${this.lastCheckpointStep}) is kept in ${dir}`;
    return new HeedError(
      `training diverged: ${what} at step ${this.step + 1} (epoch ${this.epoch + 1}); ${kept}`,
    );
  }

  private save(dir: string, elapsedSeconds: number): void {
    const { model, optimizer, scheduler, modelConfig, modelKind, files } = this.parts;
    saveCheckpoint(dir, {
      model,
      optimizer,
      scheduler,
      config: modelConfig,
      kind: modelKind,
      files,
      generators: this.generators(),
      progress: {
        step: this.step,
        epoch: this.epoch,
        bestMetric: this.bestMetric,
        bestStep: this.bestStep,
        badEvals: this.badEvals,
        batchInEpoch: this.batchInEpoch,
        batchesPerEpoch: this.batchesPerEpoch,
        elapsedSeconds,
        rngEpochStart: this.rngEpochStart,
      },
    });
    if (dir === this.config.checkpointDir) this.lastCheckpointStep = this.step;
  }
}
