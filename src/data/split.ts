import { HeedError } from '../util/errors.js';
import { Generator } from '../util/random.js';

/**
 * A shuffled copy of `items` (Fisher–Yates, drawing from `generator`, so the same seed gives the
 * same order). The input is left as it is.
 */
export function shuffle<T>(items: readonly T[], generator: Generator): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = generator.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A random permutation of 0..n-1 (torch.randperm). */
export function permutation(n: number, generator: Generator): number[] {
  return shuffle(
    Array.from({ length: n }, (_, i) => i),
    generator,
  );
}

export interface SplitOptions {
  /** Fraction for validation, in [0, 1). Default 0.1. */
  valid?: number;
  /** Fraction for test, in [0, 1). Default 0.1. */
  test?: number;
  /** Seed of a fresh Generator. Default 0, so an unseeded split is still reproducible. */
  seed?: number;
  /** Draw from this generator instead of a seeded one (advances it). */
  generator?: Generator;
}

export interface Split<T> {
  train: T[];
  valid: T[];
  test: T[];
}

/**
 * The index sets of a random split of n items: round(valid·n) for validation, round(test·n) for
 * test, the rest for training. Each part is in the random order of one permutation (as
 * torch.utils.data.random_split), so together they are disjoint and cover 0..n-1.
 */
export function splitIndices(n: number, options: SplitOptions = {}): Split<number> {
  const valid = fraction(options.valid, 0.1, 'valid');
  const test = fraction(options.test, 0.1, 'test');
  if (valid + test >= 1) {
    throw new HeedError(`trainValidTestSplit: valid + test must be below 1, got ${valid} + ${test}`);
  }
  const nValid = Math.round(valid * n);
  const nTest = Math.round(test * n);
  if (n > 0 && nValid + nTest >= n) {
    throw new HeedError(
      `trainValidTestSplit: ${n} items leave none for training after ${nValid} validation and ${nTest} test items`,
    );
  }
  const order = permutation(n, options.generator ?? new Generator(options.seed ?? 0));
  return {
    valid: order.slice(0, nValid),
    test: order.slice(nValid, nValid + nTest),
    train: order.slice(nValid + nTest),
  };
}

/** A seeded random split into train, validation and test parts: disjoint, covering, reproducible. */
export function trainValidTestSplit<T>(items: readonly T[], options: SplitOptions = {}): Split<T> {
  const idx = splitIndices(items.length, options);
  const pick = (ids: number[]): T[] => ids.map((i) => items[i]);
  return { train: pick(idx.train), valid: pick(idx.valid), test: pick(idx.test) };
}

function fraction(v: number | undefined, fallback: number, name: string): number {
  const f = v ?? fallback;
  if (!(f >= 0 && f < 1))
    throw new HeedError(`trainValidTestSplit: ${name} must be a fraction in [0, 1), got ${f}`);
  return f;
}
