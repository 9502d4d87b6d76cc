import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '../../util/random.js';
import { type RunConfig, readRunConfig } from '../run-config.js';
import type { TaskIO } from '../task.js';

/** Helpers of the task tests (not exported from the package index). */

const NEUTRAL = [
  'meeting',
  'tomorrow',
  'project',
  'report',
  'lunch',
  'team',
  'update',
  'code',
  'review',
  'thanks',
  'schedule',
  'notes',
];
const KEYWORDS = ['winner', 'prize', 'free', 'cash'];

/**
 * The toy keyword spam set: texts of 4–9 neutral words; spam texts carry one keyword at a random
 * place (and a "!"). A model that finds the keyword is right every time.
 */
export function keywordSpam(n: number, seed: number): { text: string; label: string }[] {
  const gen = new Generator(seed);
  return Array.from({ length: n }, (_, i) => {
    const words = Array.from({ length: 4 + gen.int(6) }, () => NEUTRAL[gen.int(NEUTRAL.length)]);
    const spam = i % 2 === 1;
    if (spam) words.splice(gen.int(words.length + 1), 0, `${KEYWORDS[gen.int(KEYWORDS.length)]}!`);
    return { text: words.join(' '), label: spam ? 'spam' : 'ham' };
  });
}

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes labelled examples as JSON Lines. */
export function writeJsonl(path: string, examples: readonly { text: string; label: string }[]): string {
  writeFileSync(path, examples.map((e) => JSON.stringify({ ...e, id: 'x' })).join('\n'));
  return path;
}

/** Writes a run config file and reads it back as `heed train` would (with overrides). */
export function runConfig(dir: string, name: string, config: unknown, overrides: string[] = []): RunConfig {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return readRunConfig(path, overrides);
}

/** A TaskIO that keeps the lines. */
export function quietIO(): TaskIO & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}
