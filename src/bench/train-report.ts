/**
 * The report of `heed bench train`, kept free of I/O so it can be tested on canned output:
 * reading bench/torch_train.py's JSON lines, joining them to heed's figures, printing the table.
 */
import { fmtMs, num, readTorchRun, str, type TorchRun } from './layers-report.js';

/** heed's training throughput on one case (train.ts). */
export interface HeedTrainMeasurement {
  case: string;
  /** The sizes, written as torch_train.py writes them (the merge checks they agree). */
  shape: string;
  /** Distinct trainable parameters (a tied matrix counts once). */
  params: number;
  /** Tokens one step trains on: target tokens (seq2seq), batch × context (GPT). */
  tokensPerStep: number;
  /** Timed steps. */
  steps: number;
  /** Mean milliseconds per timed step (the throughput's basis). */
  heedMs: number;
  heedMedianMs: number;
  /** The loss of the first (untimed) step: about ln V on both sides at initialisation. */
  firstLoss: number;
}

/** One case from torch_train.py. */
export interface TorchTrainMeasurement {
  case: string;
  shape?: string;
  /** Mean milliseconds per timed step. */
  torchMs?: number;
  medianMs?: number;
  tokensPerSec?: number;
  tokensPerStep?: number;
  params?: number;
  steps?: number;
  firstLoss?: number;
  error?: string;
}

/** What torch_train.py printed. */
export type TorchTrainOutput = TorchRun<TorchTrainMeasurement>;

/** Reads torch_train.py's stdout: a header line, then one line per case (non-JSON lines skipped). */
export function parseTorchTrainOutput(stdout: string): TorchTrainOutput {
  return readTorchRun<TorchTrainMeasurement>(stdout, (name, o, cases) => {
    const m: TorchTrainMeasurement = { case: name };
    const shape = str(o, 'shape');
    const error = str(o, 'error');
    if (shape !== undefined) m.shape = shape;
    if (error !== undefined) m.error = error;
    for (const key of [
      'torchMs',
      'medianMs',
      'tokensPerSec',
      'tokensPerStep',
      'params',
      'steps',
      'firstLoss',
    ] as const) {
      const v = num(o, key);
      if (v !== undefined) m[key] = v;
    }
    cases.set(name, m);
  });
}

/** One row of the report, as printed with --json. */
export interface TrainRecord {
  case: string;
  shape: string;
  threads: number;
  steps: number;
  tokensPerStep: number;
  heedTokensPerSec: number;
  torchTokensPerSec: number | null;
  /** heedTokensPerSec / torchTokensPerSec: above 1, heed trains faster. */
  ratio: number | null;
  heedMsPerStep: number;
  torchMsPerStep: number | null;
  heedMedianMs: number;
  torchMedianMs: number | null;
  heedParams: number;
  torchParams: number | null;
  heedFirstLoss: number;
  torchFirstLoss: number | null;
  /** Why a torch figure or the ratio is missing, when it is. */
  note?: string;
}

/**
 * Joins heed's figures with torch's (null when torch did not run) by case name. A torch result
 * whose shape differs from heed's is dropped with a note; one whose parameter count differs is
 * shown but not compared (ratio null): the mirror is not the same model.
 */
export function mergeTrainRecords(
  heed: readonly HeedTrainMeasurement[],
  torch: TorchTrainOutput | null,
  threads: number,
): TrainRecord[] {
  return heed.map((h) => {
    const t = torch?.cases.get(h.case);
    const notes: string[] = [];
    let ok = t?.torchMs !== undefined;
    if (torch !== null && t === undefined) notes.push(`torch: no result for '${h.case}'`);
    if (t?.error !== undefined) notes.push(`torch: ${t.error}`);
    if (t?.shape !== undefined && t.shape !== h.shape) {
      notes.push(`torch shape ${t.shape} differs from heed's ${h.shape}`);
      ok = false;
    }
    const torchParams = ok ? (t?.params ?? null) : null;
    const sameModel = torchParams === h.params;
    if (torchParams !== null && !sameModel) {
      notes.push(
        `parameter counts differ (heed ${h.params}, torch ${torchParams}): the mirror is a different model`,
      );
    }
    const torchMs = ok ? (t?.torchMs ?? null) : null;
    const heedTokensPerSec = (1000 * h.tokensPerStep) / h.heedMs;
    // torch's own tokens per step, should it ever differ from heed's.
    const torchTokensPerSec =
      torchMs === null ? null : (1000 * (t?.tokensPerStep ?? h.tokensPerStep)) / torchMs;
    const rec: TrainRecord = {
      case: h.case,
      shape: h.shape,
      threads,
      steps: h.steps,
      tokensPerStep: h.tokensPerStep,
      heedTokensPerSec,
      torchTokensPerSec,
      ratio: torchTokensPerSec === null || !sameModel ? null : heedTokensPerSec / torchTokensPerSec,
      heedMsPerStep: h.heedMs,
      torchMsPerStep: torchMs,
      heedMedianMs: h.heedMedianMs,
      torchMedianMs: ok ? (t?.medianMs ?? null) : null,
      heedParams: h.params,
      torchParams,
      heedFirstLoss: h.firstLoss,
      torchFirstLoss: ok ? (t?.firstLoss ?? null) : null,
    };
    if (notes.length > 0) rec.note = notes.join('; ');
    return rec;
  });
}

/** An integer with thousands separators (1,234,567); — for none. */
export function fmtCount(n: number | null): string {
  return n === null ? '—' : String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The human-readable report: a table, then the notes. */
export function formatTrainTable(records: readonly TrainRecord[]): string {
  const row = (cells: string[]): string =>
    `${cells[0].padEnd(22)}${cells
      .slice(1)
      .map((c) => c.padStart(14))
      .join('')}`.trimEnd();
  const header = [
    'case',
    'heed tok/s',
    'torch tok/s',
    'ratio',
    'heed ms',
    'torch ms',
    'heed params',
    'torch params',
  ];
  const lines = [row(header)];
  for (const r of records) {
    lines.push(
      row([
        r.case,
        fmtCount(r.heedTokensPerSec),
        fmtCount(r.torchTokensPerSec),
        r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
        fmtMs(r.heedMsPerStep),
        fmtMs(r.torchMsPerStep),
        fmtCount(r.heedParams),
        fmtCount(r.torchParams),
      ]),
    );
  }
  for (const r of records) if (r.note !== undefined) lines.push(`note: ${r.case}: ${r.note}`);
  return `${lines.join('\n')}\n`;
}
