import assert from 'node:assert/strict';
import { it } from 'node:test';
import { tensor } from '../ops/creation.js';
import { crossEntropy } from '../ops/loss.js';
import { describeEachBackend } from '../testing/backends.js';
import { loadFixture } from '../testing/fixtures.js';
import { runGolden } from '../testing/golden.js';
import { manualSeed } from '../util/random.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { LayerNorm } from './layernorm.js';
import { Linear } from './linear.js';

describeEachBackend('Linear, LayerNorm, Embedding, cross-entropy match PyTorch', () => {
  it('Linear(5, 3) on [2, 4, 5]', () => {
    const lin = new Linear(5, 3);
    runGolden(loadFixture('linear'), lin, ({ inputs }) => ({ output: lin.forward(inputs.input) }));
  });

  it('LayerNorm(8) on [2, 3, 8]', () => {
    const ln = new LayerNorm(8);
    runGolden(loadFixture('layernorm'), ln, ({ inputs }) => ({ output: ln.forward(inputs.input) }));
  });

  it('Embedding(10, 4, paddingIdx 0): the padding row gets no gradient', () => {
    const emb = new Embedding(10, 4, { paddingIdx: 0 });
    const fx = loadFixture('embedding_padding_idx');
    runGolden(fx, emb, ({ ints }) => ({ output: emb.forward(ints.input, fx.intInputs?.input?.shape) }));
    assert.ok(emb.weight.grad !== null);
    assert.deepEqual(Array.from(emb.weight.grad.data.subarray(0, 4)), [0, 0, 0, 0]);
  });

  it('cross-entropy with ignored targets and label smoothing, every reduction', () => {
    const fx = loadFixture('cross_entropy_ignore_smoothing');
    runGolden(fx, null, ({ inputs, ints }) => {
      const opts = { ignoreIndex: -100, labelSmoothing: 0.1 };
      return {
        mean: crossEntropy(inputs.logits, ints.target, { ...opts, reduction: 'mean' }),
        sum: crossEntropy(inputs.logits, ints.target, { ...opts, reduction: 'sum' }),
        none: crossEntropy(inputs.logits, ints.target, { ...opts, reduction: 'none' }),
      };
    });
  });
});

describeEachBackend('Module', () => {
  it('names parameters and round-trips a state dict', () => {
    const lin = new Linear(3, 2);
    assert.deepEqual(
      lin.namedParameters().map(([n]) => n),
      ['weight', 'bias'],
    );
    const other = new Linear(3, 2);
    other.loadStateDict(lin.stateDict());
    assert.deepEqual(Array.from(other.weight.data), Array.from(lin.weight.data));
    assert.equal(lin.numParameters(), 8);
  });

  it('reports missing, unexpected and misshaped keys clearly', () => {
    const lin = new Linear(3, 2);
    assert.throws(() => lin.loadStateDict(new Map([['weight', tensor([[1, 2, 3]])]])), /missing keys: bias/);
    const sd = lin.stateDict();
    sd.set('extra', tensor([1]));
    assert.throws(() => lin.loadStateDict(sd), /unexpected keys: extra/);
    const bad = new Map(lin.stateDict());
    bad.set('weight', tensor([[1, 2]]));
    assert.throws(() => lin.loadStateDict(bad), /'weight' has shape \[1, 2\], the model expects \[2, 3\]/);
  });

  it('initialises like PyTorch: Linear weights within ±1/√fan_in, LayerNorm ones and zeros', () => {
    manualSeed(3);
    const lin = new Linear(16, 8);
    const bound = 1 / Math.sqrt(16);
    assert.ok(lin.weight.data.every((v) => Math.abs(v) <= bound));
    assert.ok(lin.weight.data.some((v) => Math.abs(v) > bound / 2));
    const ln = new LayerNorm(4);
    assert.deepEqual(Array.from(ln.weight?.data ?? []), [1, 1, 1, 1]);
    assert.deepEqual(Array.from(ln.bias?.data ?? []), [0, 0, 0, 0]);
  });

  it('train()/eval() switch dropout in every child', () => {
    const d = new Dropout(0.5);
    const x = tensor([1, 1, 1, 1, 1, 1, 1, 1]);
    d.eval();
    assert.deepEqual(Array.from(d.forward(x).data), Array.from(x.data));
    d.train();
    assert.ok(Array.from(d.forward(x).data).some((v) => v === 0 || v === 2));
  });

  it('rejects an input of the wrong width with the layer and shape in the message', () => {
    assert.throws(
      () => new Linear(4, 2).forward(tensor([[1, 2, 3]])),
      /Linear\(4, 2\): input \[1, 3\] must end in 4/,
    );
  });
});
