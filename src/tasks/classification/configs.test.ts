import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import '../../backend/native/register.js';
import { readRunConfig } from '../run-config.js';
import { loadClassifier } from './classifier.js';
import { classificationTask } from './task.js';
import { quietIO, tempDir } from './testing.js';

const dir = tempDir('heed-spam-configs-');
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The shipped spam configs are valid and run: each trains for a couple of steps on the real
 * data (a small test split to keep it quick) and writes a checkpoint that classifies.
 */
describe('configs/spam-*.json', () => {
  for (const name of ['spam-attentive', 'spam-bow', 'spam-nb']) {
    it(`${name} checks, trains briefly and classifies`, async () => {
      const overrides = [`--output=${join(dir, name)}`, '--data.split.valid=0.02', '--data.split.test=0.02'];
      if (name !== 'spam-nb')
        overrides.push(
          '--training.maxSteps=2',
          '--training.evalEvery=0',
          '--training.progress=none',
          '--training.schedule.warmup=1',
        );
      const config = readRunConfig(join('configs', `${name}.json`), overrides);
      classificationTask.check(config);
      const result = await classificationTask.train(config, quietIO());
      assert.equal(result.name, name);
      assert.ok(result.metrics.accuracy >= 0 && result.metrics.accuracy <= 1);
      const [c] = loadClassifier(result.checkpoint).classify(['Click here to claim your FREE prize!']);
      assert.ok(c.label === 'spam' || c.label === 'ham');
    });
  }
});
