import { readFileSync } from 'node:fs';
import { HeedError } from '../util/errors.js';
import { type Infer, v, validate } from '../util/validate.js';

/**
 * A run config: one JSON file under configs/ describing a whole experiment — the task, its data,
 * the model, the training and the evaluation. The task validates its own sections (`data`,
 * `model`, `eval`); `training` is a TrainerConfig plus the batch size. Every key can be
 * overridden on the command line with a dotted path: `--training.maxSteps=200`,
 * `--data.train=other.tsv`, `--output=runs/x`.
 */
export const taskNames = ['translation', 'classification', 'lm'] as const;
export type TaskName = (typeof taskNames)[number];

export const runConfigSchema = v.object({
  /** A short name for tables and logs (default: the file name). */
  name: v.optional(v.string()),
  /** What the run does. */
  task: v.oneOf(taskNames),
  /** Seed of the model's initialisation and the data split (training has its own seed). */
  seed: v.withDefault(v.int({ min: 0 }), 0),
  /** Where the data comes from and how it is tokenised (checked by the task). */
  data: v.record(v.json()),
  /** The model: `kind` plus its config (checked by the task). */
  model: v.record(v.json()),
  /** TrainerConfig keys plus `batchSize` (checked by the task). */
  training: v.record(v.json()),
  /** Evaluation options (checked by the task). */
  eval: v.withDefault(v.record(v.json()), {}),
  /** The checkpoint directory the run writes (and evaluation reads). */
  output: v.string(),
});

export type RunConfig = Infer<typeof runConfigSchema> & { name: string; source: string };

/**
 * Applies `--a.b.c=value` overrides to a parsed JSON config (in place). A value that parses as
 * JSON is used as such (numbers, booleans, arrays, objects, null); anything else is a string.
 */
export function applyOverrides(config: Record<string, unknown>, args: readonly string[]): void {
  for (const arg of args) {
    const m = /^--([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)=(.*)$/s.exec(arg);
    if (!m) throw new HeedError(`override '${arg}' must look like --key=value or --section.key=value`);
    const path = m[1].split('.');
    let target: Record<string, unknown> = config;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      if (next === undefined) target[key] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new HeedError(`override '${arg}': '${key}' is not a section of the config`);
      }
      target = target[key] as Record<string, unknown>;
    }
    target[path[path.length - 1]] = parseValue(m[2]);
  }
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Reads, overrides and validates a run config file. */
export function readRunConfig(path: string, overrides: readonly string[] = []): RunConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const why = e instanceof SyntaxError ? `not valid JSON (${e.message})` : 'cannot be read';
    throw new HeedError(`config ${path}: ${why}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HeedError(`config ${path}: must be a JSON object`);
  }
  const obj = raw as Record<string, unknown>;
  applyOverrides(obj, overrides);
  const c = validate(runConfigSchema, obj, path);
  const base = path.split('/').pop() ?? path;
  return { ...c, name: c.name ?? base.replace(/\.json$/, ''), source: path };
}
