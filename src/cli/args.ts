import { HeedError } from '../util/errors.js';

/**
 * Splits a verb's arguments into positionals, `--flag value` / `--flag=value` options and
 * dotted config overrides. `flags` lists the options that take a value; `switches` those that
 * don't. Anything else starting with `--` and containing a dot is a config override.
 */
export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string>;
  switches: Set<string>;
  overrides: string[];
}

export function parseArgs(
  verb: string,
  args: readonly string[],
  flags: readonly string[],
  switches: readonly string[] = [],
): ParsedArgs {
  const out: ParsedArgs = { positionals: [], options: new Map(), switches: new Set(), overrides: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
    if (switches.includes(name)) {
      if (eq !== -1) throw new HeedError(`${verb}: --${name} takes no value`);
      out.switches.add(name);
    } else if (flags.includes(name)) {
      const value = eq === -1 ? args[++i] : a.slice(eq + 1);
      if (value === undefined) throw new HeedError(`${verb}: --${name} needs a value`);
      out.options.set(name, value);
    } else if (eq !== -1 && (name.includes('.') || /^[a-z]\w*$/i.test(name))) {
      out.overrides.push(a);
    } else {
      const known = [...flags, ...switches].map((f) => `--${f}`).join(', ');
      throw new HeedError(`${verb}: unknown option --${name}${known ? ` (options: ${known})` : ''}`);
    }
  }
  return out;
}

/** A numeric option, validated. */
export function numberOption(
  verb: string,
  args: ParsedArgs,
  name: string,
  fallback: number,
  integer = false,
): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new HeedError(`${verb}: --${name} must be ${integer ? 'an integer' : 'a number'}, got '${raw}'`);
  }
  return n;
}
