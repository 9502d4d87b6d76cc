import { readFileSync } from 'node:fs';
import { HeedError } from './errors.js';

/**
 * A small schema validator for JSON configs. A schema is built from validators
 * (`v.number()`, `v.object({ … })`, …) and turns an unknown JSON value into a typed value, or
 * throws one HeedError whose single line names the file, the key path and the expected type:
 *
 *   const schema = v.object({ lr: v.number({ gt: 0 }), betas: v.withDefault(v.array(v.number()), [0.9, 0.999]) });
 *   const opts = validate(schema, JSON.parse(text), 'train.json'); // { lr: number; betas: number[] }
 *   // train.json: optimizer.lr must be a number > 0, got "0.1" (a string)
 *
 * Objects are strict: an unknown key is an error (with the nearest known key suggested).
 */

/** Turns an unknown value into T, or throws a HeedError naming `path`. */
export interface Validator<T> {
  /** What a valid value is, as a message reads it: "an integer >= 1", "'min' | 'max'". */
  readonly expected: string;
  parse(value: unknown, path: string): T;
  /** The value an object takes when the key is absent (a default). */
  readonly fallback?: () => T;
  /** The key may be absent (and then stays absent). */
  readonly optional?: boolean;
}

/** A validator whose key may be absent from its object. */
export interface OptionalValidator<T> extends Validator<T | undefined> {
  readonly optional: true;
}

/** The type a validator produces. */
export type Infer<V> = V extends Validator<infer T> ? T : never;

type Fields = Record<string, Validator<unknown>>;
type OptionalKeys<F extends Fields> = {
  [K in keyof F]: F[K] extends { readonly optional: true } ? K : never;
}[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The object type of a field map: optional validators give optional keys. */
export type ObjectOf<F extends Fields> = Simplify<
  { [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & {
    [K in OptionalKeys<F>]?: Exclude<Infer<F[K]>, undefined>;
  }
>;

/** The error every validator throws: `<path> must be <expected>, got <value>`. */
function fail(path: string, expected: string, value: unknown): never {
  throw new HeedError(`${path} must be ${expected}, got ${showValue(value)}`);
}

/** A short, one-line rendering of a JSON value for messages. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    const s = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    return `${s} (a string)`;
  }
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface NumberBounds {
  /** value >= min */
  min?: number;
  /** value <= max */
  max?: number;
  /** value > gt */
  gt?: number;
  /** value < lt */
  lt?: number;
}

function boundsText(b: NumberBounds): string {
  const parts: string[] = [];
  if (b.gt !== undefined) parts.push(`> ${b.gt}`);
  if (b.min !== undefined) parts.push(`>= ${b.min}`);
  if (b.lt !== undefined) parts.push(`< ${b.lt}`);
  if (b.max !== undefined) parts.push(`<= ${b.max}`);
  return parts.length === 0 ? '' : ` ${parts.join(' and ')}`;
}

function inBounds(x: number, b: NumberBounds): boolean {
  return (
    (b.min === undefined || x >= b.min) &&
    (b.max === undefined || x <= b.max) &&
    (b.gt === undefined || x > b.gt) &&
    (b.lt === undefined || x < b.lt)
  );
}

/** A finite number, optionally bounded. */
function number(bounds: NumberBounds = {}): Validator<number> {
  const expected = `a number${boundsText(bounds)}`;
  return {
    expected,
    parse(value, path) {
      if (typeof value !== 'number' || !Number.isFinite(value) || !inBounds(value, bounds)) {
        fail(path, expected, value);
      }
      return value;
    },
  };
}

/** An integer, optionally bounded. */
function int(bounds: NumberBounds = {}): Validator<number> {
  const expected = `an integer${boundsText(bounds)}`;
  return {
    expected,
    parse(value, path) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || !inBounds(value, bounds)) {
        fail(path, expected, value);
      }
      return value;
    },
  };
}

function string(opts: { nonEmpty?: boolean } = {}): Validator<string> {
  const expected = opts.nonEmpty ? 'a non-empty string' : 'a string';
  return {
    expected,
    parse(value, path) {
      if (typeof value !== 'string' || (opts.nonEmpty && value.length === 0)) fail(path, expected, value);
      return value;
    },
  };
}

function boolean(): Validator<boolean> {
  return {
    expected: 'true or false',
    parse(value, path) {
      if (typeof value !== 'boolean') fail(path, 'true or false', value);
      return value;
    },
  };
}

/** One of a fixed set of strings. */
function oneOf<const T extends readonly string[]>(options: T): Validator<T[number]> {
  const expected = options.map((o) => `'${o}'`).join(' | ');
  return {
    expected,
    parse(value, path) {
      const found = options.find((o) => o === value);
      if (found === undefined) fail(path, expected, value);
      return found;
    },
  };
}

