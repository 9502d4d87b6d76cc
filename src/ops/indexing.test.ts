import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { NestedArray, Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { agreesWithReference, assertClose, checkOp, randomTensor } from '../testing/gradcheck.js';
import { Generator } from '../util/random.js';
import { arange, tensor } from './creation.js';
import { embedding, indexSelect, pick } from './indexing.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-6): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

describeEachBackend('indexing ops', (backend) => {
  it('indexSelect picks rows, columns and middle-axis slices', () => {
    const x = reshape(arange(12), [3, 4]);
    expectClose(indexSelect(x, 0, [2, 0]), [
      [8, 9, 10, 11],
      [0, 1, 2, 3],
    ]);
    expectClose(indexSelect(x, 1, [3, 3, 1]), [
      [3, 3, 1],
      [7, 7, 5],
      [11, 11, 9],
    ]);
    expectClose(indexSelect(x, -1, Int32Array.from([0])), [[0], [4], [8]]);
    const c = indexSelect(reshape(arange(24), [2, 3, 4]), 1, [1, 1]);
    assert.deepEqual(c.shape, [2, 2, 4]);
    expectClose(c, [
      [
        [4, 5, 6, 7],
        [4, 5, 6, 7],
      ],
      [
        [16, 17, 18, 19],
        [16, 17, 18, 19],
      ],
    ]);
  });

  it('indexSelect gradient accumulates over repeated indices (by hand)', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { requiresGrad: true },
    );
    sum(indexSelect(x, 0, [0, 2, 0, 0])).backward();
    expectClose(x.grad as Tensor, [
      [3, 3],
      [0, 0],
      [1, 1],
    ]);
  });

  it('indexSelect gradient checks on several axes with repeated indices', () => {
    checkOp(backend, (x) => indexSelect(x, 0, [4, 1, 1, 0, 4, 4]), [randomTensor([5, 3], 91)]);
    checkOp(backend, (x) => indexSelect(x, 1, [2, 0, 2]), [randomTensor([2, 3, 4], 92)]);
    checkOp(backend, (x) => indexSelect(x, -1, [1, 1, 1]), [randomTensor([3, 2], 93)]);
  });

  it('embedding looks up rows into [...idsShape, D]', () => {
    const w = reshape(arange(8), [4, 2]);
    const e = embedding(w, [3, 0, 3, 1, 2, 2], [2, 3]);
    assert.deepEqual(e.shape, [2, 3, 2]);
    expectClose(e, [
      [
        [6, 7],
        [0, 1],
        [6, 7],
      ],
      [
        [2, 3],
        [4, 5],
        [4, 5],
      ],
    ]);
    assert.deepEqual(embedding(w, [1, 2]).shape, [2, 2]);
  });

  it('embedding gradient: each id row receives the sum of its positions', () => {
    const w = tensor(
      [
        [0, 0],
        [0, 0],
        [0, 0],
      ],
      { requiresGrad: true },
    );
    const seed = tensor([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
    ]);
    embedding(w, [2, 0, 2, 2], [2, 2]).backward(seed);
    expectClose(w.grad as Tensor, [
      [3, 4],
      [0, 0],
      [13, 16],
    ]);
    checkOp(backend, (x) => embedding(x, [1, 4, 1, 0, 1, 3], [3, 2]), [randomTensor([5, 3], 94)]);
  });

  it('embedding with paddingIdx: padding rows are looked up but get no gradient', () => {
    const w = tensor(
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      { requiresGrad: true },
    );
    const e = embedding(w, [0, 2, 0, 1], [4], 0);
    expectClose(e, [
      [1, 1],
      [3, 3],
      [1, 1],
      [2, 2],
    ]);
    sum(e).backward();
    expectClose(w.grad as Tensor, [
      [0, 0],
      [1, 1],
      [1, 1],
    ]);
  });

  it('larger gathers and scatter-adds agree with the float64 reference', () => {
    const gen = new Generator(97);
    const ids = Array.from({ length: 500 }, () => gen.int(100));
    agreesWithReference((w) => embedding(w, ids, [20, 25]), [randomTensor([100, 33], 98)]);
    agreesWithReference((x) => indexSelect(x, 1, ids.slice(0, 77)), [randomTensor([3, 100, 5], 99)]);
    agreesWithReference((x) => pick(x, ids.slice(0, 60)), [randomTensor([60, 100], 100)]);
    // Over the native kernels' threading threshold (16,384 elements under npm test, which sets HEED_PAR_THRESHOLD), repeated ids.
    agreesWithReference((w) => embedding(w, ids.slice(0, 40)), [randomTensor([100, 2000], 101)]);
  });

  it('an out-of-range id names the value and the vocabulary size', () => {
    const w = reshape(arange(8), [4, 2]);
    assert.throws(
      () => embedding(w, [1, 7, 2]),
      (e: Error) => {
        assert.match(e.message, /embedding/);
        assert.match(e.message, /\b7\b/);
        assert.match(e.message, /\[0, 4\)/);
        return true;
      },
    );
    assert.throws(() => embedding(w, [-1]), /index -1 at position 0 is out of range \[0, 4\)/);
    assert.throws(() => embedding(w, [1.5]), /index 1.5/);
    assert.throws(() => embedding(w, [1, 2, 3], [2, 2]), /embedding: 3 ids do not fill shape \[2, 2\]/);
    assert.throws(() => embedding(arange(4), [1]), /embedding: weight must be \[V, D\], got \[4\]/);
    assert.throws(
      () => indexSelect(w, 1, [0, 2]),
      /indexSelect: index 2 at position 1 is out of range \[0, 2\)/,
    );
  });

  it('pick takes one element per row, and its gradient scatters into those places', () => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const p = pick(x, [2, 0]);
    expectClose(p, [3, 4]);
    sum(p).backward();
    expectClose(x.grad as Tensor, [
      [0, 0, 1],
      [1, 0, 0],
    ]);
    const y = pick(reshape(arange(24), [2, 3, 4]), [0, 1, 2, 3, 0, 1]);
    assert.deepEqual(y.shape, [2, 3]);
    expectClose(y, [
      [0, 5, 10],
      [15, 16, 21],
    ]);
    checkOp(backend, (t) => pick(t, [4, 0, 2, 2]), [randomTensor([2, 2, 5], 95)]);
    assert.throws(() => pick(x, [0]), /pick: 1 indices for 2 rows of \[2, 3\]/);
    assert.throws(() => pick(x, [0, 3]), /pick: index 3 at position 1 is out of range \[0, 3\)/);
  });
});
