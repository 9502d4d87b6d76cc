import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { NestedArray, Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { agreesWithReference, assertClose, checkOp, randomTensor } from '../testing/gradcheck.js';
import { arange, tensor, zeros } from './creation.js';
import { type Axes, max, maxWithIndices, mean, sum } from './reduce.js';
import { reshape } from './shape.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-6): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

/** [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]], [[12, ...], ...]] of shape [2, 3, 4]. */
const cube = (): Tensor => reshape(arange(24), [2, 3, 4]);

describeEachBackend('reductions', (backend) => {
  it('sum over everything, one axis, several axes and negative axes', () => {
    expectClose(sum(cube()), 276);
    assert.deepEqual(sum(cube()).shape, []);
    expectClose(sum(cube(), 0), [
      [12, 14, 16, 18],
      [20, 22, 24, 26],
      [28, 30, 32, 34],
    ]);
    expectClose(sum(cube(), 1), [
      [12, 15, 18, 21],
      [48, 51, 54, 57],
    ]);
    expectClose(sum(cube(), -1), [
      [6, 22, 38],
      [54, 70, 86],
    ]);
    expectClose(sum(cube(), [0, 2]), [60, 92, 124]);
    expectClose(sum(cube(), [-1, -3]), [60, 92, 124]);
    expectClose(sum(cube(), [0, 1, 2]), 276);
  });

  it('keepdim keeps the reduced axes as size 1', () => {
    assert.deepEqual(sum(cube(), 1, true).shape, [2, 1, 4]);
    assert.deepEqual(sum(cube(), [0, 2], true).shape, [1, 3, 1]);
    assert.deepEqual(sum(cube(), undefined, true).shape, [1, 1, 1]);
    assert.deepEqual(mean(cube(), -1, true).shape, [2, 3, 1]);
    assert.deepEqual(max(cube(), 1, true).shape, [2, 1, 4]);
    assert.deepEqual(max(cube(), 1).shape, [2, 4]);
    expectClose(sum(cube(), [0, 2], true), [[[60], [92], [124]]]);
  });

  it('mean values', () => {
    expectClose(mean(cube()), 11.5);
    expectClose(mean(cube(), 1), [
      [4, 5, 6, 7],
      [16, 17, 18, 19],
    ]);
    expectClose(mean(cube(), [0, -1]), [7.5, 11.5, 15.5]);
  });

  it('max over everything honours keepdim like sum', () => {
    assert.deepEqual(max(cube()).shape, []);
    assert.deepEqual(max(cube(), undefined, true).shape, [1, 1, 1]);
    expectClose(max(cube(), undefined, true), [[[23]]]);
    assert.deepEqual(max(tensor(4), undefined, true).shape, []);
  });

  it('max values and first-occurrence indices', () => {
    const x = tensor([
      [3, 7, 7, 1],
      [-2, -5, -1, -9],
      [4, 4, 4, 4],
    ]);
    const r = maxWithIndices(x, 1);
    expectClose(r.values, [7, -1, 4]);
    assert.deepEqual([...r.indices], [1, 2, 0]);
    const c = maxWithIndices(x, 0);
    expectClose(c.values, [4, 7, 7, 4]);
    assert.deepEqual([...c.indices], [2, 0, 0, 2]);
    expectClose(max(x), 7);
    expectClose(max(x, -1), [7, -1, 4]);
  });

  it('max propagates NaN (the first NaN wins), and an all −∞ slice gives −∞', () => {
    const x = tensor([
      [1, Number.NaN, 3],
      [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
      [Number.NaN, 5, Number.NaN],
    ]);
    const r = maxWithIndices(x, 1);
    expectClose(r.values, [Number.NaN, Number.NEGATIVE_INFINITY, Number.NaN]);
    assert.equal(r.indices[0], 1);
    assert.equal(r.indices[1], 0);
    assert.equal(r.indices[2], 0);
    assert.ok(Number.isNaN(max(x).item()));
  });

  it('max gradient goes to the first maximum only (by hand)', () => {
    const x = tensor(
      [
        [3, 7, 7],
        [2, 1, 0],
      ],
      { requiresGrad: true },
    );
    sum(max(x, 1)).backward();
    expectClose(x.grad as Tensor, [
      [0, 1, 0],
      [1, 0, 0],
    ]);
  });

  it('sum and mean gradients by hand', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    mean(x).backward();
    expectClose(x.grad as Tensor, [
      [0.25, 0.25],
      [0.25, 0.25],
    ]);
    x.zeroGrad();
    sum(mean(x, 0)).backward();
    expectClose(x.grad as Tensor, [
      [0.5, 0.5],
      [0.5, 0.5],
    ]);
  });

  const axesCases: readonly { axes: Axes; keepdim: boolean }[] = [
    { axes: undefined, keepdim: false },
    { axes: undefined, keepdim: true },
    { axes: 0, keepdim: false },
    { axes: 1, keepdim: true },
    { axes: -1, keepdim: false },
    { axes: -2, keepdim: true },
    { axes: [0, 2], keepdim: false },
    { axes: [0, 2], keepdim: true },
    { axes: [-1, 1], keepdim: false },
  ];
  for (const op of [sum, mean] as const) {
    for (const { axes, keepdim } of axesCases) {
      it(`${op.name} gradient over axes ${JSON.stringify(axes ?? 'all')} keepdim=${keepdim}`, () => {
        checkOp(backend, (x) => op(x, axes, keepdim), [randomTensor([3, 5, 2], 41)]);
      });
    }
  }

  for (const axis of [0, 1, 2, -1]) {
    for (const keepdim of [false, true]) {
      it(`max gradient on axis ${axis} keepdim=${keepdim}`, () => {
        // Random float64 values are distinct, so the argmax is unique and the max differentiable.
        checkOp(backend, (x) => max(x, axis, keepdim), [randomTensor([3, 5, 2], 43)]);
      });
    }
  }

  it('max over everything: gradient on odd shapes', () => {
    checkOp(backend, (x) => max(x), [randomTensor([7], 44)]);
    checkOp(backend, (x) => max(x), [randomTensor([1, 17], 45)]);
  });

  it('sum over a length-1 axis and over a 0-d tensor', () => {
    expectClose(sum(tensor([[5, 6]]), 0), [5, 6]);
    expectClose(sum(tensor(3)), 3);
    checkOp(backend, (x) => sum(x, 0), [randomTensor([1, 5], 46)]);
  });

  it('larger shapes agree with the float64 reference', () => {
    const x = randomTensor([37, 129], 47);
    const y = randomTensor([3, 200, 5], 48);
    // Over the native kernels' threading threshold (16,384 elements under npm test, which sets HEED_PAR_THRESHOLD).
    const z = randomTensor([300, 260], 49);
    for (const [name, fn, input] of [
      ['sum all', (t: Tensor) => sum(t), x],
      ['sum 0', (t: Tensor) => sum(t, 0), x],
      ['sum 1', (t: Tensor) => sum(t, 1, true), x],
      ['mean middle', (t: Tensor) => mean(t, 1), y],
      ['sum [0, 2]', (t: Tensor) => sum(t, [0, 2]), y],
      ['max 0', (t: Tensor) => max(t, 0), x],
      ['max 1', (t: Tensor) => max(t, 1), x],
      ['max middle', (t: Tensor) => max(t, 1), y],
      ['max all', (t: Tensor) => max(t), y],
      ['big sum all', (t: Tensor) => sum(t), z],
      ['big sum 0', (t: Tensor) => sum(t, 0), z],
      ['big mean 1', (t: Tensor) => mean(t, 1), z],
      ['big max 0', (t: Tensor) => max(t, 0), z],
      ['big max 1', (t: Tensor) => max(t, -1), z],
    ] as const) {
      try {
        agreesWithReference(fn, [input], { atol: 1e-4 });
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    }
  });

  it('reducing an empty axis: the sum is 0 and the mean NaN', () => {
    expectClose(sum(zeros([0, 3]), 0), [0, 0, 0]);
    expectClose(mean(zeros([0, 3]), 0), [Number.NaN, Number.NaN, Number.NaN]);
    assert.deepEqual(sum(zeros([0, 3]), 1).shape, [0]);
  });

  it('an axis out of range names the op and the rank', () => {
    assert.throws(() => sum(cube(), 3), /sum: axis 3 is out of range for a tensor of rank 3/);
    assert.throws(() => mean(cube(), -4), /mean: axis -4/);
    assert.throws(() => max(cube(), 5), /max: axis 5/);
  });
});
