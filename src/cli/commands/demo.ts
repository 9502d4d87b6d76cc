import { join } from 'node:path';
import { formatSelfAttentionTable, selfAttentionExample } from '../../examples/self-attention.js';
import { readRunConfig } from '../../tasks/run-config.js';
import { loadTranslator, translationAttention, translationTask } from '../../tasks/translation/index.js';
import { HeedError } from '../../util/errors.js';
import { heatmapSvg, writeImage } from '../../viz/index.js';
import { parseArgs } from '../args.js';
import type { Command } from '../command.js';
import { printResult } from '../report.js';

const DEFAULT_CONFIG = 'configs/dates-gru-additive.json';
const EXAMPLES = ['23Jan2015', 'March 7, 1999', '12/31/49', '1.2.1950', 'JAN 05, 21', '2031-7-4'];

export const demoCommand: Command = {
  name: 'demo',
  summary: 'train the date normaliser (GRU + additive attention), draw its attention, show seed 003',
  help: `Usage: heed demo [CONFIG] [--section.key=value ...]

What 'npm start' runs. Trains the date-normalisation model (default ${DEFAULT_CONFIG}: dates
written in 20 formats → ISO 8601, a bidirectional GRU encoder-decoder with Bahdanau's additive
attention), prints its exact-match accuracy on held-out dates and a few translations, writes the
attention heatmap of one example (SVG and PNG) next to the checkpoint, then prints seed 003's
worked self-attention example.`,
  async run(argv) {
    const args = parseArgs('demo', argv, []);
    if (args.positionals.length > 1) throw new HeedError('demo: at most one config');
    const config = readRunConfig(args.positionals[0] ?? DEFAULT_CONFIG, args.overrides);
    if (config.task !== 'translation')
      throw new HeedError(`demo: ${config.source} is a ${config.task} config; the demo translates`);
    const log = (line: string) => process.stdout.write(`${line}\n`);
    translationTask.check(config);
    log(`Training ${config.name}: written dates → ISO 8601 with attention (progress on stderr)…`);
    const result = await translationTask.train(config, { log });
    printResult(result, false);

    const translator = loadTranslator(result.checkpoint);
    log('\nExamples (greedy decoding):');
    for (const t of translator.translate(EXAMPLES))
      log(`  ${t.sourceTokens.join('').padEnd(16)} → ${t.text}`);

    const example = EXAMPLES[1];
    const a = translationAttention(translator, example);
    const svg = heatmapSvg(a.weights, {
      rowLabels: a.rowLabels,
      colLabels: a.colLabels,
      title: a.title,
      rowTitle: 'output',
      colTitle: 'input',
    });
    const base = join(result.checkpoint, 'attention');
    writeImage(`${base}.svg`, svg);
    writeImage(`${base}.png`, svg);
    log(`\nAttention heatmap of "${example}" → "${a.translation}": ${base}.svg and ${base}.png`);

    log('\nSeed 003, self-attention worked example (W_q = I, W_k = diag(1, 2, 1), softmax(Q·Kᵀ)):\n');
    log(formatSelfAttentionTable(selfAttentionExample()));
    return 0;
  },
};
