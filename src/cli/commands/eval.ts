import { readCheckpointConfig } from '../../io/checkpoint.js';
import { taskFor } from '../../tasks/registry.js';
import { taskNames } from '../../tasks/run-config.js';
import { HeedError } from '../../util/errors.js';
import { parseArgs } from '../args.js';
import type { Command } from '../command.js';
import { printResult } from '../report.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a checkpoint on its test data or on another data file',
  help: `Usage: heed eval CHECKPOINT [--data FILE] [--json]

Loads the checkpoint directory a 'heed train' run wrote and reports its metrics (BLEU/chrF and
by-length tables for translation, accuracy/F1 for classification, loss/perplexity for language
models) on the run's test data, or on FILE in the same format.`,
  async run(argv) {
    const args = parseArgs('eval', argv, ['data'], ['json']);
    const [dir] = args.positionals;
    if (dir === undefined) throw new HeedError('eval: give a checkpoint directory');
    const result = await taskOfCheckpoint(dir).evaluate(
      dir,
      { data: args.options.get('data') },
      { log: (l) => process.stdout.write(`${l}\n`) },
    );
    printResult(result, args.switches.has('json'));
    return 0;
  },
};

/** The task that wrote a checkpoint (config.json's kind). */
export function taskOfCheckpoint(dir: string) {
  const kind = readCheckpointConfig(dir).kind;
  const name = taskNames.find((t) => t === kind);
  if (name === undefined) {
    throw new HeedError(`checkpoint ${dir}: kind '${kind}' is not a heed task (${taskNames.join(', ')})`);
  }
  return taskFor(name);
}
