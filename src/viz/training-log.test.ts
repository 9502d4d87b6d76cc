import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { parseTrainingLog, readTrainingLog } from './training-log.js';

const dir = mkdtempSync(join(tmpdir(), 'heed-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('parseTrainingLog', () => {
  it("reads top-level numbers as metrics and the Trainer's eval records as eval/<name>", () => {
    const log = parseTrainingLog(
      [
        '{"type":"train","step":1,"epoch":1,"loss":4.5,"lr":0.001,"elapsed":0.1}',
        '{"type":"train","step":2,"epoch":1,"loss":4.1,"lr":0.001,"elapsed":0.2,"note":"x","ok":true}',
        '',
        '{"type":"eval","step":2,"epoch":1,"elapsed":0.3,"metrics":{"loss":4.3,"bleu":1.5}}',
        '{"step":3,"valid_loss":4.0,"bleu":null}',
        '',
      ].join('\n'),
      'run.jsonl',
    );
    assert.deepEqual(
      [...log.metrics.keys()],
      ['epoch', 'loss', 'lr', 'elapsed', 'eval/loss', 'eval/bleu', 'valid_loss'],
    );
    assert.deepEqual(log.metrics.get('loss'), [
      [1, 4.5],
      [2, 4.1],
    ]);
    assert.deepEqual(log.metrics.get('eval/loss'), [[2, 4.3]]);
    assert.deepEqual(log.metrics.get('valid_loss'), [[3, 4.0]]);
    assert.equal(log.metrics.has('bleu'), false, 'null (a NaN) is not a sample');
    assert.deepEqual(log.warnings, []);
  });

  it('sorts by step and keeps the last value of a step logged twice (a resumed run)', () => {
    const log = parseTrainingLog('{"step":5,"loss":1}\n{"step":6,"loss":0.9}\n{"step":5,"loss":0.8}\n', 'r');
    assert.deepEqual(log.metrics.get('loss'), [
      [5, 0.8],
      [6, 0.9],
    ]);
  });

  it('reports a malformed line as file:line', () => {
    const text = '{"step":1,"loss":2}\n{"step":2,"loss":1.9}\n{"step":3,"loss":\n{"step":4,"loss":1.7}\n';
    assert.throws(
      () => parseTrainingLog(text, 'run.jsonl'),
      (e: unknown) => e instanceof HeedError && e.message.startsWith('run.jsonl:3: not valid JSON'),
    );
    assert.throws(
      () => parseTrainingLog('{"loss":1}\n', 'a.jsonl'),
      /^HeedError: a.jsonl:1: no numeric 'step' field$/,
    );
    assert.throws(
      () => parseTrainingLog('[1,2]\n', 'a.jsonl'),
      /a.jsonl:1: expected a JSON object, got an array/,
    );
    assert.throws(() => parseTrainingLog('{"step":"7"}\n', 'a.jsonl'), /a.jsonl:1: no numeric 'step'/);
  });

  it('skips an unfinished last line (a run still writing) with a warning', () => {
    const log = parseTrainingLog('{"step":1,"loss":2}\n{"step":2,"loss":1.9}\n{"step":3,"lo', 'live.jsonl');
    assert.deepEqual(log.metrics.get('loss'), [
      [1, 2],
      [2, 1.9],
    ]);
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0]!, /^live.jsonl:3: skipped an unfinished last line/);
  });
});

describe('readTrainingLog', () => {
  it('reads a file, naming it in errors', () => {
    const path = join(dir, 'log.jsonl');
    writeFileSync(path, '{"step":0,"loss":3}\nnot json\n');
    assert.throws(() => readTrainingLog(path), new RegExp(`${path}:2: not valid JSON`));
    writeFileSync(path, '{"step":0,"loss":3}\n');
    assert.deepEqual(readTrainingLog(path).metrics.get('loss'), [[0, 3]]);
    assert.throws(
      () => readTrainingLog(join(dir, 'missing.jsonl')),
      /cannot read training log '.*missing.jsonl' \(no such file\)/,
    );
  });
});
