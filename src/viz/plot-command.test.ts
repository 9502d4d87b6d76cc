import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runHeed } from '../testing/cli.js';
import { findAll, parseXml } from './xml-check.js';

const dir = mkdtempSync(join(tmpdir(), 'heed-plot-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const heed = runHeed;

/** A log as heed's Trainer writes it: train records every step, eval records every 10. */
function trainerLog(name: string, scale: number): string {
  const lines: string[] = [];
  for (let step = 1; step <= 50; step++) {
    const loss = scale * (4 * Math.exp(-step / 15) + 1);
    lines.push(JSON.stringify({ type: 'train', step, epoch: 1, loss, lr: 1e-3, elapsed: step / 10 }));
    if (step % 10 === 0) {
      lines.push(
        JSON.stringify({
          type: 'eval',
          step,
          epoch: 1,
          elapsed: step / 10,
          metrics: { loss: loss + 0.2, bleu: step / 2 },
        }),
      );
    }
  }
  return file(name, `${lines.join('\n')}\n`);
}

const seriesNames = (svgPath: string): string[] =>
  findAll(parseXml(readFileSync(svgPath, 'utf8')), (e) => e.attrs.get('class') === 'series').map(
    (e) => e.attrs.get('data-name')!,
  );

describe('heed plot', () => {
  const run1 = trainerLog('run1.jsonl', 1);
  const run2 = trainerLog('run2.jsonl', 1.1);

  it('draws every metric of a log, leaving out bookkeeping fields, and prints the path', async (t) => {
    const out = join(dir, 'one.svg');
    const r = await heed(t, 'plot', run1, '--out', out, '--title', 'run 1');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${out}\n`);
    assert.deepEqual(seriesNames(out), ['loss', 'eval/loss', 'lr', 'eval/bleu']);
    const panels = findAll(
      parseXml(readFileSync(out, 'utf8')),
      (e) => e.name === 'g' && e.attrs.get('class') === 'panel',
    );
    assert.deepEqual(
      panels.map((p) => p.attrs.get('data-panel')),
      ['loss', 'lr', 'bleu'],
    );
  });

  it('draws one series per log per named metric, labelled by file, to PNG', async (t) => {
    const svgOut = join(dir, 'two.svg');
    const r = await heed(t, 'plot', run1, run2, '--out', svgOut, '--metrics', 'loss,eval/loss', '--log-y');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(seriesNames(svgOut), ['run1: loss', 'run1: eval/loss', 'run2: loss', 'run2: eval/loss']);

    const pngOut = join(dir, 'two.png');
    const p = await heed(t, 'plot', run1, run2, `--out=${pngOut}`, '--metrics=loss', '--scale', '2');
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.stdout, `${pngOut}\n`);
    assert.deepEqual([...readFileSync(pngOut).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  });

  it('warns about an unfinished last line and plots the rest', async (t) => {
    const live = file('live.jsonl', '{"step":1,"loss":3}\n{"step":2,"loss":2.5}\n{"step":3,"lo');
    const r = await heed(t, 'plot', live, '--out', join(dir, 'live.svg'));
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^heed: warning: .*live.jsonl:3: skipped an unfinished last line/);
  });

  it('fails with one line for a missing file, a bad line, no metrics, or an unknown metric', async (t) => {
    const out = join(dir, 'x.svg');
    const cases: [string[], RegExp][] = [
      [
        [join(dir, 'nope.jsonl'), '--out', out],
        /^heed: cannot read training log '.*nope.jsonl' \(no such file\)\n$/,
      ],
      [
        [file('bad.jsonl', '{"step":1,"loss":1}\n{oops}\n{"step":3,"loss":1}\n'), '--out', out],
        /^heed: .*bad.jsonl:2: not valid JSON/,
      ],
      [
        [file('empty.jsonl', '{"step":1}\n{"step":2,"note":"hi"}\n'), '--out', out],
        /^heed: plot: .*empty.jsonl has no numeric metrics\n$/,
      ],
      [
        [run1, '--out', out, '--metrics', 'loss,acc'],
        /^heed: plot: no metric 'acc' in .*run1.jsonl; available: epoch, loss, lr, elapsed, eval\/loss, eval\/bleu\n$/,
      ],
      [[run1], /^heed: plot: --out FILE is required/],
      [
        [run1, '--out', join(dir, 'x.gif')],
        /^heed: cannot write image '.*x.gif': unknown extension '.gif'; use .svg or .png\n$/,
      ],
      [[run1, '--out', out, '--smooth', '3'], /^heed: plot: unknown option '--smooth'/],
    ];
    for (const [args, expected] of cases) {
      const r = await heed(t, 'plot', ...args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, expected);
      assert.equal(r.stderr.split('\n').length, 2, 'one line');
    }
  });

  it('is listed in heed --help', async (t) => {
    const r = await heed(t, '--help');
    assert.match(r.stdout, /\n {2}plot +draw training curves/);
  });
});
