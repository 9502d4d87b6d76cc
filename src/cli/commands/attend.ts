import { readCheckpointConfig } from '../../io/checkpoint.js';
import { classificationAttention } from '../../tasks/classification/index.js';
import { lmAttention } from '../../tasks/lm/index.js';
import { translationAttention } from '../../tasks/translation/index.js';
import { HeedError } from '../../util/errors.js';
import { heatmapGridSvg, heatmapSvg, tokenShadingSvg, writeImage } from '../../viz/index.js';
import { numberOption, parseArgs } from '../args.js';
import type { Command } from '../command.js';

export const attendCommand: Command = {
  name: 'attend',
  summary: 'draw what a trained model attends to for an input, as an SVG or PNG heatmap',
  help: `Usage: heed attend CHECKPOINT TEXT --out FILE.svg|FILE.png [--beam N] [--layers]

Runs the model on TEXT and draws its attention weights:
  translation     the target × source heatmap (tokens as labels, like the seed's English–French
                  alignment figure); --layers draws every layer and head of a Transformer
  classification  the input with each token shaded by its attention-pooling weight
  language model  what each token attended to among the earlier ones (per layer/head for GPT)`,
  async run(argv) {
    const args = parseArgs('attend', argv, ['out', 'beam'], ['layers']);
    const [dir, ...words] = args.positionals;
    const text = words.join(' ');
    const out = args.options.get('out');
    if (dir === undefined || text === '') throw new HeedError('attend: give a checkpoint and a text');
    if (out === undefined) throw new HeedError('attend: --out FILE.svg or --out FILE.png is required');
    const kind = readCheckpointConfig(dir).kind;
    let svg: string;
    if (kind === 'translation' || kind === 'lm') {
      const a =
        kind === 'translation'
          ? await translationAttention(dir, text, { beamSize: numberOption('attend', args, 'beam', 1, true) })
          : await lmAttention(dir, text);
      svg =
        args.switches.has('layers') && a.maps !== undefined && a.maps.length > 0
          ? heatmapGridSvg(
              a.maps.map((m) => ({
                title: m.title,
                weights: m.weights,
                rowLabels: a.rowLabels,
                colLabels: a.colLabels,
              })),
              { columns: 4 },
            )
          : heatmapSvg(a.weights, { rowLabels: a.rowLabels, colLabels: a.colLabels, title: a.title });
    } else if (kind === 'classification') {
      const a = await classificationAttention(dir, text);
      if (a.weights === null)
        throw new HeedError(`attend: ${dir} is a ${a.title} without attention weights to draw`);
      svg = tokenShadingSvg(a.tokens, a.weights, { title: a.title });
    } else {
      throw new HeedError(`attend: checkpoint ${dir} has kind '${kind}', not a heed task`);
    }
    writeImage(out, svg);
    process.stdout.write(`wrote ${out}\n`);
    return 0;
  },
};
