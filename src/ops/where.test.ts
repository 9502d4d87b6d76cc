import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Mask } from '../tensor/mask.js';
import type { NestedArray, Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { agreesWithReference, assertClose, checkOp, randomTensor } from '../testing/gradcheck.js';
import { Generator } from '../util/random.js';
import { tensor } from './creation.js';
import { sum } from './reduce.js';
import { softmax } from './softmax.js';
import { maskedFill, where } from './where.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-6): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

describeEachBackend('where and maskedFill', (backend) => {
  it('where picks elementwise, with the mask broadcast over columns and rows', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tensor([
      [10, 20, 30],
      [40, 50, 60],
    ]);
    expectClose(
      where(
        Mask.from([
          [true, false, true],
          [false, true, false],
        ]),
        a,
        b,
      ),
      [
        [1, 20, 3],
        [40, 5, 60],
      ],
    );
    expectClose(where(Mask.from([[true], [false]]), a, b), [
      [1, 2, 3],
      [40, 50, 60],
    ]);
    expectClose(where(Mask.from([false, true, true]), a, b), [
      [10, 2, 3],
      [40, 5, 6],
    ]);
  });

  it('where with number branches, a broadcast branch, and a float tensor as the condition', () => {
    const m = Mask.from([
      [1, 0],
      [0, 1],
    ]);
    expectClose(where(m, 1, 0), [
      [1, 0],
      [0, 1],
    ]);
    expectClose(where(m, tensor([7, 8]), -1), [
      [7, -1],
      [-1, 8],
    ]);
    expectClose(where(tensor([0, 2, -0.5, 0]), tensor([1, 1, 1, 1]), tensor([5, 5, 5, 5])), [5, 1, 1, 5]);
    const out = where(Mask.from([[true], [false], [true]]), tensor([1, 2]), tensor([[9], [8], [7]]));
    assert.deepEqual(out.shape, [3, 2]);
    expectClose(out, [
      [1, 2],
      [8, 8],
      [1, 2],
    ]);
  });

  it('where gradient by hand: g where the mask holds to a, elsewhere to b (summed when broadcast)', () => {
    const a = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const b = tensor([0, 0, 0], { requiresGrad: true });
    sum(where(Mask.from([true, false, true]), a, b)).backward();
    expectClose(a.grad as Tensor, [
      [1, 0, 1],
      [1, 0, 1],
    ]);
    expectClose(b.grad as Tensor, [0, 2, 0]);
  });

  it('where gradients with a broadcast mask and broadcast branches', () => {
    const mask = Mask.from([[true], [false], [true]]); // [3, 1] over [3, 5]
    checkOp(backend, (a, b) => where(mask, a, b), [randomTensor([3, 5], 101), randomTensor([3, 5], 102)]);
    checkOp(backend, (a, b) => where(mask, a, b), [randomTensor([5], 103), randomTensor([3, 1], 104)]);
    const mid = Mask.from([[[true, false, true, true]], [[false, false, true, false]]]); // [2, 1, 4]
    checkOp(backend, (a, b) => where(mid, a, b), [randomTensor([2, 3, 4], 105), randomTensor([3, 1], 106)]);
    checkOp(backend, (a) => where(mid, a, 0.5), [randomTensor([2, 3, 4], 107)]);
  });

  it('larger broadcast masks agree with the float64 reference', () => {
    const gen = new Generator(110);
    const mask = new Mask(
      Uint8Array.from({ length: 31 * 65 }, () => (gen.uniform() < 0.5 ? 1 : 0)),
      [31, 1, 65],
    );
    agreesWithReference(
      (a, b) => where(mask, a, b),
      [randomTensor([31, 9, 65], 111), randomTensor([9, 1], 112)],
    );
    agreesWithReference((a) => maskedFill(a, mask, -2), [randomTensor([31, 9, 65], 113)]);
    // Over the native kernels' threading threshold (16,384 elements under npm test, which sets HEED_PAR_THRESHOLD).
    const rows = new Mask(
      Uint8Array.from({ length: 300 }, () => (gen.uniform() < 0.5 ? 1 : 0)),
      [300, 1],
    );
    agreesWithReference(
      (a, b) => where(rows, a, b),
      [randomTensor([300, 260], 114), randomTensor([260], 115)],
    );
  });

  it('maskedFill writes the value where the mask is true and blocks the gradient there', () => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const mask = Mask.from([
      [false, true, false],
      [true, true, false],
    ]);
    const y = maskedFill(x, mask, -1);
    expectClose(y, [
      [1, -1, 3],
      [-1, -1, 6],
    ]);
    sum(y).backward();
    expectClose(x.grad as Tensor, [
      [1, 0, 1],
      [0, 0, 1],
    ]);
    checkOp(backend, (t) => maskedFill(t, Mask.from([true, false, false, true, false]), 3), [
      randomTensor([2, 5], 108),
    ]);
  });

  it('causal masking: maskedFill with −∞ then softmax gives zeros above the diagonal', () => {
    const scores = tensor([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ]);
    const causal = Mask.from([
      [false, true, true],
      [false, false, true],
      [false, false, false],
    ]);
    const p = softmax(maskedFill(scores, causal, Number.NEGATIVE_INFINITY), -1);
    expectClose(p, [
      [1, 0, 0],
      [0.2689414213699951, 0.7310585786300049, 0],
      [0.09003057317038046, 0.24472847105479764, 0.6652409557748218],
    ]);
    checkOp(backend, (t) => softmax(maskedFill(t, causal, Number.NEGATIVE_INFINITY), -1), [
      randomTensor([3, 3], 109),
    ]);
  });

  it('where keeps a float64 dtype and errors name where and the shapes', () => {
    assert.equal(where(Mask.from([true]), tensor([1], { dtype: 'float64' }), 0).dtype, 'float64');
    assert.equal(maskedFill(tensor([1], { dtype: 'float64' }), Mask.from([true]), 0).dtype, 'float64');
    assert.throws(
      () => where(Mask.from([true, false, true]), tensor([1, 2]), 0),
      (e: Error) => {
        assert.match(e.message, /where/);
        assert.ok(e.message.includes('[3]') && e.message.includes('[2]'), e.message);
        return true;
      },
    );
  });
});
