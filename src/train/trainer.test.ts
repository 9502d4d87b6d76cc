import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { loadCheckpoint } from '../io/checkpoint.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { mul } from '../ops/binary.js';
import { fromArray } from '../ops/creation.js';
import { crossEntropy } from '../ops/loss.js';
import { relu } from '../ops/unary.js';
import { AdamW } from '../optim/adam.js';
import { LRScheduler, warmupCosine } from '../optim/schedules.js';
import type { Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { HeedError } from '../util/errors.js';
import { defaultGenerator, Generator } from '../util/random.js';
import { parseTrainerConfig } from './config.js';
import { type LogRecord, Trainer, type TrainerOptions } from './trainer.js';

const root = mkdtempSync(join(tmpdir(), 'heed-trainer-'));
after(() => rmSync(root, { recursive: true, force: true }));
let runs = 0;
const freshDir = (name: string) => join(root, `${name}-${runs++}`);

/** Linear → dropout → ReLU → Linear: dropout makes the default generator's state matter. */
class Tiny extends Module {
  readonly fc1: Linear;
  readonly drop: Dropout;
  readonly fc2: Linear;
  constructor(seed: number) {
    super();
    const generator = new Generator(seed);
    this.fc1 = this.addModule('fc1', new Linear(4, 8, {}, { generator }));
    this.drop = this.addModule('drop', new Dropout(0.3));
    this.fc2 = this.addModule('fc2', new Linear(8, 3, {}, { generator }));
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(relu(this.drop.forward(this.fc1.forward(x))));
  }
}

interface Batch {
  x: Tensor;
  y: number[];
}

const N = 40;
const BATCH = 8; // 5 batches per epoch
const dataGen = new Generator(99);
const features = Array.from({ length: N * 4 }, () => dataGen.normal());
const labels = Array.from({ length: N }, (_, i) => (features[i * 4] + features[i * 4 + 1] > 0 ? 1 : i % 3));

/**
 * Batches in a shuffled order drawn lazily from the default generator at the first next(), plus
 * per-batch input noise from a generator only the data uses.
 */
function makeBatches(noise: Generator): () => Iterable<Batch> {
  return function* () {
    const order = Array.from({ length: N }, (_, i) => i);
    for (let i = N - 1; i > 0; i--) {
      const j = defaultGenerator.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let b = 0; b < N; b += BATCH) {
      const idx = order.slice(b, b + BATCH);
      const x = idx.flatMap((i) => features.slice(i * 4, i * 4 + 4).map((f) => f + 0.01 * noise.normal()));
      yield { x: fromArray(x, [idx.length, 4]), y: idx.map((i) => labels[i]) };
    }
  };
}

interface Setup {
  trainer: Trainer<Batch>;
  model: Tiny;
  losses: Map<number, number>;
  records: LogRecord[];
}

function setup(opts: Partial<TrainerOptions<Batch>> & { initSeed?: number; nanAt?: number } = {}): Setup {
  const { initSeed = 1, nanAt, ...rest } = opts;
  const model = new Tiny(initSeed);
  const optimizer = new AdamW(model.parameters(), { lr: 0.01 });
  const scheduler = new LRScheduler(optimizer, warmupCosine({ lr: 0.01, warmup: 3, total: 20, minLr: 1e-3 }));
  const noise = new Generator(5);
  const losses = new Map<number, number>();
  const records: LogRecord[] = [];
  let calls = 0;
  const trainer = new Trainer<Batch>({
    model,
    optimizer,
    scheduler,
    generators: { noise },
    trainBatches: makeBatches(noise),
    lossFn: (b) => {
      calls++;
      const loss = crossEntropy(model.forward(b.x), b.y);
      return { loss: calls === nanAt ? mul(loss, Number.NaN) : loss, tokens: b.y.length };
    },
    maxSteps: 12,
    seed: 3,
    progress: 'none',
    onLog: (r) => {
      records.push(r);
      if (r.type === 'train') losses.set(r.step, r.loss);
    },
    ...rest,
  });
  return { trainer, model, losses, records };
}

describeEachBackend('Trainer', () => {
  it('resume continues bit-identically: stopped at step 7 (mid-epoch, with dropout) and resumed', () => {
    const full = setup({ evalEvery: 4, evaluate: () => ({ u: defaultGenerator.uniform() }) });
    full.trainer.fit();
    assert.equal(full.losses.size, 12);

    const dir = freshDir('resume');
    const first = setup({ maxSteps: 7, checkpointDir: dir, evalEvery: 4, evaluate: () => ({ u: 0 }) });
    first.trainer.fit();
    for (let s = 1; s <= 7; s++) assert.equal(first.losses.get(s), full.losses.get(s), `step ${s}`);

    const second = setup({ initSeed: 777, checkpointDir: dir, evalEvery: 4, evaluate: () => ({ u: 0 }) });
    second.trainer.resume(dir);
    const result = second.trainer.fit();
    assert.deepEqual([...second.losses.keys()], [8, 9, 10, 11, 12]);
    for (let s = 8; s <= 12; s++) assert.equal(second.losses.get(s), full.losses.get(s), `step ${s}`);
    assert.deepEqual(second.model.fc1.weight.data, full.model.fc1.weight.data);
    assert.deepEqual(second.model.fc2.bias?.data, full.model.fc2.bias?.data);
    assert.equal(result.step, 12);
    assert.equal(result.epoch, 2); // 12 steps of 5 per epoch: epochs 1 and 2 complete
    assert.equal(loadCheckpoint(dir, { model: new Tiny(0) }).progress?.step, 12);
  });

  it('is deterministic under a seed; another seed changes the dropout masks', () => {
    const a = setup();
    a.trainer.fit();
    const b = setup();
    b.trainer.fit();
    assert.deepEqual([...a.losses], [...b.losses]);
    const c = setup({ seed: 4 });
    c.trainer.fit();
    assert.notDeepEqual([...a.losses], [...c.losses]);
  });

  it('a NaN loss stops training with an error naming the step; the last good checkpoint is kept', () => {
    const dir = freshDir('nan');
    const run = setup({ nanAt: 5, checkpointDir: dir, checkpointEvery: 2 });
    assert.throws(
      () => run.trainer.fit(),
      (e: Error) => {
        assert.ok(e instanceof HeedError);
        assert.match(e.message, /training diverged: loss is NaN at step 5 \(epoch 1\)/);
        assert.match(e.message, /last good checkpoint \(step 4\) is kept in/);
        return true;
      },
    );
    const probe = new Tiny(0);
    assert.equal(loadCheckpoint(dir, { model: probe }).progress?.step, 4);
  });

  it('early stopping after `patience` evaluations without improvement; the best model is saved', () => {
    const values = [1, 0.9, 0.95, 0.97, 0.5];
    let k = 0;
    const best = freshDir('best');
    const run = setup({
      evalEvery: 1,
      evaluate: () => ({ valLoss: values[k++] }),
      earlyStopping: { metric: 'valLoss', mode: 'min', patience: 2, minDelta: 0 },
      bestCheckpointDir: best,
    });
    const result = run.trainer.fit();
    assert.equal(result.stopReason, 'earlyStopping');
    assert.equal(result.step, 4);
    assert.equal(result.bestMetric, 0.9);
    assert.equal(result.bestStep, 2);
    assert.equal(loadCheckpoint(best, { model: new Tiny(0) }).progress?.step, 2);
  });

  it('writes a JSONL log: train steps (loss, lr, tokens/s, grad norm) and evaluations', () => {
    const logFile = join(freshDir('log'), 'log.jsonl');
    const run = setup({ maxSteps: 6, clipNorm: 0.5, evalEvery: 3, evaluate: () => ({ acc: 0.5 }), logFile });
    run.trainer.fit();
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(lines, JSON.parse(JSON.stringify(run.records)));
    assert.deepEqual(
      lines.map((l) => `${l.type}${l.step}`),
      ['train1', 'train2', 'train3', 'eval3', 'train4', 'train5', 'train6', 'eval6'],
    );
    const schedule = warmupCosine({ lr: 0.01, warmup: 3, total: 20, minLr: 1e-3 });
    for (const l of lines.filter((x) => x.type === 'train')) {
      assert.equal(l.lr, schedule(l.step));
      assert.equal(l.tokens, 8);
      for (const key of ['loss', 'tokensPerSec', 'gradNorm', 'elapsed'])
        assert.equal(typeof l[key], 'number', key);
    }
    assert.deepEqual(lines[3].metrics, { acc: 0.5 });
  });

  it('maxEpochs stops after whole passes; evaluation does not change training', () => {
    const plain = setup({ maxSteps: undefined, maxEpochs: 2 });
    const result = plain.trainer.fit();
    assert.equal(result.stopReason, 'maxEpochs');
    assert.equal(result.step, 10);
    // evaluate() draws from the default generator: the trainer restores the RNG afterwards.
    const evaluated = setup({
      maxEpochs: 2,
      maxSteps: undefined,
      evalEvery: 2,
      evaluate: () => ({ u: defaultGenerator.uniform() }),
    });
    evaluated.trainer.fit();
    assert.deepEqual([...evaluated.losses], [...plain.losses]);
  });

  it('progress: a bar redrawn in place on a TTY, plain lines every logEvery steps elsewhere', () => {
    let tty = '';
    setup({
      maxSteps: 6,
      progress: 'auto',
      output: { isTTY: true, columns: 200, write: (s) => (tty += s) },
    }).trainer.fit();
    const lastBar = tty.split('\r\x1b[K').at(-1) ?? '';
    assert.match(
      lastBar,
      /^step 6\/6 █+ \| epoch 2 \| loss \d\.\d{4} \| lr \d\.\d\de-\d \| \d+(\.\d)?k? tok\/s \| ETA 0:00\n$/,
    );
    assert.ok(tty.endsWith('\n'));
    let plain = '';
    setup({
      maxSteps: 6,
      logEvery: 2,
      progress: 'auto',
      output: { write: (s) => (plain += s) },
    }).trainer.fit();
    const lines = plain.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(' | ')[0]),
      ['step 2/6', 'step 4/6', 'step 6/6'],
    );
    assert.ok(!plain.includes('\r'));
  });

  it('Trainer.fromConfig builds the optimizer and schedule from JSON', () => {
    const config = parseTrainerConfig({
      maxSteps: 4,
      progress: 'none',
      optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 },
      schedule: { name: 'linear', warmup: 1 },
    });
    const model = new Tiny(1);
    const lrs: number[] = [];
    const trainer = Trainer.fromConfig<Batch>(config, {
      model,
      trainBatches: makeBatches(new Generator(1)),
      lossFn: (b) => ({ loss: crossEntropy(model.forward(b.x), b.y) }),
      onLog: (r) => {
        if (r.type === 'train') lrs.push(r.lr);
      },
    });
    trainer.fit();
    // Linear warm-up over 1 step, then decay to 0 at t = maxSteps = 4: 0.1·(4 − t)/3.
    const want = [0.1, 0.1 * (2 / 3), 0.1 / 3, 0];
    lrs.forEach((lr, i) => {
      assert.ok(Math.abs(lr - want[i]) < 1e-15, `step ${i + 1}: ${lr}`);
    });
    assert.equal(lrs.length, 4);
  });

  it('option errors are one-line HeedErrors', () => {
    assert.throws(() => setup({ maxSteps: undefined }), /Trainer: set maxSteps or maxEpochs/);
    assert.throws(() => setup({ maxSteps: 0 }), /Trainer: options\.maxSteps must be an integer >= 1, got 0/);
    assert.throws(
      () => setup({ earlyStopping: { metric: 'x', mode: 'min', patience: 1, minDelta: 0 } }),
      /earlyStopping needs evalEvery > 0/,
    );
  });
});
