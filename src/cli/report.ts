import type { ResultTable, TaskResult } from '../tasks/task.js';

/** Formats rows as an aligned text table (numbers right-aligned). */
export function formatTable(
  columns: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cell = (v: string | number): string => (typeof v === 'number' ? formatNumber(v) : v);
  const text = rows.map((r) => r.map(cell));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], raw?: readonly (string | number)[]) =>
    cells
      .map((s, i) => (raw && typeof raw[i] === 'number' ? s.padStart(widths[i]) : s.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...text.map((r, i) => line(r, rows[i])),
  ].join('\n');
}

export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(4);
}

export function formatResultTable(t: ResultTable): string {
  return `${t.title}\n${formatTable(t.columns, t.rows)}`;
}

/** Prints a run's result: headline metrics, its tables, where the checkpoint is. */
export function printResult(r: TaskResult, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const metrics = Object.entries(r.metrics)
    .map(([k, v]) => `${k} ${formatNumber(v)}`)
    .join(', ');
  const lines = [
    `${r.name} (${r.task}, ${r.model}, ${r.parameters.toLocaleString('en-US')} parameters, trained ${r.trainSeconds.toFixed(0)} s)`,
    `test: ${metrics}`,
    ...r.tables.map(formatResultTable),
    `checkpoint: ${r.checkpoint}`,
  ];
  process.stdout.write(`${lines.join('\n\n')}\n`);
}
