import { readFileSync, writeFileSync } from 'node:fs';
import { HeedError } from '../util/errors.js';

/**
 * Checks for the JSON files of the data toolkit (vocabularies, tokenizers). Every failure is a
 * one-line HeedError that names the file (or "vocab JSON" when there is none) and the field,
 * e.g. `data/bpe.json: merges[3] must be a pair of non-empty strings`.
 */

/** A plain JSON object (not an array, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a JSON value is, for messages: "an array", "null", "a number". */
export function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** `v` as an object whose keys are all in `allowed` and which has every key in `required`. */
export function expectObject(
  v: unknown,
  source: string,
  what: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (!isRecord(v)) throw new HeedError(`${source}: ${what} must be an object, got ${describeJson(v)}`);
  for (const key of required) {
    if (!(key in v)) throw new HeedError(`${source}: ${what} has no "${key}" field`);
  }
  for (const key of Object.keys(v)) {
    if (!required.includes(key) && !optional.includes(key)) {
      const known = [...required, ...optional].map((k) => `"${k}"`).join(', ');
      throw new HeedError(`${source}: ${what} has an unknown field "${key}" (expected ${known})`);
    }
  }
  return v;
}

export function expectString(v: unknown, source: string, field: string, nonEmpty = true): string {
  if (typeof v !== 'string' || (nonEmpty && v.length === 0)) {
    throw new HeedError(
      `${source}: ${field} must be a ${nonEmpty ? 'non-empty ' : ''}string, got ${show(v)}`,
    );
  }
  return v;
}

export function expectBoolean(v: unknown, source: string, field: string): boolean {
  if (typeof v !== 'boolean')
    throw new HeedError(`${source}: ${field} must be true or false, got ${show(v)}`);
  return v;
}

/** One of a fixed set of strings. */
export function expectOneOf<T extends string>(
  v: unknown,
  options: readonly T[],
  source: string,
  field: string,
): T {
  const found = options.find((o) => o === v);
  if (found === undefined) {
    const list = options.map((o) => `'${o}'`).join(' | ');
    throw new HeedError(`${source}: ${field} must be ${list}, got ${show(v)}`);
  }
  return found;
}

export function expectStringArray(v: unknown, source: string, field: string): string[] {
  if (!Array.isArray(v)) throw new HeedError(`${source}: ${field} must be an array, got ${describeJson(v)}`);
  return v.map((e, i) => expectString(e, source, `${field}[${i}]`));
}

/** The format version: only `version` is understood. */
export function expectVersion(v: unknown, version: number, source: string): void {
  if (v !== version) {
    throw new HeedError(
      `${source}: version ${show(v)} is not supported (this heed reads version ${version})`,
    );
  }
}

/** A short rendering of a JSON value for an error message. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Reads and parses a JSON file; a missing file or invalid JSON is a one-line HeedError. */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new HeedError(`cannot read ${what} ${path}: ${fsReason(e)}`);
  }
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new HeedError(`${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * Writes an object as JSON, one top-level field per line and one array element per line
 * (`["e","s"],`), so a vocabulary or merge list diffs and greps well.
 */
export function writeJsonFile(path: string, value: Record<string, unknown>, what: string): void {
  const fields = Object.entries(value).map(([key, v]) => {
    const body = Array.isArray(v)
      ? v.length === 0
        ? '[]'
        : `[\n${v.map((e) => `  ${JSON.stringify(e)}`).join(',\n')}\n ]`
      : JSON.stringify(v);
    return ` ${JSON.stringify(key)}: ${body}`;
  });
  try {
    writeFileSync(path, `{\n${fields.join(',\n')}\n}\n`);
  } catch (e) {
    throw new HeedError(`cannot write ${what} ${path}: ${fsReason(e)}`);
  }
}

/** The reason of a file-system error in words: "no such file", "is a directory". */
export function fsReason(e: unknown): string {
  const code = isRecord(e) ? e.code : undefined;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a parent of it is not a directory';
    default:
      return e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
}
