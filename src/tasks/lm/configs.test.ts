import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import '../../backend/native/register.js';
import { quietIO, tempDir } from '../classification/testing.js';
import { readRunConfig } from '../run-config.js';
import { loadLanguageModel } from './language-model.js';
import { lmTask } from './task.js';

const dir = tempDir('heed-moby-configs-');
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The shipped Moby-Dick configs are valid and run: each trains for a couple of steps on the
 * real text (one validation batch, a short sample) and writes a checkpoint that generates.
 */
describe('configs/moby-*.json', () => {
  for (const name of ['moby-gpt', 'moby-lstm', 'moby-attentive-rnn']) {
    it(`${name} checks, trains briefly and generates`, async () => {
      const config = readRunConfig(join('configs', `${name}.json`), [
        `--output=${join(dir, name)}`,
        '--training.maxSteps=2',
        '--training.schedule.warmup=1',
        '--training.evalEvery=0',
        '--training.progress=none',
        '--eval.evalBatches=1',
        '--eval.sampleTokens=5',
      ]);
      lmTask.check(config);
      const result = await lmTask.train(config, quietIO());
      assert.equal(result.name, name);
      assert.ok(Number.isFinite(result.metrics.valid_loss));
      const g = loadLanguageModel(result.checkpoint).generate('Call me ', { maxTokens: 5, seed: 1 });
      assert.equal(g.tokens.length, 5);
    });
  }
});
