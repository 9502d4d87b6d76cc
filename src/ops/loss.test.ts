import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { NestedArray, Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { agreesWithReference, assertClose, checkOp, randomTensor } from '../testing/gradcheck.js';
import { fromArray, tensor } from './creation.js';
import { type CrossEntropyOptions, crossEntropy, crossEntropyComposed } from './loss.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-6): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

// Worked by hand: logits [[1, 2, 3], [1, 1, 1]], targets [2, 0].
//   row 0: −log softmax([1, 2, 3])[2] = log(e + e² + e³) − 3 = 0.40760596444438046
//   row 1: −log(1/3) = log 3 = 1.0986122886681098
const ROW0 = 0.40760596444438046;
const ROW1 = 1.0986122886681098;
const logits = (requiresGrad = false): Tensor =>
  tensor(
    [
      [1, 2, 3],
      [1, 1, 1],
    ],
    { requiresGrad },
  );

describeEachBackend('crossEntropy', (backend) => {
  it('values by hand for every reduction', () => {
    expectClose(crossEntropy(logits(), [2, 0]), (ROW0 + ROW1) / 2);
    expectClose(crossEntropy(logits(), [2, 0], { reduction: 'mean' }), 0.7531091265562451);
    expectClose(crossEntropy(logits(), [2, 0], { reduction: 'sum' }), ROW0 + ROW1);
    const none = crossEntropy(logits(), [2, 0], { reduction: 'none' });
    assert.deepEqual(none.shape, [2]);
    expectClose(none, [ROW0, ROW1]);
  });

  it('ignored targets contribute nothing and do not count in the mean', () => {
    expectClose(crossEntropy(logits(), [2, -100]), ROW0);
    expectClose(crossEntropy(logits(), [2, -100], { reduction: 'sum' }), ROW0);
    expectClose(crossEntropy(logits(), [2, -100], { reduction: 'none' }), [ROW0, 0]);
    expectClose(crossEntropy(logits(), [1, 0], { ignoreIndex: 1 }), ROW1);
    // Every target ignored: the mean is 0/0 = NaN, as in PyTorch; the sum is 0.
    assert.ok(Number.isNaN(crossEntropy(logits(), [-100, -100]).item()));
    expectClose(crossEntropy(logits(), [-100, -100], { reduction: 'sum' }), 0);
  });

  it('label smoothing ε = 0.1: ℓ = 0.9·(−log p_t) + 0.1·mean_c(−log p_c)', () => {
    // row 0: mean_c(−log p_c) = (2.4076 + 1.4076 + 0.4076) / 3 = 1.40760596444438; row 1: log 3.
    const r0 = 0.9 * ROW0 + 0.1 * 1.40760596444438;
    expectClose(crossEntropy(logits(), [2, 0], { labelSmoothing: 0.1, reduction: 'none' }), [r0, ROW1]);
    expectClose(crossEntropy(logits(), [2, 0], { labelSmoothing: 0.1 }), 0.8031091265562451);
    expectClose(crossEntropy(logits(), [2, -100], { labelSmoothing: 0.1 }), r0);
    // ε = 1: the target is ignored entirely, the loss is the mean negative log-probability.
    expectClose(crossEntropy(logits(), [0, 0], { labelSmoothing: 1, reduction: 'none' }), [
      1.40760596444438,
      ROW1,
    ]);
  });

  it('gradient by hand: (softmax − one-hot) / N', () => {
    const x = logits(true);
    crossEntropy(x, [2, 0]).backward();
    const p = [0.09003057317038046, 0.24472847105479764, 0.6652409557748218];
    expectClose(x.grad as Tensor, [
      [p[0] / 2, p[1] / 2, (p[2] - 1) / 2],
      [(1 / 3 - 1) / 2, 1 / 6, 1 / 6],
    ]);
    const y = logits(true);
    crossEntropy(y, [-100, 1], { reduction: 'sum' }).backward();
    expectClose(y.grad as Tensor, [
      [0, 0, 0],
      [1 / 3, 1 / 3 - 1, 1 / 3],
    ]);
  });

  const cases: readonly CrossEntropyOptions[] = [
    {},
    { reduction: 'sum' },
    { reduction: 'none' },
    { ignoreIndex: -100 },
    { labelSmoothing: 0.2 },
    { labelSmoothing: 0.2, reduction: 'sum' },
    { labelSmoothing: 0.2, reduction: 'none' },
  ];
  for (const opts of cases) {
    it(`gradient with ignored targets, options ${JSON.stringify(opts)}`, () => {
      const targets = [4, -100, 0, 2, -100, 3];
      checkOp(backend, (x) => crossEntropy(x, targets, opts), [randomTensor([6, 5], 121, -2, 2)]);
    });
  }

  it('gradient on 3-D logits [2, 3, 5] and with a custom ignoreIndex', () => {
    checkOp(backend, (x) => crossEntropy(x, [0, 4, 1, 1, 3, 2]), [randomTensor([2, 3, 5], 122, -2, 2)]);
    checkOp(backend, (x) => crossEntropy(x, [0, 4, 1, 1, 3, 2], { ignoreIndex: 1, labelSmoothing: 0.1 }), [
      randomTensor([2, 3, 5], 123, -2, 2),
    ]);
    const none = crossEntropy(randomTensor([2, 3, 5], 124), [0, 4, 1, 1, 3, 2], { reduction: 'none' });
    assert.deepEqual(none.shape, [2, 3]);
  });

  it('the fused op equals its composition: values and gradients, every option', () => {
    const targets = Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? 1 : (i * 13) % 37));
    const more: CrossEntropyOptions[] = [
      { ignoreIndex: 1 },
      { ignoreIndex: 1, labelSmoothing: 0.3, reduction: 'none' },
    ];
    for (const opts of [...cases, ...more]) {
      const run = (fn: typeof crossEntropy) => {
        const x = randomTensor([5, 8, 37], 126, -4, 4);
        const leaf = tensor(x.toArray(), { requiresGrad: true }); // float32
        const loss = fn(leaf, targets, opts);
        const seed = fromArray(
          Array.from({ length: loss.size }, (_, i) => 1 + 0.25 * i),
          loss.shape,
        );
        loss.backward(seed);
        return { loss, grad: leaf.grad as Tensor };
      };
      const fused = run(crossEntropy);
      const composed = run(crossEntropyComposed);
      const what = JSON.stringify(opts);
      assertClose(fused.loss, composed.loss, 1e-6, 1e-5, `loss ${what}`);
      assertClose(fused.grad, composed.grad, 1e-7, 1e-5, `gradient ${what}`);
    }
  });

  it('a larger batch agrees with the float64 reference', () => {
    const targets = Array.from({ length: 64 }, (_, i) => (i % 9 === 0 ? -100 : (i * 37) % 500));
    agreesWithReference(
      (x) => crossEntropy(x, targets, { labelSmoothing: 0.1 }),
      [randomTensor([64, 500], 125, -5, 5)],
    );
  });

  it('is stable for large logits', () => {
    const big = tensor([
      [1000, 1001, 1002],
      [-1000, -1000, -1000],
    ]);
    expectClose(crossEntropy(big, [2, 0], { reduction: 'none' }), [ROW0, ROW1], 1e-5);
  });

  it('an out-of-range target names the value, its position and the class count', () => {
    assert.throws(
      () => crossEntropy(logits(), [2, 5]),
      (e: Error) => {
        assert.match(e.message, /crossEntropy/);
        assert.match(e.message, /target 5 at position 1/);
        assert.match(e.message, /3 classes/);
        return true;
      },
    );
    assert.throws(() => crossEntropy(logits(), [-1, 0]), /target -1 at position 0/);
    assert.throws(() => crossEntropy(logits(), [0.5, 0]), /target 0.5/);
    assert.throws(
      () => crossEntropy(logits(), [0, 1, 2]),
      /crossEntropy: 3 targets for logits \[2, 3\] \(2 rows expected\)/,
    );
    assert.throws(
      () => crossEntropy(logits(), [0, 1], { labelSmoothing: 1.5 }),
      /labelSmoothing must be in \[0, 1\], got 1.5/,
    );
  });
});
