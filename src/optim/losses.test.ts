import assert from 'node:assert/strict';
import { it } from 'node:test';
import { tensor } from '../ops/creation.js';
import { crossEntropy } from '../ops/loss.js';
import { logSoftmax } from '../ops/softmax.js';
import type { NestedArray, Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { loadFixture } from '../testing/fixtures.js';
import { runGolden } from '../testing/golden.js';
import { assertClose, checkOp, randomTensor } from '../testing/gradcheck.js';
import { binaryCrossEntropyWithLogits, nllLoss } from './losses.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-6): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

describeEachBackend('nllLoss', (backend) => {
  // log-probabilities [[ln .2, ln .3, ln .5], [ln .1, ln .6, ln .3]], targets [2, 1].
  const lp = () =>
    tensor([
      [Math.log(0.2), Math.log(0.3), Math.log(0.5)],
      [Math.log(0.1), Math.log(0.6), Math.log(0.3)],
    ]);

  it('values by hand: −log p of the target, ignored rows excluded from the mean', () => {
    expectClose(nllLoss(lp(), [2, 1], { reduction: 'none' }), [-Math.log(0.5), -Math.log(0.6)]);
    expectClose(nllLoss(lp(), [2, 1]), -(Math.log(0.5) + Math.log(0.6)) / 2);
    expectClose(nllLoss(lp(), [2, 1], { reduction: 'sum' }), -(Math.log(0.5) + Math.log(0.6)));
    expectClose(nllLoss(lp(), [-100, 1]), -Math.log(0.6));
    expectClose(nllLoss(lp(), [0, 7], { ignoreIndex: 7, reduction: 'none' }), [-Math.log(0.2), 0]);
    assert.ok(Number.isNaN(nllLoss(lp(), [-100, -100]).item()));
  });

  it('nllLoss(logSoftmax(x)) equals crossEntropy(x)', () => {
    const x = randomTensor([4, 6], 31, -3, 3);
    const t = [5, -100, 0, 2];
    assertClose(nllLoss(logSoftmax(x, -1), t), crossEntropy(x, t), 1e-6, 1e-6);
  });

  it('equals F.nll_loss (fixture optim_nll_loss), outputs and gradient', () => {
    runGolden(
      loadFixture('optim_nll_loss'),
      null,
      ({ inputs, ints }) => {
        const target = ints.target;
        return {
          mean: nllLoss(inputs.logProbs, target),
          sum: nllLoss(inputs.logProbs, target, { reduction: 'sum' }),
          none: nllLoss(inputs.logProbs, target, { reduction: 'none' }),
        };
      },
      { atol: 1e-6, rtol: 1e-6 },
    );
  });

  it('gradient check, and errors naming the target', () => {
    checkOp(backend, (x) => nllLoss(x, [1, -100, 3]), [randomTensor([3, 4], 32, -2, 0)]);
    assert.throws(
      () => nllLoss(lp(), [2, 3]),
      /nllLoss: target 3 at position 1 is out of range for 3 classes/,
    );
    assert.throws(() => nllLoss(lp(), [2]), /nllLoss: 1 targets for logProbs \[2, 3\] \(2 rows expected\)/);
  });
});

describeEachBackend('binaryCrossEntropyWithLogits', (backend) => {
  it('values by hand: max(x,0) − x·y + log(1 + e^−|x|)', () => {
    const x = tensor([0, 2, -3, 100, -100]);
    const y = tensor([1, 0, 0.25, 1, 1]);
    const by = (xi: number, yi: number) => Math.max(xi, 0) - xi * yi + Math.log1p(Math.exp(-Math.abs(xi)));
    const want = [by(0, 1), by(2, 0), by(-3, 0.25), by(100, 1), by(-100, 1)]; // [ln 2, 2.1269, …, 0, 100]
    expectClose(binaryCrossEntropyWithLogits(x, y, { reduction: 'none' }), want, 1e-5);
    expectClose(binaryCrossEntropyWithLogits(x, y), want.reduce((a, b) => a + b) / 5, 1e-5);
  });

  it('gradient σ(x) − y is exact at x = 0 (no kink from max or |x|)', () => {
    const x = tensor([0, 0, 0], { requiresGrad: true });
    binaryCrossEntropyWithLogits(x, tensor([1, 0, 0.5]), { reduction: 'sum' }).backward();
    expectClose(x.grad ?? tensor(0), [-0.5, 0.5, 0]);
    // With posWeight p: ∂ℓ/∂x = (1 − y)·σ(x) − p·y·(1 − σ(x)) → at 0, y = 1, p = 3: −1.5.
    const z = tensor([0], { requiresGrad: true });
    binaryCrossEntropyWithLogits(z, tensor([1]), { reduction: 'sum', posWeight: 3 }).backward();
    expectClose(z.grad ?? tensor(0), [-1.5]);
  });

  it('equals F.binary_cross_entropy_with_logits (fixture optim_bce_with_logits), with pos_weight', () => {
    const fx = loadFixture('optim_bce_with_logits');
    const posWeight = tensor([1, 2, 0.5, 3]);
    runGolden(
      fx,
      null,
      ({ inputs }) => {
        const out: Record<string, Tensor> = {};
        for (const reduction of ['mean', 'sum', 'none'] as const) {
          out[reduction] = binaryCrossEntropyWithLogits(inputs.logits, inputs.targets, { reduction });
          out[`${reduction}_pos_weight`] = binaryCrossEntropyWithLogits(inputs.logits, inputs.targets, {
            reduction,
            posWeight,
          });
        }
        return out;
      },
      { atol: 1e-5, rtol: 1e-6 },
    );
  });

  it('gradient check and shape errors', () => {
    checkOp(backend, (x, y) => binaryCrossEntropyWithLogits(x, y, { posWeight: 2 }), [
      randomTensor([2, 3], 33, -4, 4),
      randomTensor([2, 3], 34, 0, 1),
    ]);
    assert.throws(
      () => binaryCrossEntropyWithLogits(tensor([1, 2]), tensor([1])),
      /targets \[1\] must have the logits' shape \[2\]/,
    );
  });
});
