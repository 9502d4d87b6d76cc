import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Seq2Seq } from '../models/seq2seq/model.js';
import { GPT } from '../models/transformer/gpt.js';
import type { Module } from '../nn/module.js';
import { crossEntropy } from '../ops/loss.js';
import { Adam } from '../optim/adam.js';
import { bufferPoolStats } from '../tensor/pool.js';
import { setUninitPoison, type Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { Generator } from '../util/random.js';
import { type StepLoss, Trainer } from './trainer.js';

/** Token ids in [1, vocab) (never padding). */
function ids(gen: Generator, n: number, vocab: number): Int32Array {
  return Int32Array.from({ length: n }, () => 1 + gen.int(vocab - 1));
}

/**
 * Trains a model for `steps` steps on fixed batches with dropout, releasing each step's graph or
 * not, and returns every parameter's bits and the losses.
 */
function train(
  model: Module,
  lossFn: (step: number) => StepLoss,
  steps: number,
  releaseGraph: boolean,
): { params: number[][]; losses: number[] } {
  const losses: number[] = [];
  let step = 0;
  const trainer = new Trainer<number>({
    model,
    optimizer: new Adam(model.parameters(), { lr: 0.01 }),
    trainBatches: () => [0, 1, 2],
    lossFn: () => lossFn(step++),
    maxSteps: steps,
    clipNorm: 1,
    seed: 11,
    progress: 'none',
    releaseGraph,
    onLog: (r) => {
      if (r.type === 'train') losses.push(r.loss);
    },
  });
  trainer.fit();
  const params = model
    .parameters()
    .map((p: Tensor) => Array.from(new Uint32Array(Float32Array.from(p.data).buffer)));
  return { params, losses };
}

function seq2seq(): { model: Seq2Seq; lossFn: (step: number) => StepLoss } {
  const model = new Seq2Seq(
    {
      srcVocabSize: 40,
      tgtVocabSize: 50,
      embedDim: 16,
      hiddenSize: 32,
      cell: 'gru',
      numLayers: 1,
      bidirectional: true,
      dropout: 0.2,
      attention: 'additive',
      decoder: 'seed001',
    },
    { generator: new Generator(1) },
  );
  const gen = new Generator(2);
  const [b, ts, tt] = [4, 9, 8];
  const batches = [0, 1].map(() => ({
    src: { ids: ids(gen, b * ts, 40), shape: [b, ts], lengths: Int32Array.from([9, 7, 9, 5]) },
    tgtIn: { ids: ids(gen, b * tt, 50), shape: [b, tt] },
    tgtOut: { ids: ids(gen, b * tt, 50), shape: [b, tt] },
  }));
  return { model, lossFn: (step) => ({ loss: model.loss(batches[step % 2]) }) };
}

function gpt(dropout = 0.1): { model: GPT; lossFn: (step: number) => StepLoss } {
  const model = new GPT(
    { vocabSize: 20, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32, dropout, bias: true },
    { generator: new Generator(1) },
  );
  const gen = new Generator(2);
  const [b, t] = [4, 16];
  const x = Int32Array.from({ length: b * t }, () => gen.int(20));
  const y = Int32Array.from({ length: b * t }, () => gen.int(20));
  return { model, lossFn: () => ({ loss: model.loss({ ids: x, shape: [b, t] }, y) }) };
}

/** One step's intermediates, stashed by a lossFn. */
interface Stash {
  logits: Tensor | null;
}

function stashingTrainer(stash: Stash, retain: boolean): { trainer: Trainer<number>; model: GPT } {
  const { model } = gpt();
  const gen = new Generator(3);
  const x = Int32Array.from({ length: 64 }, () => gen.int(20));
  const trainer = new Trainer<number>({
    model,
    optimizer: new Adam(model.parameters(), { lr: 0.01 }),
    trainBatches: () => [0],
    lossFn: () => {
      const { logits } = model.forward({ ids: x, shape: [4, 16] });
      stash.logits = logits;
      const loss = crossEntropy(logits, x);
      return retain ? { loss, retain: [logits] } : { loss };
    },
    maxSteps: 2,
    seed: 1,
    progress: 'none',
  });
  return { trainer, model };
}

describeEachBackend('Trainer with releaseGraph', () => {
  it('a tensor the lossFn retains stays readable; one it does not throws when read', () => {
    const kept: Stash = { logits: null };
    stashingTrainer(kept, true).trainer.fit();
    assert.ok(kept.logits !== null && Number.isFinite(kept.logits.data[0]));
    const lost: Stash = { logits: null };
    stashingTrainer(lost, false).trainer.fit();
    assert.throws(() => lost.logits?.data, /was used after it was released/);
  });

  it("zeroGrad's release recycles the last step's gradients", () => {
    const { trainer, model } = stashingTrainer({ logits: null }, false);
    trainer.fit();
    const w = model.transformer.h.items[0].mlp.cFc.weight; // [128, 32]: a pooled size
    const old = w.grad;
    assert.ok(old !== null);
    const optimizer = new Adam(model.parameters());
    optimizer.zeroGrad({ release: true });
    assert.equal(w.grad, null);
    assert.ok(old.released);
    assert.throws(() => old.data, /released/);
  });

  for (const [name, build] of [
    ['seq2seq (GRU, additive attention, dropout)', seq2seq],
    ['GPT (dropout)', () => gpt(0.1)],
    ['GPT (no dropout: packed attention)', () => gpt(0)],
  ] as const) {
    it(`${name}: parameters and losses are bit-identical to training without release`, () => {
      const plain = build();
      const expected = train(plain.model, plain.lossFn, 4, false);
      const released = build();
      const hits = bufferPoolStats().hits;
      const got = train(released.model, released.lossFn, 4, true);
      assert.ok(bufferPoolStats().hits > hits, 'the steps reused pooled buffers');
      assert.deepEqual(got.losses, expected.losses);
      assert.deepEqual(got.params, expected.params);
    });

    it(`${name}: every output allocated unfilled is written in full (NaN-filled, same bits)`, () => {
      const plain = build();
      const expected = train(plain.model, plain.lossFn, 3, false);
      const poisoned = build();
      const previous = setUninitPoison(true);
      try {
        const got = train(poisoned.model, poisoned.lossFn, 3, false);
        assert.deepEqual(got.losses, expected.losses);
        assert.deepEqual(got.params, expected.params);
      } finally {
        setUninitPoison(previous);
      }
    });
  }
});
