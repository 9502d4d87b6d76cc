import '../backend/native/register.js';
import { HeedError } from '../util/errors.js';
import type { Command } from './command.js';
import { attendCommand } from './commands/attend.js';
import { benchCommand } from './commands/bench.js';
import { bleuCommand } from './commands/bleu.js';
import { classifyCommand } from './commands/classify.js';
import { compareCommand } from './commands/compare.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { exampleCommand } from './commands/example.js';
import { generateCommand } from './commands/generate.js';
import { infoCommand } from './commands/info.js';
import { plotCommand } from './commands/plot.js';
import { serveCommand } from './commands/serve.js';
import { trainCommand } from './commands/train.js';
import { translateCommand } from './commands/translate.js';

/** Every verb, in the order `heed --help` lists them. */
const commands: Command[] = [
  demoCommand,
  trainCommand,
  evalCommand,
  attendCommand,
  translateCommand,
  classifyCommand,
  generateCommand,
  compareCommand,
  plotCommand,
  serveCommand,
  bleuCommand,
  benchCommand,
  infoCommand,
  exampleCommand,
];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `heed: attention mechanisms, from RNNs to Transformers, in TypeScript.

Usage: heed <verb> [args] [--key=value ...]

Verbs:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run 'heed <verb> --help' for the arguments of a verb.`;
}

/**
 * The CLI entry point: resolves to the process exit code. A user mistake (a HeedError) prints
 * one line `heed: <message>`; anything else is a bug and prints its stack.
 */
export async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(`${usage()}\n`);
    return verb === undefined ? 1 : 0;
  }
  const cmd = commands.find((c) => c.name === verb);
  if (cmd === undefined) {
    process.stderr.write(`heed: unknown verb '${verb}'; verbs: ${commands.map((c) => c.name).join(', ')}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.help}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof HeedError) {
      process.stderr.write(`heed: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
