import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyOverrides, readRunConfig } from './run-config.js';

function writeConfig(body: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'heed-cfg-'));
  const path = join(dir, 'run.json');
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
  return path;
}

const base = {
  task: 'translation',
  data: { kind: 'dates', trainSize: 10 },
  model: { kind: 'seq2seq' },
  training: { maxSteps: 10 },
  output: 'runs/x',
};

describe('run configs', () => {
  it('reads a config, names it after its file, applies dotted overrides with JSON values', () => {
    const c = readRunConfig(writeConfig(base), [
      '--training.maxSteps=200',
      '--data.train=a b.tsv',
      '--model.bidirectional=false',
      '--eval.beamSize=4',
    ]);
    assert.equal(c.name, 'run');
    assert.equal(c.training.maxSteps, 200);
    assert.equal(c.data.train, 'a b.tsv');
    assert.equal(c.model.bidirectional, false);
    assert.deepEqual(c.eval, { beamSize: 4 });
    assert.equal(c.seed, 0);
  });

  it('rejects unknown keys, bad values, bad JSON and bad overrides with one line', () => {
    assert.throws(() => readRunConfig(writeConfig({ ...base, optimiser: {} })), /unknown key "optimiser"/);
    assert.throws(() => readRunConfig(writeConfig({ ...base, task: 'poetry' })), /task must be/);
    assert.throws(() => readRunConfig(writeConfig('{ "task": ')), /not valid JSON/);
    assert.throws(() => readRunConfig(writeConfig(base), ['--training']), /must look like --key=value/);
    assert.throws(() => readRunConfig(writeConfig(base), ['--output.dir=x']), /'output' is not a section/);
    assert.throws(
      () => readRunConfig('/nonexistent/run.json'),
      /config \/nonexistent\/run\.json: cannot be read/,
    );
  });

  it('creates missing sections for overrides', () => {
    const c: Record<string, unknown> = {};
    applyOverrides(c, ['--a.b.c=1', '--d=[1,2]', '--e=text']);
    assert.deepEqual(c, { a: { b: { c: 1 } }, d: [1, 2], e: 'text' });
  });
});
