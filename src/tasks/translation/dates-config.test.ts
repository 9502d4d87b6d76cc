import '../../backend/native/register.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readRunConfig } from '../run-config.js';
import { memoryIO } from './fixtures.js';
import { translationTask } from './task.js';

/**
 * The shipped dates config, run SHORT (20 steps on 500 dates): it validates, trains, writes a
 * checkpoint and reports by input format. The full run is measured by hand (see the config).
 */
const dir = mkdtempSync(join(tmpdir(), 'heed-dates-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const configPath = fileURLToPath(new URL('../../../configs/dates-gru-additive.json', import.meta.url));

describe('configs/dates-gru-additive.json', () => {
  it('runs end to end in a short version', async () => {
    const config = readRunConfig(configPath, [
      '--data.trainSize=500',
      '--data.validSize=20',
      '--data.testSize=100',
      '--training.maxSteps=20',
      '--training.evalEvery=10',
      '--training.progress=none',
      '--eval.validBleuSize=20',
      `--output=${join(dir, 'dates')}`,
    ]);
    translationTask.check(config);
    const io = memoryIO();
    const r = await translationTask.train(config, io);
    assert.match(
      io.lines[0],
      /^dates-gru-additive: 500 train pairs \(0 left out: empty\), 20 valid, 100 test; vocabularies \d+ source \/ 15 target tokens$/,
    );
    assert.equal(r.model, 'seq2seq/additive');
    assert.equal(r.metrics.sentences, 100);
    const byFormat = r.tables[0];
    assert.equal(byFormat.columns[0], 'input format');
    assert.equal(
      byFormat.rows.reduce((n, row) => n + Number(row[1]), 0),
      100,
    );
    const again = await translationTask.evaluate(r.checkpoint, {}, memoryIO());
    assert.equal(
      again.metrics.exact_match,
      r.metrics.exact_match,
      'evaluate regenerates the same held-out dates',
    );
  });
});
