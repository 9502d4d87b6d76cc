/**
 * The report of `heed bench layers`, kept free of I/O so it can be tested on canned output:
 * reading bench/torch_layers.py's JSON lines, joining them to heed's figures, printing the table.
 */

/** heed's timing of one case. */
export interface HeedMeasurement {
  case: string;
  shape: string;
  torchCase: string;
  scoresMB: number | null;
  heedMs: number;
  heedMinMs: number;
  heedRuns: number;
}

/** heed's peak memory of one case, from measureHeedMemory (layers.ts). */
export interface HeedMemory {
  case: string;
  /** Peak RSS growth in MB (1e6 bytes); null where /proc/self/clear_refs cannot be written. */
  heedPeakMB: number | null;
  /** Growth of ArrayBuffer bytes, sampled after forward and after backward, in MB. */
  heedTypedMB: number;
}

/** One case from torch_layers.py; fields from several lines of the same case are merged. */
export interface TorchMeasurement {
  case: string;
  shape?: string;
  torchMs?: number;
  minMs?: number;
  runs?: number;
  torchPeakMB?: number | null;
  error?: string;
  memoryError?: string;
}

/** What torch_layers.py printed. */
/** What a torch benchmark script printed: its header (version, threads or error) and one entry per case. */
export interface TorchRun<M> {
  version: string | null;
  threads: number | null;
  cases: Map<string, M>;
  /** Set when torch could not run at all (e.g. import failed). */
  error: string | null;
}

export type TorchOutput = TorchRun<TorchMeasurement>;

/**
 * Reads a torch script's stdout: a JSON line without `case` is the header; every other JSON line
 * goes to `onCase` with its case name (non-JSON lines are skipped).
 */
export function readTorchRun<M>(
  stdout: string,
  onCase: (name: string, o: Record<string, unknown>, cases: Map<string, M>) => void,
): TorchRun<M> {
  const res: TorchRun<M> = { version: null, threads: null, cases: new Map(), error: null };
  for (const o of jsonLines(stdout)) {
    const name = str(o, 'case');
    if (name === undefined) {
      res.version = str(o, 'torch') ?? res.version;
      res.threads = num(o, 'threads') ?? res.threads;
      res.error = str(o, 'error') ?? res.error;
    } else {
      onCase(name, o, res.cases);
    }
  }
  return res;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A finite number field, else undefined. */
export function num(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A string field, else undefined. */
export function str(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

/** The JSON objects among `text`'s lines (anything else, e.g. a stray warning, is skipped). */
export function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (isObject(v)) out.push(v);
    } catch {
      // not JSON: skipped
    }
  }
  return out;
}

/** Reads torch_layers.py's stdout. */
export function parseTorchOutput(stdout: string): TorchOutput {
  return readTorchRun<TorchMeasurement>(stdout, (name, o, cases) => {
    // A later line adds to its case (the memory line comes after all the timings).
    const m: TorchMeasurement = cases.get(name) ?? { case: name };
    const [shape, error, memoryError] = [str(o, 'shape'), str(o, 'error'), str(o, 'memoryError')];
    const [torchMs, minMs, runs] = [num(o, 'torchMs'), num(o, 'minMs'), num(o, 'runs')];
    if (shape !== undefined) m.shape = shape;
    if (torchMs !== undefined) m.torchMs = torchMs;
    if (minMs !== undefined) m.minMs = minMs;
    if (runs !== undefined) m.runs = runs;
    if ('torchPeakMB' in o) m.torchPeakMB = num(o, 'torchPeakMB') ?? null; // null: not measurable
    if (error !== undefined) m.error = error;
    if (memoryError !== undefined) m.memoryError = memoryError;
    cases.set(name, m);
  });
}

/** One row of the report, as printed with --json. */
export interface LayerRecord {
  case: string;
  shape: string;
  threads: number;
  heedMs: number;
  torchMs: number | null;
  /** torchMs / heedMs: above 1, heed is faster. */
  ratio: number | null;
  heedMinMs: number;
  torchMinMs: number | null;
  heedRuns: number;
  torchRuns: number | null;
  /** Attention cases only, in MB (1e6 bytes). */
  heedPeakMB?: number | null;
  heedTypedMB?: number | null;
  torchPeakMB?: number | null;
  /** One [B·H, T, T] float32 matrix, for scale. */
  scoresMB?: number;
  /** Why a torch figure is missing, when it is. */
  note?: string;
}

/**
 * Joins heed's figures with torch's (null when torch did not run) by each case's torchCase. A
 * torch result whose shape differs from heed's is dropped with a note rather than compared.
 */
export function mergeRecords(
  heed: readonly HeedMeasurement[],
  memory: readonly HeedMemory[],
  torch: TorchOutput | null,
  threads: number,
): LayerRecord[] {
  return heed.map((h) => {
    const t = torch?.cases.get(h.torchCase);
    const notes: string[] = [];
    let ok = t !== undefined && t.torchMs !== undefined;
    if (torch !== null && t === undefined) notes.push(`torch: no result for '${h.torchCase}'`);
    if (t?.error !== undefined) notes.push(`torch: ${t.error}`);
    if (t?.shape !== undefined && t.shape !== h.shape) {
      notes.push(`torch shape ${t.shape} differs from heed's ${h.shape}`);
      ok = false;
    }
    const torchMs = ok ? (t?.torchMs ?? null) : null;
    const rec: LayerRecord = {
      case: h.case,
      shape: h.shape,
      threads,
      heedMs: h.heedMs,
      torchMs,
      ratio: torchMs === null ? null : torchMs / h.heedMs,
      heedMinMs: h.heedMinMs,
      torchMinMs: ok ? (t?.minMs ?? null) : null,
      heedRuns: h.heedRuns,
      torchRuns: ok ? (t?.runs ?? null) : null,
    };
    if (h.scoresMB !== null) {
      const mem = memory.find((m) => m.case === h.case);
      rec.heedPeakMB = mem?.heedPeakMB ?? null;
      rec.heedTypedMB = mem?.heedTypedMB ?? null;
      rec.torchPeakMB = ok ? (t?.torchPeakMB ?? null) : null;
      rec.scoresMB = h.scoresMB;
      if (t?.memoryError !== undefined) notes.push(`torch memory: ${t.memoryError}`);
    }
    if (notes.length > 0) rec.note = notes.join('; ');
    return rec;
  });
}

/** Milliseconds with three significant figures or so; — for none. */
export function fmtMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function fmtMB(mb: number | null | undefined): string {
  return mb === undefined ? '' : mb === null ? '—' : mb.toFixed(1);
}

/** The human-readable report: a table, then the notes. */
export function formatTable(records: readonly LayerRecord[]): string {
  const row = (cells: string[]): string =>
    `${cells[0].padEnd(26)}${cells
      .slice(1)
      .map((c) => c.padStart(10))
      .join('')}`.trimEnd();
  const lines = [row(['case', 'heed ms', 'torch ms', 'ratio', 'heed MB', 'torch MB', 'T² MB'])];
  for (const r of records) {
    lines.push(
      row([
        r.case,
        fmtMs(r.heedMs),
        fmtMs(r.torchMs),
        r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
        fmtMB(r.heedPeakMB),
        fmtMB(r.torchPeakMB),
        fmtMB(r.scoresMB),
      ]),
    );
  }
  for (const r of records) if (r.note !== undefined) lines.push(`note: ${r.case}: ${r.note}`);
  return `${lines.join('\n')}\n`;
}
