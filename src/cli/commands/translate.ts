import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { loadTranslator } from '../../tasks/translation/checkpoint.js';
import type { TranslateOptions, Translation, Translator } from '../../tasks/translation/translator.js';
import { HeedError } from '../../util/errors.js';
import { numberOption, parseArgs } from '../args.js';
import type { Command } from '../command.js';

const USAGE = 'heed translate CHECKPOINT [TEXT] [--beam N] [--alpha A] [--max-length N] [--json]';

/** One output line: the translation, or a JSON record with tokens, attention and score. */
function formatTranslation(t: Translation, json: boolean): string {
  if (!json) return t.text;
  const { text, tokens, sourceTokens, attention, score } = t;
  return JSON.stringify({ text, tokens, sourceTokens, attention, score });
}

/**
 * Translates `input` line by line as it arrives (one output line per input line, written at
 * once, so the verb works in a pipe). An empty line is an error naming its line number.
 */
export async function translateStream(
  translator: Translator,
  input: Readable,
  output: Writable,
  opts: TranslateOptions,
  json: boolean,
): Promise<number> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  for await (const line of lines) {
    const [t] = translator.translate([line], opts, lineNo++);
    output.write(`${formatTranslation(t, json)}\n`);
  }
  return lineNo;
}

export const translateCommand: Command = {
  name: 'translate',
  summary: 'translate text (or each line of stdin) with a trained translation checkpoint',
  help: `Usage: ${USAGE}

Loads the checkpoint directory a translation run wrote (heed train configs/enfr-*.json or
configs/dates-*.json) and translates TEXT, or each line of standard input when no TEXT is given
(one output line per input line, streamed). Source tokens the model never saw are read as <unk>.

Options:
  --beam N          beam width (default 1: greedy search)
  --alpha A         length-penalty exponent of beam search (default 0)
  --max-length N    longest output in tokens (default: 1.5 x the source length + 10)
  --json            one JSON object per line: text, tokens, sourceTokens, attention
                    (output tokens x source tokens) and score`,
  async run(argv) {
    const args = parseArgs('translate', argv, ['beam', 'alpha', 'max-length'], ['json']);
    if (args.overrides.length > 0) {
      throw new HeedError(`translate: unknown option ${args.overrides[0].split('=')[0]}; usage: ${USAGE}`);
    }
    const [checkpoint, ...words] = args.positionals;
    if (checkpoint === undefined)
      throw new HeedError(`translate: give a checkpoint directory; usage: ${USAGE}`);
    const opts: TranslateOptions = {
      beamSize: positive(numberOption('translate', args, 'beam', 1, true), 'beam'),
      alpha: numberOption('translate', args, 'alpha', 0),
      maxLength: args.options.has('max-length')
        ? positive(numberOption('translate', args, 'max-length', 1, true), 'max-length')
        : undefined,
    };
    if (!((opts.alpha ?? 0) >= 0)) throw new HeedError(`translate: --alpha must be >= 0, got ${opts.alpha}`);
    const json = args.switches.has('json');
    const translator = loadTranslator(checkpoint);
    if (words.length > 0) {
      const [t] = translator.translate([words.join(' ')], opts);
      process.stdout.write(`${formatTranslation(t, json)}\n`);
      return 0;
    }
    await translateStream(translator, process.stdin, process.stdout, opts, json);
    return 0;
  },
};

function positive(n: number, name: string): number {
  if (n < 1) throw new HeedError(`translate: --${name} must be a positive integer, got ${n}`);
  return n;
}
