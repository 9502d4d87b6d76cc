/**
 * What the trainer shows while it runs: on a terminal a single status line redrawn in place
 * (step/total, smoothed loss, lr, tokens/s, ETA); elsewhere (a file, CI) a plain line every N
 * steps. Evaluation results always get a line of their own.
 */

/** Where progress goes: process.stderr or anything that looks like it. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

/** One training step as the display sees it. */
export interface StepStatus {
  step: number;
  /** Total steps when known (maxSteps, or maxEpochs × batches per epoch after one epoch). */
  total: number | null;
  epoch: number;
  loss: number;
  lr: number;
  /** Tokens per second over this run so far (null when lossFn reports no token counts). */
  tokensPerSec: number | null;
  /** Seconds per step over this run so far. */
  secondsPerStep: number;
}

const BAR_WIDTH = 20;
const REDRAW_MS = 100;

export class ProgressDisplay {
  private readonly mode: 'bar' | 'lines' | 'none';
  private smoothed = 0;
  private weight = 0;
  private lastDraw = 0;
  private barShown = false;

  constructor(
    mode: ProgressMode,
    private readonly out: ProgressOutput,
    private readonly every: number,
  ) {
    this.mode = mode === 'auto' ? (out.isTTY ? 'bar' : 'lines') : mode;
  }

  /** The loss averaged exponentially over recent steps (β = 0.9, bias-corrected). */
  get smoothedLoss(): number {
    return this.weight === 0 ? Number.NaN : this.smoothed / this.weight;
  }

  step(s: StepStatus): void {
    this.smoothed = 0.9 * this.smoothed + 0.1 * s.loss;
    this.weight = 0.9 * this.weight + 0.1;
    if (this.mode === 'lines') {
      if (s.step % this.every === 0 || s.step === s.total) this.out.write(`${this.describe(s)}\n`);
    } else if (this.mode === 'bar') {
      const now = Date.now();
      if (now - this.lastDraw >= REDRAW_MS || s.step === s.total) {
        this.lastDraw = now;
        this.draw(this.describe(s, true));
      }
    }
  }

  /** A line of its own (evaluation results, stop reasons), above the bar. */
  message(text: string): void {
    if (this.mode === 'none') return;
    this.clearBar();
    this.out.write(`${text}\n`);
  }

  /** Leaves the last bar on screen and moves to a fresh line. */
  finish(): void {
    if (this.barShown) this.out.write('\n');
    this.barShown = false;
  }

  private describe(s: StepStatus, bar = false): string {
    const parts: string[] = [];
    const count = s.total === null ? `step ${s.step}` : `step ${s.step}/${s.total}`;
    if (bar && s.total !== null) {
      const filled = Math.min(BAR_WIDTH, Math.round((s.step / s.total) * BAR_WIDTH));
      parts.push(`${count} ${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`);
    } else {
      parts.push(count);
    }
    parts.push(`epoch ${s.epoch}`, `loss ${fmt(this.smoothedLoss)}`, `lr ${s.lr.toExponential(2)}`);
    if (s.tokensPerSec !== null) parts.push(`${fmtRate(s.tokensPerSec)} tok/s`);
    if (s.total !== null) parts.push(`ETA ${fmtDuration(Math.max(0, s.total - s.step) * s.secondsPerStep)}`);
    return parts.join(' | ');
  }

  private draw(line: string): void {
    const width = (this.out.columns ?? 120) - 1;
    this.out.write(`\r\x1b[K${line.length > width ? line.slice(0, width) : line}`);
    this.barShown = true;
  }

  private clearBar(): void {
    if (this.barShown) this.out.write('\r\x1b[K');
    this.barShown = false;
  }
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

function fmtRate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
}

/** 0:42, 12:03, 1:02:03. */
export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
