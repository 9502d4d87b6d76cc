/**
 * Reads the JSONL training logs that heed's Trainer writes (`logFile`), or any log with one JSON
 * object per line holding a `step` and numeric fields, into one series per metric.
 */
import { readFileSync } from 'node:fs';
import { HeedError } from '../util/errors.js';

/** A point of a curve: [step, value]. */
export type Point = [number, number];

export interface TrainingLog {
  /** The path (or name) the log was read from, for messages and legends. */
  source: string;
  /** Metric → points sorted by step, in the order the metrics first appear in the log. */
  metrics: Map<string, Point[]>;
  /** Lines skipped, as 'file:line: why' (only a torn last line; see parseTrainingLog). */
  warnings: string[];
}

/**
 * Numeric fields of heed's Trainer records that describe the run rather than the model
 * (epoch counter, wall-clock seconds, token counts); `heed plot` leaves them out unless named.
 */
export const BOOKKEEPING_FIELDS: readonly string[] = ['epoch', 'elapsed', 'tokens', 'tokensPerSec'];

/**
 * Parses a JSONL training log.
 *
 * - Every line is a JSON object with a finite numeric `step`. Its other top-level fields that
 *   are finite numbers are samples of the metric of that name (`loss`, `lr`, `valid_loss`,
 *   `bleu`, ...); strings, booleans and `null` (how JSON writes NaN) are ignored.
 * - A nested `metrics` object (the Trainer's evaluation records:
 *   `{"type":"eval","step":40,"metrics":{"loss":2.1}}`) contributes its numeric fields as
 *   `<type>/<name>` (here `eval/loss`), or as `<name>` when the record has no string `type`, so
 *   an evaluation loss never merges with the training loss.
 * - A step logged twice (a run resumed from an earlier checkpoint appends to the same log)
 *   keeps its last value.
 * - Blank lines are skipped. Any other line that is not such an object is an error
 *   `file:line: why`, because a log with a hole in it should not be plotted as if it were
 *   whole, except the last line of a text that does not end in a newline: a run still writing,
 *   or killed mid-write, leaves a partial line there, which is skipped with a warning.
 */
export function parseTrainingLog(text: string, source: string): TrainingLog {
  const byMetric = new Map<string, Map<number, number>>();
  const warnings: string[] = [];
  const lines = text.split('\n');
  const tornTail = !text.endsWith('\n');
  const add = (name: string, step: number, value: unknown): void => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return;
    let series = byMetric.get(name);
    if (series === undefined) {
      series = new Map();
      byMetric.set(name, series);
    }
    series.set(step, value);
  };
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${source}:${index + 1}`;
    const isLast = index === lines.length - 1;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (e) {
      const why = `not valid JSON (${e instanceof Error ? e.message : String(e)})`;
      if (isLast && tornTail) {
        warnings.push(`${where}: skipped an unfinished last line: ${why}`);
        return;
      }
      throw new HeedError(`${where}: ${why}`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new HeedError(
        `${where}: expected a JSON object, got ${Array.isArray(record) ? 'an array' : JSON.stringify(record)}`,
      );
    }
    const fields = new Map(Object.entries(record));
    const step = fields.get('step');
    if (typeof step !== 'number' || !Number.isFinite(step)) {
      throw new HeedError(`${where}: no numeric 'step' field`);
    }
    const type = fields.get('type');
    for (const [key, value] of fields) {
      if (key === 'step') continue;
      if (key === 'metrics' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        for (const [name, v] of Object.entries(value)) {
          add(typeof type === 'string' ? `${type}/${name}` : name, step, v);
        }
      } else add(key, step, value);
    }
  });
  const metrics = new Map<string, Point[]>();
  for (const [name, series] of byMetric) {
    metrics.set(
      name,
      [...series].sort((a, b) => a[0] - b[0]),
    );
  }
  return { source, metrics, warnings };
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** Reads and parses a JSONL training log file (see parseTrainingLog for the format and errors). */
export function readTrainingLog(path: string): TrainingLog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    throw new HeedError(
      `cannot read training log '${path}' (${READ_ERRORS[code] ?? (err instanceof Error ? err.message : String(err))})`,
    );
  }
  return parseTrainingLog(text, path);
}
