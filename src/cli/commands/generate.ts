import { loadLanguageModel } from '../../tasks/lm/language-model.js';
import { HeedError } from '../../util/errors.js';
import { numberOption, parseArgs } from '../args.js';
import type { Command } from '../command.js';

const USAGE =
  'heed generate CHECKPOINT --prompt TEXT --max-tokens N [--temperature T] [--top-k K] [--top-p P] [--seed S] [--json]';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'continue a prompt with a trained language model',
  help: `Usage: ${USAGE}

Samples up to N tokens after TEXT from the language model in CHECKPOINT (a directory written
by 'heed train' for an lm config) and prints the prompt and its continuation.
  --temperature T  divides the log-probabilities before sampling (default 1; 0: most likely token)
  --top-k K        sample among the K most likely tokens only
  --top-p P        nucleus sampling: the smallest set of tokens whose probability reaches P
  --seed S         seed of the sampling stream (default 0): the same seed gives the same text
  --json           one JSON object: {text, continuation, tokens, seed, attention?}, where
                   attention holds what each new token attended to (models with attention)`,
  async run(argv) {
    const args = parseArgs(
      'generate',
      argv,
      ['prompt', 'max-tokens', 'temperature', 'top-k', 'top-p', 'seed'],
      ['json'],
    );
    if (args.overrides.length > 0)
      throw new HeedError(`generate: unknown option ${args.overrides[0]}; usage: ${USAGE}`);
    const [dir, ...extra] = args.positionals;
    if (dir === undefined) throw new HeedError(`generate: give a checkpoint directory; usage: ${USAGE}`);
    if (extra.length > 0) throw new HeedError(`generate: unexpected argument '${extra[0]}'; usage: ${USAGE}`);
    const prompt = args.options.get('prompt');
    if (prompt === undefined || prompt === '')
      throw new HeedError(`generate: --prompt TEXT is required; usage: ${USAGE}`);
    if (!args.options.has('max-tokens'))
      throw new HeedError(`generate: --max-tokens N is required; usage: ${USAGE}`);
    const maxTokens = numberOption('generate', args, 'max-tokens', 0, true);
    if (maxTokens < 0) throw new HeedError(`generate: --max-tokens must be >= 0, got ${maxTokens}`);
    const temperature = numberOption('generate', args, 'temperature', 1);
    if (temperature < 0) throw new HeedError(`generate: --temperature must be >= 0, got ${temperature}`);
    const topK = args.options.has('top-k') ? numberOption('generate', args, 'top-k', 0, true) : undefined;
    if (topK !== undefined && topK < 1) throw new HeedError(`generate: --top-k must be >= 1, got ${topK}`);
    const topP = args.options.has('top-p') ? numberOption('generate', args, 'top-p', 1) : undefined;
    if (topP !== undefined && !(topP > 0 && topP <= 1)) {
      throw new HeedError(`generate: --top-p must be in (0, 1], got ${topP}`);
    }
    const seed = numberOption('generate', args, 'seed', 0, true);
    const lm = loadLanguageModel(dir);
    const g = lm.generate(prompt, { maxTokens, temperature, topK, topP, seed });
    process.stdout.write(args.switches.has('json') ? `${JSON.stringify({ ...g, seed })}\n` : `${g.text}\n`);
    return 0;
  },
};
