import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { NestedArray, Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { agreesWithReference, assertClose, checkOp, randomTensor } from '../testing/gradcheck.js';
import { mul } from './binary.js';
import { arange, tensor } from './creation.js';
import { sum } from './reduce.js';
import {
  concat,
  expand,
  permute,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  transpose,
  unsqueeze,
} from './shape.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-6): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

const cube = (): Tensor => reshape(arange(24), [2, 3, 4]);

describeEachBackend('shape ops', (backend) => {
  it('reshape keeps row-major order and infers one −1 dimension', () => {
    const x = arange(6);
    expectClose(reshape(x, [2, 3]), [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    assert.deepEqual(reshape(x, [3, -1]).shape, [3, 2]);
    assert.deepEqual(reshape(x, [-1]).shape, [6]);
    assert.deepEqual(reshape(x, [1, 6, 1]).shape, [1, 6, 1]);
    assert.deepEqual(reshape(tensor([7]), []).shape, []);
  });

  it('reshape to an impossible shape names reshape and both shapes', () => {
    const x = reshape(arange(6), [2, 3]);
    for (const bad of [[4], [4, -1], [-1, 5], [7, 1]]) {
      assert.throws(
        () => reshape(x, bad),
        (e: Error) => {
          assert.equal(e.name, 'ShapeError');
          assert.match(e.message, /reshape/);
          assert.ok(e.message.includes('[2, 3]'), e.message);
          assert.ok(e.message.includes(`[${bad.join(', ')}]`), e.message);
          return true;
        },
      );
    }
    assert.throws(() => reshape(x, [-1, -1]), /reshape: at most one dimension may be -1/);
  });

  it('unsqueeze and squeeze, with negative axes', () => {
    const x = arange(6);
    assert.deepEqual(unsqueeze(x, 0).shape, [1, 6]);
    assert.deepEqual(unsqueeze(x, -1).shape, [6, 1]);
    assert.deepEqual(unsqueeze(reshape(x, [2, 3]), 1).shape, [2, 1, 3]);
    assert.deepEqual(unsqueeze(reshape(x, [2, 3]), -2).shape, [2, 1, 3]);
    const y = reshape(x, [1, 2, 1, 3]);
    assert.deepEqual(squeeze(y).shape, [2, 3]);
    assert.deepEqual(squeeze(y, 2).shape, [1, 2, 3]);
    assert.deepEqual(squeeze(y, -4).shape, [2, 1, 3]);
    // A non-1 axis is left alone (as torch.squeeze(dim)).
    assert.deepEqual(squeeze(y, 1).shape, [1, 2, 1, 3]);
    assert.throws(() => unsqueeze(x, 3), /unsqueeze: axis 3/);
  });

  it('expand broadcasts values, and its gradient sums them back', () => {
    const x = tensor([[1], [2]], { requiresGrad: true });
    const y = expand(x, [3, 2, 4]);
    assert.deepEqual(y.shape, [3, 2, 4]);
    expectClose(y, [
      [
        [1, 1, 1, 1],
        [2, 2, 2, 2],
      ],
      [
        [1, 1, 1, 1],
        [2, 2, 2, 2],
      ],
      [
        [1, 1, 1, 1],
        [2, 2, 2, 2],
      ],
    ]);
    sum(y).backward();
    expectClose(x.grad as Tensor, [[12], [12]]);
    checkOp(backend, (p) => expand(p, [2, 3, 5]), [randomTensor([3, 1], 61)]);
    checkOp(backend, (p) => expand(p, [3, 7]), [randomTensor([7], 62)]);
    assert.throws(() => expand(tensor([1, 2, 3]), [2, 4]), /expand: cannot broadcast \[3\] to \[2, 4\]/);
  });

  it('permute and transpose move the values', () => {
    const p = permute(cube(), [2, 0, 1]);
    assert.deepEqual(p.shape, [4, 2, 3]);
    expectClose(p, [
      [
        [0, 4, 8],
        [12, 16, 20],
      ],
      [
        [1, 5, 9],
        [13, 17, 21],
      ],
      [
        [2, 6, 10],
        [14, 18, 22],
      ],
      [
        [3, 7, 11],
        [15, 19, 23],
      ],
    ]);
    expectClose(transpose(reshape(arange(6), [2, 3])), [
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    assert.deepEqual(transpose(cube()).shape, [2, 4, 3]);
    assert.deepEqual(transpose(cube(), 0, -1).shape, [4, 3, 2]);
    assert.deepEqual(permute(cube(), [-1, -3, -2]).shape, [4, 2, 3]);
    assert.throws(() => permute(cube(), [0, 0, 1]), /permute: \[0, 0, 1\] is not a permutation/);
    assert.throws(() => permute(cube(), [0, 1]), /permute/);
  });

  it('permute and transpose gradients', () => {
    checkOp(backend, (x) => permute(x, [2, 0, 1]), [randomTensor([2, 3, 5], 63)]);
    checkOp(backend, (x) => permute(x, [1, 2, 0]), [randomTensor([3, 1, 5], 64)]);
    checkOp(backend, (x) => transpose(x), [randomTensor([3, 5], 65)]);
    checkOp(backend, (x) => transpose(x, 0, 1), [randomTensor([2, 3, 4], 66)]);
  });

  it('slice with positive, negative and clamped bounds', () => {
    const x = reshape(arange(10), [2, 5]);
    expectClose(slice(x, 1, 1, 3), [
      [1, 2],
      [6, 7],
    ]);
    expectClose(slice(x, 1, -2), [
      [3, 4],
      [8, 9],
    ]);
    expectClose(slice(x, -1, -4, -1), [
      [1, 2, 3],
      [6, 7, 8],
    ]);
    expectClose(slice(x, 0, 1), [[5, 6, 7, 8, 9]]);
    expectClose(slice(x, 1, 3, 100), [
      [3, 4],
      [8, 9],
    ]);
    assert.deepEqual(slice(x, 1, 2, 2).shape, [2, 0]);
    assert.throws(() => slice(x, 1, 3, 1), /slice: empty range/);
  });

  it('slice gradient scatters back into zeros (middle axis, negative bounds)', () => {
    const x = tensor([[1, 2, 3, 4]], { requiresGrad: true });
    sum(mul(slice(x, 1, -3, -1), tensor([10, 20]))).backward();
    expectClose(x.grad as Tensor, [[0, 10, 20, 0]]);
    checkOp(backend, (p) => slice(p, 1, -4, -1), [randomTensor([2, 7, 3], 67)]);
    checkOp(backend, (p) => slice(p, -1, 1), [randomTensor([3, 5], 68)]);
    checkOp(backend, (p) => slice(p, 0, 2, 3), [randomTensor([5, 3], 69)]);
  });

  it('concat on the middle axis by hand, and its error', () => {
    const a = reshape(arange(4), [2, 1, 2]);
    const b = reshape(arange(8, 16), [2, 2, 2]);
    const c = concat([a, b], 1);
    assert.deepEqual(c.shape, [2, 3, 2]);
    expectClose(c, [
      [
        [0, 1],
        [8, 9],
        [10, 11],
      ],
      [
        [2, 3],
        [12, 13],
        [14, 15],
      ],
    ]);
    assert.deepEqual(concat([a, b], -2).shape, [2, 3, 2]);
    assert.throws(
      () => concat([a, reshape(arange(6), [3, 1, 2])], 1),
      /concat: shapes \[2, 1, 2\] and \[3, 1, 2\] differ off axis 1/,
    );
    assert.throws(() => concat([]), /concat: needs at least one tensor/);
  });

  it('concat gradients on the first, middle and last axes', () => {
    const a = randomTensor([2, 1, 3], 70);
    const b = randomTensor([2, 3, 3], 71);
    const c = randomTensor([2, 2, 3], 72);
    checkOp(backend, (p, q, r) => concat([p, q, r], 1), [a, b, c]);
    checkOp(backend, (p, q) => concat([p, q], 0), [randomTensor([1, 5], 73), randomTensor([3, 5], 74)]);
    checkOp(backend, (p, q) => concat([p, q], -1), [randomTensor([3, 2], 75), randomTensor([3, 5], 76)]);
  });

  it('stack on a middle axis by hand', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([
      [5, 6],
      [7, 8],
    ]);
    const s = stack([a, b], 1);
    assert.deepEqual(s.shape, [2, 2, 2]);
    expectClose(s, [
      [
        [1, 2],
        [5, 6],
      ],
      [
        [3, 4],
        [7, 8],
      ],
    ]);
    assert.deepEqual(stack([a, b, a], -1).shape, [2, 2, 3]);
    assert.deepEqual(stack([a, b], 0).shape, [2, 2, 2]);
    assert.throws(() => stack([a, tensor([1, 2])]), /stack: shapes \[2, 2\] and \[2\] differ/);
  });

  it('stack gradients', () => {
    const xs = [randomTensor([3, 5], 77), randomTensor([3, 5], 78), randomTensor([3, 5], 79)];
    checkOp(backend, (p, q, r) => stack([p, q, r], 1), xs);
    checkOp(backend, (p, q, r) => stack([p, q, r], -1), xs);
    checkOp(backend, (p, q, r) => stack([p, q, r], 0), xs);
  });

  it('split into equal pieces (last one smaller) and into given sizes', () => {
    const x = reshape(arange(14), [2, 7]);
    const parts = split(x, 3, 1);
    assert.deepEqual(
      parts.map((p) => p.shape),
      [
        [2, 3],
        [2, 3],
        [2, 1],
      ],
    );
    expectClose(parts[2], [[6], [13]]);
    const sized = split(x, [2, 5], -1);
    expectClose(sized[0], [
      [0, 1],
      [7, 8],
    ]);
    assert.deepEqual(sized[1].shape, [2, 5]);
    assert.throws(
      () => split(x, [2, 4], 1),
      /split: sizes \[2, 4\] do not add up to 7 on axis 1 of \[2, 7\]/,
    );
    assert.throws(() => split(x, 0, 1), /split: piece size must be positive/);
  });

  it('split gradient on the middle axis: each piece weighted differently', () => {
    checkOp(
      backend,
      (x) => {
        const [a, b, c] = split(x, [1, 3, 3], 1);
        return concat([mul(c, 2), a, mul(b, -3)], 1);
      },
      [randomTensor([2, 7, 3], 80)],
    );
    // Only one piece used: the others get zero gradient.
    const x = tensor([[1, 2, 3, 4, 5]], { requiresGrad: true });
    sum(split(x, 2, 1)[1]).backward();
    expectClose(x.grad as Tensor, [[0, 0, 1, 1, 0]]);
  });

  it('larger strided copies agree with the float64 reference', () => {
    const x = randomTensor([5, 7, 9, 11], 84);
    agreesWithReference((t) => permute(t, [3, 1, 0, 2]), [x]);
    agreesWithReference((t) => transpose(t, 0, 2), [x]);
    agreesWithReference((t) => slice(t, 2, -7, -1), [x]);
    agreesWithReference((t) => expand(slice(t, 1, 0, 1), [5, 13, 9, 11]), [x]);
    agreesWithReference((t, u) => concat([t, u], 2), [x, randomTensor([5, 7, 4, 11], 85)]);
    agreesWithReference((t, u) => stack([t, u], 3), [x, randomTensor([5, 7, 9, 11], 86)]);
    // Over the native kernels' threading threshold (16,384 elements under npm test, which sets HEED_PAR_THRESHOLD).
    const big = randomTensor([40, 50, 41], 87);
    agreesWithReference((t) => permute(t, [2, 0, 1]), [big]);
    agreesWithReference((t) => expand(slice(t, 0, 0, 1), [80, 50, 41]), [big]);
  });

  it('empty pieces: concat with a zero-width part, permute and slice of empty tensors', () => {
    expectClose(concat([tensor([[], []]), tensor([[1], [2]])], 1), [[1], [2]]);
    assert.deepEqual(permute(reshape(arange(0), [2, 0, 3]), [2, 1, 0]).shape, [3, 0, 2]);
    assert.deepEqual(split(arange(0), 2).length, 0);
  });

  it('reshape, unsqueeze and squeeze gradients', () => {
    checkOp(backend, (x) => reshape(x, [5, -1]), [randomTensor([3, 5], 81)]);
    checkOp(backend, (x) => unsqueeze(x, 1), [randomTensor([3, 5], 82)]);
    checkOp(backend, (x) => squeeze(x), [randomTensor([3, 1, 5], 83)]);
  });
});