/** An array of items, optionally of a fixed or minimum length. */
function array<T>(item: Validator<T>, opts: { length?: number; minLength?: number } = {}): Validator<T[]> {
  const size =
    opts.length !== undefined
      ? ` of ${opts.length}`
      : opts.minLength !== undefined
        ? ` of at least ${opts.minLength}`
        : '';
  const expected = `an array${size} (${item.expected})`;
  return {
    expected,
    parse(value, path) {
      if (
        !Array.isArray(value) ||
        (opts.length !== undefined && value.length !== opts.length) ||
        (opts.minLength !== undefined && value.length < opts.minLength)
      ) {
        fail(path, expected, value);
      }
      return value.map((e, i) => item.parse(e, `${path}[${i}]`));
    },
  };
}

/** A fixed-length array whose items each have their own validator, e.g. Adam's betas. */
function tuple<const T extends readonly Validator<unknown>[]>(
  items: T,
): Validator<{ -readonly [K in keyof T]: Infer<T[K]> }> {
  const expected = `an array of ${items.length} (${items.map((i) => i.expected).join(', ')})`;
  return {
    expected,
    parse(value, path) {
      if (!Array.isArray(value) || value.length !== items.length) fail(path, expected, value);
      // Each position was checked by the validator at the same position of the tuple type.
      return items.map((item, i) => item.parse(value[i], `${path}[${i}]`)) as {
        -readonly [K in keyof T]: Infer<T[K]>;
      };
    },
  };
}

/** An object with free keys and values of one kind (e.g. a map of metric names to numbers). */
function record<T>(item: Validator<T>): Validator<Record<string, T>> {
  const expected = `an object (of ${item.expected})`;
  return {
    expected,
    parse(value, path) {
      if (!isPlainObject(value)) fail(path, expected, value);
      const out: Record<string, T> = {};
      for (const [k, e] of Object.entries(value)) out[k] = item.parse(e, `${path}.${k}`);
      return out;
    },
  };
}

/** Any JSON value, passed through (a caller-defined config). */
function json(): Validator<unknown> {
  return { expected: 'a JSON value', parse: (value) => value };
}

/**
 * An object with exactly these keys: an absent key takes its default or stays absent when its
 * validator is optional, and is an error otherwise; an unknown key is an error.
 */
function object<F extends Fields>(fields: F): Validator<ObjectOf<F>> {
  const known = Object.keys(fields);
  return {
    expected: 'an object',
    parse(value, path) {
      if (!isPlainObject(value)) fail(path, 'an object', value);
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(fields, key)) {
          const near = nearest(key, known);
          const hint = near === undefined ? '' : `; did you mean "${near}"?`;
          throw new HeedError(
            `${path}: unknown key "${key}" (expected ${known.map((k) => `"${k}"`).join(', ')})${hint}`,
          );
        }
      }
      const out: Record<string, unknown> = {};
      for (const key of known) {
        const field = fields[key];
        const sub = `${path}.${key}`;
        const raw = value[key];
        if (raw === undefined) {
          if (field.fallback) out[key] = field.fallback();
          else if (!field.optional) throw new HeedError(`${sub} is missing (${field.expected})`);
          continue;
        }
        out[key] = field.parse(raw, sub);
      }
      // The loop gave every required key a value checked by its own validator.
      return out as ObjectOf<F>;
    },
  };
}

/** The key may be absent; a value that is present must be valid. */
function optional<T>(item: Validator<T>): OptionalValidator<T> {
  return { expected: item.expected, optional: true, parse: (value, path) => item.parse(value, path) };
}

/** The key may be absent and then takes `value` (copied, so defaults are never shared). */
function withDefault<T>(item: Validator<T>, value: T): Validator<T> {
  return { expected: item.expected, fallback: () => structuredClone(value), parse: item.parse };
}

/** The schema builders. */
export const v = {
  number,
  int,
  string,
  boolean,
  oneOf,
  array,
  tuple,
  record,
  json,
  object,
  optional,
  withDefault,
};

/**
 * Validates a JSON value. `source` names the file (or "config") and prefixes every message;
 * `root` names the top-level value in paths (e.g. `config.optimizer.lr`).
 */
export function validate<T>(schema: Validator<T>, value: unknown, source: string, root = 'config'): T {
  try {
    return schema.parse(value, root);
  } catch (e) {
    if (e instanceof HeedError) throw new HeedError(`${source}: ${e.message}`);
    throw e;
  }
}

/** Reads a JSON file and validates it: a missing file or bad JSON is a one-line HeedError too. */
export function readJsonFile<T>(path: string, schema: Validator<T>, root = 'config'): T {
  return validate(schema, readJson(path), path, root);
}

/** Reads and parses a JSON file, with one-line errors for a missing file and bad JSON. */
export function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : '';
    throw new HeedError(
      code === 'ENOENT' ? `${path}: file not found` : `${path}: cannot read (${code || e})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HeedError(`${path}: bad JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The known key closest to a misspelt one (edit distance ≤ 2, or a case-only difference). */
function nearest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, k);
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
