import { HeedError } from '../../util/errors.js';

/**
 * Reads a model config (a JSON object, or an object literal typed as unknown) field by field.
 * Every failure is a one-line HeedError naming the model and the key:
 *   `AttentiveClassifier config: unknown key 'hidenSize' (valid: vocabSize, numClasses, …)`,
 *   `AttentiveClassifier config: dropout must be a number in [0, 1), got "0.2"`.
 * Unknown keys are checked up front, so a typo fails even when the misspelt field is optional.
 */
export class ConfigReader {
  private readonly fields: Record<string, unknown>;

  constructor(
    /** Names the model in messages. */
    readonly model: string,
    raw: unknown,
    readonly keys: readonly string[],
  ) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new HeedError(`${model} config: must be an object, got ${show(raw)}`);
    }
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (!keys.includes(key)) {
        throw new HeedError(`${model} config: unknown key '${key}' (valid: ${keys.join(', ')})`);
      }
      fields[key] = value;
    }
    this.fields = fields;
  }

  /** An integer ≥ min; required when no default is given. */
  int(key: string, fallback?: number, min = 1): number {
    const v = this.get(key, fallback);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw this.error(key, `an integer ≥ ${min}`, v);
    }
    return v;
  }

  /** A probability-like rate in [0, 1) (dropout). */
  rate(key: string, fallback: number): number {
    const v = this.get(key, fallback);
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw this.error(key, 'a number in [0, 1)', v);
    return v;
  }

  /** A number > 0 (a smoothing constant). */
  positive(key: string, fallback: number): number {
    const v = this.get(key, fallback);
    if (typeof v !== 'number' || !(v > 0 && Number.isFinite(v))) throw this.error(key, 'a number > 0', v);
    return v;
  }

  /** One of a fixed set of strings. */
  oneOf<T extends string>(key: string, options: readonly T[], fallback: T): T {
    const v = this.get(key, fallback);
    const found = options.find((o) => o === v);
    if (found === undefined) throw this.error(key, options.map((o) => `'${o}'`).join(' | '), v);
    return found;
  }

  /** An error about a key that passed its own check but conflicts with another. */
  fail(key: string, message: string): HeedError {
    return new HeedError(`${this.model} config: ${key} ${message}`);
  }

  private get(key: string, fallback: unknown): unknown {
    const v = this.fields[key];
    if (v !== undefined) return v;
    if (fallback === undefined) throw new HeedError(`${this.model} config: missing required key '${key}'`);
    return fallback;
  }

  private error(key: string, expected: string, got: unknown): HeedError {
    return new HeedError(`${this.model} config: ${key} must be ${expected}, got ${show(got)}`);
  }
}

/** A short rendering of a value for a message. */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
