import { HeedError } from '../util/errors.js';

/**
 * Learning-rate schedules as pure functions of the step, and the scheduler that applies one.
 *
 * `t` is the 1-based number of the update about to be made: the first `optimizer.step()` uses
 * schedule(1). Warm-up therefore starts at lr/warmup (never 0) and peaks at t = warmup, and
 * Noam's t^−0.5 is defined from the first step.
 */
export type Schedule = (t: number) => number;

function checkStep(name: string, t: number): void {
  if (!(Number.isInteger(t) && t >= 1))
    throw new HeedError(`${name} schedule: step must be an integer >= 1, got ${t}`);
}

function checkLr(name: string, key: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new HeedError(`${name} schedule: ${key} must be a number >= 0, got ${value}`);
  }
}

function checkSteps(name: string, warmup: number, total: number): void {
  if (!(Number.isInteger(warmup) && warmup >= 0)) {
    throw new HeedError(`${name} schedule: warmup must be an integer >= 0, got ${warmup}`);
  }
  if (!(Number.isInteger(total) && total > warmup)) {
    throw new HeedError(`${name} schedule: total must be an integer > warmup (${warmup}), got ${total}`);
  }
}

/** The same rate at every step. */
export function constantSchedule(lr: number): Schedule {
  checkLr('constant', 'lr', lr);
  return (t) => {
    checkStep('constant', t);
    return lr;
  };
}

export interface DecayScheduleOptions {
  /** Peak learning rate, reached at t = warmup. */
  lr: number;
  /** Warm-up steps: lr·t/warmup for t ≤ warmup (0: start at the peak). */
  warmup: number;
  /** The step at which the decay reaches minLr (it stays there afterwards). */
  total: number;
  /** Final learning rate (default 0). */
  minLr?: number;
}

/** Linear warm-up to the peak, then linear decay to minLr at t = total:
 *  lr(t) = minLr + (lr − minLr)·(total − t)/(total − warmup). */
export function linearWarmupDecay(o: DecayScheduleOptions): Schedule {
  const minLr = o.minLr ?? 0;
  checkLr('linear', 'lr', o.lr);
  checkLr('linear', 'minLr', minLr);
  checkSteps('linear', o.warmup, o.total);
  return (t) => {
    checkStep('linear', t);
    if (t <= o.warmup) return (o.lr * t) / o.warmup;
    if (t >= o.total) return minLr;
    return minLr + ((o.lr - minLr) * (o.total - t)) / (o.total - o.warmup);
  };
}

/** Linear warm-up, then half a cosine from the peak down to minLr at t = total
 *  (Loshchilov & Hutter 2017, one cycle without restarts):
 *  lr(t) = minLr + ½(lr − minLr)(1 + cos(π·(t − warmup)/(total − warmup))). */
export function warmupCosine(o: DecayScheduleOptions): Schedule {
  const minLr = o.minLr ?? 0;
  checkLr('cosine', 'lr', o.lr);
  checkLr('cosine', 'minLr', minLr);
  checkSteps('cosine', o.warmup, o.total);
  return (t) => {
    checkStep('cosine', t);
    if (t <= o.warmup) return (o.lr * t) / o.warmup;
    if (t >= o.total) return minLr;
    const progress = (t - o.warmup) / (o.total - o.warmup);
    return minLr + 0.5 * (o.lr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}

export interface NoamOptions {
  /** Model width d_model. */
  dModel: number;
  /** Warm-up steps: the rate rises linearly until t = warmup, then decays as t^−0.5. */
  warmup: number;
  /** Overall scale (default 1). */
  factor?: number;
}

/** The inverse-square-root schedule of "Attention Is All You Need" (Vaswani et al. 2017, §5.3):
 *  lr(t) = factor · d_model^−0.5 · min(t^−0.5, t · warmup^−1.5). */
export function noamSchedule(o: NoamOptions): Schedule {
  const factor = o.factor ?? 1;
  if (!(Number.isInteger(o.dModel) && o.dModel >= 1)) {
    throw new HeedError(`noam schedule: dModel must be an integer >= 1, got ${o.dModel}`);
  }
  if (!(Number.isInteger(o.warmup) && o.warmup >= 1)) {
    throw new HeedError(`noam schedule: warmup must be an integer >= 1, got ${o.warmup}`);
  }
  checkLr('noam', 'factor', factor);
  const scale = factor * o.dModel ** -0.5;
  const w = o.warmup ** -1.5;
  return (t) => {
    checkStep('noam', t);
    return scale * Math.min(t ** -0.5, t * w);
  };
}

/** What a scheduler needs of an optimizer: a settable learning rate. */
export interface HasLearningRate {
  lr: number;
}

/** The scheduler's state: how many updates have been made. */
export interface SchedulerState {
  stepCount: number;
}

/**
 * Sets the optimizer's learning rate from a schedule. It sets schedule(1) on construction; call
 * `step()` after each `optimizer.step()` to move to the next update's rate.
 */
export class LRScheduler {
  private stepCount = 0;
  private current = 0;

  constructor(
    readonly optimizer: HasLearningRate,
    readonly schedule: Schedule,
  ) {
    this.apply();
  }

  /** Updates made so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** The scheduled learning rate of the next update (before any group's lrScale). */
  get lr(): number {
    return this.current;
  }

  step(): void {
    this.stepCount++;
    this.apply();
  }

  stateDict(): SchedulerState {
    return { stepCount: this.stepCount };
  }

  loadStateDict(state: SchedulerState): void {
    if (!(Number.isInteger(state.stepCount) && state.stepCount >= 0)) {
      throw new HeedError(
        `LRScheduler.loadStateDict: stepCount must be an integer >= 0, got ${state.stepCount}`,
      );
    }
    this.stepCount = state.stepCount;
    this.apply();
  }

  private apply(): void {
    this.current = this.schedule(this.stepCount + 1);
    this.optimizer.lr = this.current;
  }
}
