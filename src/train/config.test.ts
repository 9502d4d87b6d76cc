import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Parameter } from '../nn/parameter.js';
import { Adam, AdamW } from '../optim/adam.js';
import { SGD } from '../optim/sgd.js';
import { HeedError } from '../util/errors.js';
import { buildOptimizer, buildSchedule, parseTrainerConfig } from './config.js';

function rejects(json: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseTrainerConfig(json, 'train.json'),
    (e: Error) => {
      assert.ok(e instanceof HeedError);
      assert.ok(e.message.startsWith('train.json: '), e.message);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

describe('TrainerConfig', () => {
  it('defaults', () => {
    assert.deepEqual(parseTrainerConfig({ maxSteps: 100 }), {
      maxSteps: 100,
      evalEvery: 0,
      checkpointEvery: 0,
      seed: 0,
      progress: 'auto',
      logEvery: 50,
      optimizer: { name: 'adamw', lr: 1e-3 },
      schedule: { name: 'constant', warmup: 0, minLr: 0, factor: 1 },
    });
    const c = parseTrainerConfig({ maxEpochs: 3, evalEvery: 10, earlyStopping: { metric: 'valLoss' } });
    assert.deepEqual(c.earlyStopping, { metric: 'valLoss', mode: 'min', patience: 5, minDelta: 0 });
  });

  it('unknown or ill-typed keys name the key and the expected type', () => {
    rejects({ maxStep: 10 }, /unknown key "maxStep" .*did you mean "maxSteps"\?/);
    rejects({ maxSteps: '10' }, /config\.maxSteps must be an integer >= 1, got "10" \(a string\)/);
    rejects({ maxSteps: 10, clipNorm: 0 }, /config\.clipNorm must be a number > 0, got 0/);
    rejects(
      { maxSteps: 10, progress: 'fancy' },
      /config\.progress must be 'auto' \| 'bar' \| 'lines' \| 'none'/,
    );
    rejects(
      { maxSteps: 10, optimizer: { name: 'adam', lr: -1 } },
      /config\.optimizer\.lr must be a number >= 0/,
    );
    rejects(
      { maxSteps: 10, optimizer: { name: 'rmsprop' } },
      /config\.optimizer\.name must be 'adamw' \| 'adam' \| 'sgd'/,
    );
    rejects({ maxSteps: 10, optimizer: { betas: [0.9] } }, /config\.optimizer\.betas must be an array of 2/);
    rejects(
      { maxSteps: 10, evalEvery: 1, earlyStopping: { metric: 'l', mode: 'lowest' } },
      /config\.earlyStopping\.mode must be 'min' \| 'max', got "lowest"/,
    );
  });

  it('relations between keys', () => {
    rejects({}, /set maxSteps or maxEpochs/);
    rejects({ maxSteps: 5, earlyStopping: { metric: 'l' } }, /earlyStopping needs evalEvery > 0/);
    rejects({ maxSteps: 5, bestCheckpointDir: 'b' }, /bestCheckpointDir needs earlyStopping/);
    rejects(
      { maxSteps: 5, optimizer: { name: 'adam', momentum: 0.9 } },
      /optimizer\.momentum does not apply to 'adam'/,
    );
    rejects(
      { maxSteps: 5, optimizer: { name: 'sgd', betas: [0.9, 0.99] } },
      /optimizer\.betas does not apply to 'sgd'/,
    );
    rejects(
      { maxEpochs: 5, schedule: { name: 'cosine' } },
      /schedule\.total is needed for a cosine schedule/,
    );
    rejects({ maxSteps: 5, schedule: { name: 'noam', warmup: 10 } }, /noam schedule needs schedule\.dModel/);
  });

  it('builds optimizers and schedules', () => {
    const p = [new Parameter(new Float32Array(2), [2])];
    const c = parseTrainerConfig({
      maxSteps: 10,
      optimizer: { name: 'sgd', lr: 0.5, momentum: 0.9, nesterov: true },
    });
    const sgd = buildOptimizer(c.optimizer, p);
    assert.ok(sgd instanceof SGD);
    assert.equal(sgd.groups[0].options.lr, 0.5);
    assert.ok(buildOptimizer({ name: 'adam', lr: 1 }, p) instanceof Adam);
    const adamw = buildOptimizer({ name: 'adamw', lr: 1 }, p);
    assert.ok(adamw instanceof AdamW);
    assert.deepEqual(adamw.stateDict().json.groups[0].options, {
      lr: 1,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0.01,
      amsgrad: false,
      maximize: false,
    });
    const noam = parseTrainerConfig({
      maxSteps: 10,
      schedule: { name: 'noam', dModel: 16, warmup: 4 },
    }).schedule;
    assert.equal(buildSchedule(noam, 1)(4), 16 ** -0.5 * 4 ** -0.5);
    const cos = parseTrainerConfig({ maxSteps: 10, schedule: { name: 'cosine', warmup: 2 } }).schedule;
    assert.equal(buildSchedule(cos, 1, 10)(10), 0);
  });
});
