import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '../../util/random.js';
import type { RunConfig } from '../run-config.js';
import type { TaskIO } from '../task.js';

/**
 * Test fixtures: a toy parallel corpus (sequences of the letters a–h, target = source reversed)
 * in temporary TSV files, and run configs over it that train in a second or two.
 */

/** `n` lines `a b c<TAB>c b a`, lengths 2–6, drawn under `seed`. */
export function reverseCorpus(n: number, seed: number): string {
  const gen = new Generator(seed);
  const letters = 'abcdefgh';
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 2 + gen.int(5) }, () => letters[gen.int(letters.length)]);
    lines.push(`${words.join(' ')}\t${[...words].reverse().join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A temporary directory with train/valid/test TSVs of the reverse corpus; `cleanup` removes it. */
export function toyData(): { dir: string; train: string; valid: string; test: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'heed-translation-'));
  const file = (name: string, n: number, seed: number) => {
    const path = join(dir, name);
    writeFileSync(path, reverseCorpus(n, seed));
    return path;
  };
  return {
    dir,
    train: file('train.tsv', 600, 1),
    valid: file('valid.tsv', 40, 2),
    test: file('test.tsv', 60, 3),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A run config over the toy data; `model` and `training` keys replace the defaults. */
export function toyConfig(
  data: { dir: string; train: string; valid: string; test: string },
  opts: {
    model?: Record<string, unknown>;
    training?: Record<string, unknown>;
    eval?: Record<string, unknown>;
    name?: string;
  } = {},
): RunConfig {
  const name = opts.name ?? 'toy';
  return {
    name,
    source: 'toy.json',
    task: 'translation',
    seed: 3,
    data: { kind: 'tsv', train: data.train, valid: data.valid, test: data.test },
    model: opts.model ?? {
      kind: 'seq2seq',
      embedDim: 16,
      hiddenSize: 32,
      attention: 'additive',
      dropout: 0,
    },
    training: {
      batchSize: 32,
      maxSteps: 150,
      evalEvery: 75,
      progress: 'none',
      optimizer: { name: 'adam', lr: 0.01 },
      ...opts.training,
    },
    eval: { validBleuSize: 20, ...opts.eval },
    output: join(data.dir, name),
  };
}

/** A TaskIO that keeps the lines it is given. */
export function memoryIO(): TaskIO & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}
