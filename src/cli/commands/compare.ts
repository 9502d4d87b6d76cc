import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { taskFor } from '../../tasks/registry.js';
import { readRunConfig } from '../../tasks/run-config.js';
import type { ResultTable, TaskResult } from '../../tasks/task.js';
import { HeedError } from '../../util/errors.js';
import { parseArgs } from '../args.js';
import type { Command } from '../command.js';
import { formatResultTable, formatTable } from '../report.js';

export const compareCommand: Command = {
  name: 'compare',
  summary: 'train (or reuse) several configs on the same data and print one comparison table',
  help: `Usage: heed compare CONFIG CONFIG... [--reuse] [--section.key=value ...] [--json]

Trains each config in turn (or, with --reuse, evaluates the checkpoint a config already wrote)
and prints one table of test metrics, parameters and training time, then the per-bucket tables
(e.g. BLEU by source length) side by side: with vs without attention, as in Bahdanau et al.
Overrides apply to every config.`,
  async run(argv) {
    const args = parseArgs('compare', argv, [], ['reuse', 'json']);
    if (args.positionals.length < 1) throw new HeedError('compare: give one or more config files');
    const configs = args.positionals.map((p) => readRunConfig(p, args.overrides));
    const tasks = new Set(configs.map((c) => c.task));
    if (tasks.size > 1)
      throw new HeedError(
        `compare: the configs mix tasks (${[...tasks].join(', ')}); compare one task at a time`,
      );
    for (const c of configs) taskFor(c.task).check(c);
    const results: TaskResult[] = [];
    for (const c of configs) {
      const task = taskFor(c.task);
      const io = { log: (line: string) => process.stderr.write(`[${c.name}] ${line}\n`) };
      const reuse = args.switches.has('reuse') && existsSync(join(c.output, 'config.json'));
      const r = reuse ? await task.evaluate(c.output, {}, io) : await task.train(c, io);
      results.push({ ...r, name: c.name });
    }
    if (args.switches.has('json')) {
      for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    process.stdout.write(`${formatComparison(results)}\n`);
    return 0;
  },
};

/** The headline table (one row per run) and the runs' shared tables side by side. */
export function formatComparison(results: readonly TaskResult[]): string {
  const metricNames = [...new Set(results.flatMap((r) => Object.keys(r.metrics)))];
  const rows = results.map((r) => [
    r.name,
    r.model,
    r.parameters,
    Math.round(r.trainSeconds),
    ...metricNames.map((m) => r.metrics[m] ?? '–'),
  ]);
  const parts = [formatTable(['run', 'model', 'parameters', 'train s', ...metricNames], rows)];
  for (const t of mergeTables(results)) parts.push(formatResultTable(t));
  return parts.join('\n\n');
}

/**
 * Tables every run has (same title): rows keyed by their first cell, one column per run and
 * metric column.
 */
export function mergeTables(results: readonly TaskResult[]): ResultTable[] {
  if (results.length === 0) return [];
  const merged: ResultTable[] = [];
  for (const first of results[0].tables) {
    const all = results.map((r) => r.tables.find((t) => t.title === first.title));
    if (all.some((t) => t === undefined)) continue;
    const tables = all.filter((t): t is ResultTable => t !== undefined);
    const metrics = first.columns.slice(1);
    const keys = [...new Set(tables.flatMap((t) => t.rows.map((row) => String(row[0]))))];
    const columns = [first.columns[0], ...results.flatMap((r) => metrics.map((m) => `${r.name} ${m}`))];
    const rows = keys.map((k) => [
      k,
      ...tables.flatMap((t) => {
        const row = t.rows.find((x) => String(x[0]) === k);
        return metrics.map((_, i) => row?.[i + 1] ?? '–');
      }),
    ]);
    merged.push({ title: first.title, columns, rows });
  }
  return merged;
}
