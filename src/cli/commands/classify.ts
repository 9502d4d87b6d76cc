import { readFileSync } from 'node:fs';
import { type Classification, loadClassifier } from '../../tasks/classification/classifier.js';
import { HeedError } from '../../util/errors.js';
import { parseArgs } from '../args.js';
import type { Command } from '../command.js';

const USAGE = 'heed classify CHECKPOINT [TEXT] [--json]';

/** The non-blank lines of standard input. */
function stdinLines(): string[] {
  let text: string;
  try {
    text = readFileSync(0, 'utf8');
  } catch (e) {
    throw new HeedError(
      `classify: cannot read standard input (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

/** One line of plain output: the label and its probability. */
function plain(c: Classification): string {
  return `${c.label}\t${c.probabilities[c.label].toFixed(4)}`;
}

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'label texts with a trained classifier (one per line from stdin, or one given)',
  help: `Usage: ${USAGE}

Classifies TEXT, or each non-blank line of standard input when no TEXT is given, with the
classifier in CHECKPOINT (a directory written by 'heed train' for a classification config).
Prints one line per text: the label and its probability, tab-separated. With --json, one
JSON object per text instead: {label, probabilities, tokens, weights}, where weights are the
attention-pooling weight of each token (null for the bag-of-words baselines).`,
  async run(argv) {
    const args = parseArgs('classify', argv, [], ['json']);
    if (args.overrides.length > 0)
      throw new HeedError(`classify: unknown option ${args.overrides[0]}; usage: ${USAGE}`);
    const [dir, ...words] = args.positionals;
    if (dir === undefined) throw new HeedError(`classify: give a checkpoint directory; usage: ${USAGE}`);
    const classifier = loadClassifier(dir);
    const texts = words.length > 0 ? [words.join(' ')] : stdinLines();
    const json = args.switches.has('json');
    const out = classifier.classify(texts).map((c) => (json ? JSON.stringify(c) : plain(c)));
    if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  },
};
