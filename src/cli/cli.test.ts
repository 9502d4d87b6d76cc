import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskResult } from '../tasks/task.js';
import { numberOption, parseArgs } from './args.js';
import { formatComparison, mergeTables } from './commands/compare.js';
import { formatTable } from './report.js';

const result = (name: string, bleu: number, buckets: [string, number][]): TaskResult => ({
  name,
  task: 'translation',
  model: 'seq2seq',
  metrics: { bleu, chrf: bleu + 10 },
  tables: [{ title: 'BLEU by source length', columns: ['words', 'bleu'], rows: buckets }],
  parameters: 1000,
  trainSeconds: 12.4,
  checkpoint: `runs/${name}`,
});

describe('CLI helpers', () => {
  it('parses positionals, options, switches and overrides', () => {
    const a = parseArgs(
      'x',
      ['ckpt', '--beam', '4', '--out=f.svg', '--json', '--training.maxSteps=3'],
      ['beam', 'out'],
      ['json'],
    );
    assert.deepEqual(a.positionals, ['ckpt']);
    assert.equal(a.options.get('beam'), '4');
    assert.equal(a.options.get('out'), 'f.svg');
    assert.ok(a.switches.has('json'));
    assert.deepEqual(a.overrides, ['--training.maxSteps=3']);
    assert.equal(numberOption('x', a, 'beam', 1, true), 4);
    assert.throws(
      () => parseArgs('x', ['--bogus'], ['beam']),
      /x: unknown option --bogus \(options: --beam\)/,
    );
    assert.throws(() => parseArgs('x', ['--beam'], ['beam']), /--beam needs a value/);
    assert.throws(
      () => numberOption('x', parseArgs('x', ['--beam=two'], ['beam']), 'beam', 1, true),
      /--beam must be an integer, got 'two'/,
    );
  });

  it('formats aligned tables', () => {
    assert.equal(
      formatTable(
        ['a', 'bb'],
        [
          ['x', 1.5],
          ['yyy', 10],
        ],
      ),
      'a    bb\n---  ----\nx    1.50\nyyy    10',
    );
  });

  it('merges the runs’ tables side by side and lists every run', () => {
    const rs = [
      result('none', 10, [
        ['1-10', 20],
        ['11-20', 8],
      ]),
      result('additive', 15, [
        ['1-10', 22],
        ['11-20', 14],
        ['21-30', 9],
      ]),
    ];
    const [t] = mergeTables(rs);
    assert.deepEqual(t.columns, ['words', 'none bleu', 'additive bleu']);
    assert.deepEqual(t.rows, [
      ['1-10', 20, 22],
      ['11-20', 8, 14],
      ['21-30', '–', 9],
    ]);
    const text = formatComparison(rs);
    assert.match(text, /none\s+seq2seq\s+1000\s+12\s+10\s+20/);
    assert.match(text, /BLEU by source length/);
  });
});
