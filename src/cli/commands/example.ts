import { formatSelfAttentionTable, selfAttentionExample } from '../../examples/self-attention.js';
import { HeedError } from '../../util/errors.js';
import type { Command } from '../command.js';

const examples: Record<string, { summary: string; run: () => string }> = {
  'self-attention': {
    summary: 'seed 003\'s worked example: softmax(Q·Kᵀ) for the tokens "the next is"',
    run: () => {
      const ex = selfAttentionExample();
      return [
        'Self-attention worked example (W_q = I, W_k = diag(1, 2, 1), Q = W_q·X, K = W_k·X,',
        'scores = softmax(Q·Kᵀ), no scaling):',
        '',
        formatSelfAttentionTable(ex),
      ].join('\n');
    },
  },
};

export const exampleCommand: Command = {
  name: 'example',
  summary: 'run a worked example from the seed documents',
  help: `Usage: heed example NAME

Examples:
${Object.entries(examples)
  .map(([k, v]) => `  ${k.padEnd(16)} ${v.summary}`)
  .join('\n')}`,
  async run(args) {
    const name = args[0];
    if (name === undefined) throw new HeedError(`example: name one of: ${Object.keys(examples).join(', ')}`);
    const ex = examples[name];
    if (ex === undefined) {
      throw new HeedError(
        `example: unknown example '${name}'; available: ${Object.keys(examples).join(', ')}`,
      );
    }
    process.stdout.write(`${ex.run()}\n`);
    return 0;
  },
};
