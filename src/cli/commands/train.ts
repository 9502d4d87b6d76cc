import { taskFor } from '../../tasks/registry.js';
import { readRunConfig } from '../../tasks/run-config.js';
import { HeedError } from '../../util/errors.js';
import { parseArgs } from '../args.js';
import type { Command } from '../command.js';
import { printResult } from '../report.js';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a model from a config (configs/*.json), then evaluate it on the test data',
  help: `Usage: heed train CONFIG [--section.key=value ...] [--json]

Trains the run CONFIG describes (task, data, model, training, eval, output), writes its
checkpoint directory to the config's output, and evaluates on the test data. Any key of the
config can be overridden: --training.maxSteps=200 --data.train=my.tsv --output=runs/x.
On a terminal a progress bar shows step, loss, learning rate, tokens/s and ETA.`,
  async run(argv) {
    const args = parseArgs('train', argv, [], ['json']);
    const [path, ...extra] = args.positionals;
    if (path === undefined)
      throw new HeedError('train: give a config file, e.g. heed train configs/dates-gru-additive.json');
    if (extra.length > 0)
      throw new HeedError(
        `train: one config at a time (got ${args.positionals.length}); use 'heed compare' for several`,
      );
    const config = readRunConfig(path, args.overrides);
    const task = taskFor(config.task);
    task.check(config);
    const result = await task.train(config, { log: (line) => process.stdout.write(`${line}\n`) });
    printResult(result, args.switches.has('json'));
    return 0;
  },
};
