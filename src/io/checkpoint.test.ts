import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Linear } from '../nn/linear.js';
import { fromArray } from '../ops/creation.js';
import { Adam } from '../optim/adam.js';
import { LRScheduler, warmupCosine } from '../optim/schedules.js';
import { HeedError } from '../util/errors.js';
import { Generator } from '../util/random.js';
import { CHECKPOINT_FILES, loadCheckpoint, readCheckpointConfig, saveCheckpoint } from './checkpoint.js';
import { loadSafetensors } from './safetensors.js';

const root = mkdtempSync(join(tmpdir(), 'heed-checkpoint-'));
after(() => rmSync(root, { recursive: true, force: true }));

function trained(seed: number) {
  const model = new Linear(3, 2, {}, { generator: new Generator(seed) });
  const opt = new Adam(model.parameters(), { lr: 0.1 });
  const sched = new LRScheduler(opt, warmupCosine({ lr: 0.1, warmup: 2, total: 10 }));
  for (const p of model.parameters()) p.grad = fromArray(new Array(p.size).fill(0.5), p.shape);
  opt.step();
  sched.step();
  return { model, opt, sched };
}

function throwsHeed(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof HeedError, String(e));
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

describe('checkpoints', () => {
  it('round trip: weights, optimizer, scheduler, RNG states, progress, config and extra files', () => {
    const dir = join(root, 'run1', 'ckpt');
    const a = trained(1);
    const gen = new Generator(42);
    gen.normal(); // leaves a Box–Muller spare in the state
    saveCheckpoint(dir, {
      model: a.model,
      kind: 'linear',
      config: { inFeatures: 3, outFeatures: 2 },
      optimizer: a.opt,
      scheduler: a.sched,
      generators: { data: gen },
      progress: { step: 1, epoch: 0, bestMetric: 0.25, custom: [1, 2] },
      files: { 'vocab.json': { tokens: ['a', 'b'] } },
    });
    assert.deepEqual(readdirSync(dir).sort(), [
      'config.json',
      'model.safetensors',
      'optimizer.json',
      'optimizer.safetensors',
      'trainer.json',
      'vocab.json',
    ]);
    assert.deepEqual(readdirSync(join(root, 'run1')), ['ckpt'], 'no temporary directory left');
    assert.deepEqual(loadSafetensors(join(dir, 'model.safetensors')).metadata, { format: 'pt' });

    const b = trained(2);
    const gen2 = new Generator(7);
    const loaded = loadCheckpoint(dir, {
      model: b.model,
      optimizer: b.opt,
      scheduler: b.sched,
      generators: { data: gen2 },
    });
    assert.deepEqual(loaded.config, {
      kind: 'linear',
      heedVersion: '0.1.0',
      config: { inFeatures: 3, outFeatures: 2 },
    });
    assert.deepEqual(loaded.progress, { step: 1, epoch: 0, bestMetric: 0.25, custom: [1, 2] });
    assert.deepEqual(loaded.files, { 'vocab.json': { tokens: ['a', 'b'] } });
    assert.deepEqual(b.model.weight.data, a.model.weight.data);
    assert.deepEqual(b.opt.stateDict().json, a.opt.stateDict().json);
    assert.equal(b.sched.steps, 1);
    assert.equal(b.opt.lr, a.opt.lr);
    assert.deepEqual(gen2.getState(), gen.getState());
    assert.equal(gen2.normal(), gen.normal());
    assert.deepEqual(readCheckpointConfig(`${dir}/`).config, { inFeatures: 3, outFeatures: 2 });
  });

  it('saving again replaces the directory whole and leaves nothing beside it', () => {
    const dir = join(root, 'run2', 'ckpt');
    saveCheckpoint(dir, { model: trained(1).model, files: { 'old.json': 1 } });
    const second = trained(3).model;
    saveCheckpoint(dir, { model: second });
    assert.deepEqual(readdirSync(join(root, 'run2')), ['ckpt']);
    assert.ok(!existsSync(join(dir, 'old.json')), 'files of the previous checkpoint are gone');
    const check = trained(4).model;
    loadCheckpoint(dir, { model: check });
    assert.deepEqual(check.weight.data, second.weight.data);
  });

  it('a save that fails half-way leaves the previous checkpoint intact', () => {
    const dir = join(root, 'run3', 'ckpt');
    const first = trained(1).model;
    saveCheckpoint(dir, { model: first, progress: { step: 5, epoch: 1, bestMetric: null } });
    const before = readFileSync(join(dir, CHECKPOINT_FILES.model));
    // JSON.stringify cannot write a BigInt: the extra file fails after the others were written.
    assert.throws(
      () => saveCheckpoint(dir, { model: trained(2).model, files: { 'bad.json': 1n } }),
      HeedError,
    );
    assert.deepEqual(readdirSync(join(root, 'run3')), ['ckpt']);
    assert.deepEqual(readFileSync(join(dir, CHECKPOINT_FILES.model)), before);
    assert.equal(loadCheckpoint(dir, { model: trained(5).model }).progress?.step, 5);
  });

  it('clear one-line errors: missing directory and files, shape mismatch, missing states, bad names', () => {
    const dir = join(root, 'run4', 'ckpt');
    const { model, opt } = trained(1);
    saveCheckpoint(dir, { model, kind: 'linear' });
    throwsHeed(
      () => loadCheckpoint(join(root, 'nowhere'), { model }),
      /checkpoint .*nowhere: directory not found/,
    );
    throwsHeed(
      () => loadCheckpoint(dir, { model, optimizer: opt }),
      /checkpoint .*ckpt: missing file optimizer\.json/,
    );
    throwsHeed(
      () => loadCheckpoint(dir, { model, generators: { default: new Generator() } }),
      /missing file trainer\.json/,
    );
    throwsHeed(
      () => loadCheckpoint(dir, { model: new Linear(4, 2) }),
      /model\.safetensors: 'weight' has shape \[2, 3\], the model expects \[2, 4\]/,
    );
    throwsHeed(
      () => loadCheckpoint(dir, { model: new Linear(3, 2, { bias: false }) }),
      /model\.safetensors: .*unexpected keys: bias/,
    );
    saveCheckpoint(dir, { model, progress: { step: 1, epoch: 0, bestMetric: null } });
    throwsHeed(
      () => loadCheckpoint(dir, { model, generators: { data: new Generator() } }),
      /trainer\.json: no RNG state for generator 'data'/,
    );
    writeFileSync(join(dir, 'config.json'), '{"kind": ');
    throwsHeed(() => loadCheckpoint(dir, { model }), /config\.json: bad JSON/);
    rmSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'config.json'), '{"heedVersion": "0.1.0"}');
    throwsHeed(() => loadCheckpoint(dir, { model }), /missing file model\.safetensors/);
    throwsHeed(
      () => saveCheckpoint(dir, { model, files: { '../x.json': 1 } }),
      /extra file name '\.\.\/x\.json'/,
    );
    throwsHeed(
      () => saveCheckpoint(dir, { model, files: { 'trainer.json': 1 } }),
      /extra file name 'trainer\.json'/,
    );
  });
});
