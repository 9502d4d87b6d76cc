import { basename } from 'node:path';
import { HeedError } from '../../util/errors.js';
import { type CurveSeries, curvesSvg, DASHES, metricQuantity, PALETTE } from '../../viz/curves.js';
import { IMAGE_EXTENSIONS, writeImage } from '../../viz/png.js';
import { BOOKKEEPING_FIELDS, readTrainingLog, type TrainingLog } from '../../viz/training-log.js';
import type { Command } from '../command.js';

const USAGE =
  'heed plot LOG.jsonl [LOG2.jsonl ...] --out FILE.svg|FILE.png [--metrics loss,valid_loss] [--title T] [--log-y] [--scale N]';

interface PlotArgs {
  logs: string[];
  out: string;
  metrics: string[] | null;
  title: string | null;
  logY: boolean;
  scale: number;
}

function parseArgs(args: readonly string[]): PlotArgs {
  const logs: string[] = [];
  let out: string | null = null;
  let metrics: string[] | null = null;
  let title: string | null = null;
  let logY = false;
  let scale = 1;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new HeedError(`plot: ${flag} needs a value; usage: ${USAGE}`);
      return v;
    };
    if (flag === '--out' || flag === '-o') out = value();
    else if (flag === '--metrics') {
      metrics = value()
        .split(',')
        .map((m) => m.trim())
        .filter((m) => m !== '');
      if (metrics.length === 0) throw new HeedError('plot: --metrics names no metric');
    } else if (flag === '--title') title = value();
    else if (flag === '--log-y' && inline === undefined) logY = true;
    else if (flag === '--scale') {
      const v = value();
      scale = Number(v);
      if (!(Number.isFinite(scale) && scale > 0))
        throw new HeedError(`plot: --scale must be a number > 0, got '${v}'`);
    } else if (a.startsWith('-') && a !== '-')
      throw new HeedError(`plot: unknown option '${a}'; usage: ${USAGE}`);
    else logs.push(a);
  }
  if (logs.length === 0) throw new HeedError(`plot: name at least one JSONL training log; usage: ${USAGE}`);
  if (out === null)
    throw new HeedError(`plot: --out FILE is required (${IMAGE_EXTENSIONS.join(' or ')}); usage: ${USAGE}`);
  return { logs, out, metrics, title, logY, scale };
}

/** Legend names for the logs: file names, or the paths as given when two file names clash. */
function logNames(paths: readonly string[]): string[] {
  const bases = paths.map((p) => basename(p).replace(/\.jsonl$/i, ''));
  return bases.map((b, k) => (bases.indexOf(b) === bases.lastIndexOf(b) ? b : paths[k]!));
}

/** The metrics to draw from each log: those named, or every non-bookkeeping metric. */
function chooseMetrics(logs: readonly TrainingLog[], named: string[] | null): string[] {
  const available: string[] = [];
  for (const log of logs) {
    if (log.metrics.size === 0) throw new HeedError(`plot: ${log.source} has no numeric metrics`);
    for (const m of log.metrics.keys()) if (!available.includes(m)) available.push(m);
  }
  if (named === null) {
    const chosen = available.filter((m) => !BOOKKEEPING_FIELDS.includes(m));
    return chosen.length > 0 ? chosen : available;
  }
  for (const m of named) {
    if (!available.includes(m)) {
      const where = logs.length === 1 ? logs[0]!.source : 'any of the logs';
      throw new HeedError(`plot: no metric '${m}' in ${where}; available: ${available.join(', ')}`);
    }
  }
  return named;
}

export const plotCommand: Command = {
  name: 'plot',
  summary: 'draw training curves from JSONL logs to an SVG or PNG file',
  help: `Usage: ${USAGE}

Reads training logs with one JSON object per line, each with a 'step' and numeric fields
(heed's Trainer writes them with logFile: loss, lr, gradNorm, and eval/<name> for what
evaluate() returned), and draws each metric against the step. Metrics that measure the same
quantity share a panel, so a training loss and a validation loss compare on one axis:
loss, valid_loss, val_loss, eval/loss and eval/valLoss all go to the 'loss' panel, while lr
and bleu get panels of their own. Panels are stacked over one step axis. With several logs,
each log is one colour and each metric of a panel one dash pattern, labelled 'file: metric'.

A malformed line is an error naming file:line, except an unfinished last line (a run still
writing), which is skipped with a warning.

Options:
  --out FILE       where to write: .svg, or .png (rendered with resvg). Required. Also -o.
  --metrics A,B    the metrics to draw (default: all but epoch, elapsed, tokens, tokensPerSec).
  --title T        a title over the chart.
  --log-y          logarithmic y axes (points <= 0 are left out).
  --scale N        pixels per SVG unit for .png output (default 1; 2 for sharper images).

Prints the path written.`,
  async run(args) {
    const a = parseArgs(args);
    const logs = a.logs.map(readTrainingLog);
    for (const log of logs) for (const w of log.warnings) process.stderr.write(`heed: warning: ${w}\n`);
    const metrics = chooseMetrics(logs, a.metrics);
    const names = logNames(a.logs);
    const several = logs.length > 1;
    const series: CurveSeries[] = [];
    const panelOrder: string[] = [];
    for (const metric of metrics) {
      const panel = metricQuantity(metric);
      if (!panelOrder.includes(panel)) panelOrder.push(panel);
    }
    // Panel by panel, so that dash patterns number the metrics within a panel.
    for (const panel of panelOrder) {
      const inPanel = metrics.filter((m) => metricQuantity(m) === panel);
      logs.forEach((log, f) => {
        inPanel.forEach((metric, k) => {
          const points = log.metrics.get(metric);
          if (points === undefined) return;
          series.push({
            name: several ? `${names[f]}: ${metric}` : metric,
            points,
            panel,
            color: PALETTE[(several ? f : k) % PALETTE.length]!,
            dash: several ? DASHES[k % DASHES.length]! : '',
          });
        });
      });
    }
    const svg = curvesSvg(series, {
      ...(a.title === null ? {} : { title: a.title }),
      xLabel: 'step',
      yLabel: 'value',
      logY: a.logY,
    });
    writeImage(a.out, svg, { scale: a.scale });
    process.stdout.write(`${a.out}\n`);
    return 0;
  },
};
