import assert from 'node:assert/strict';
import { it } from 'node:test';
import { mul } from '../ops/binary.js';
import { fromArray, tensor } from '../ops/creation.js';
import { sum } from '../ops/reduce.js';
import { describeEachBackend } from '../testing/backends.js';
import { Mask } from './mask.js';
import { contiguousStrides, normAxis, shapeSize, Tensor, tensorAdopting } from './tensor.js';

describeEachBackend('Tensor', () => {
  it('toArray round-trips through tensor() for 0-d, 1-d, 2-d and 3-d values', () => {
    const cases = [
      4.5,
      [1, 2, 3],
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [
        [[1], [2]],
        [[3], [4]],
      ],
    ];
    for (const c of cases) assert.deepEqual(tensor(c).toArray(), c);
    assert.deepEqual(tensor([]).toArray(), []);
  });

  it('float32 rounds values, float64 keeps them exactly', () => {
    assert.deepEqual(tensor([0.1, 1 / 3]).toArray(), [Math.fround(0.1), Math.fround(1 / 3)]);
    assert.deepEqual(tensor([0.1, 1 / 3], { dtype: 'float64' }).toArray(), [0.1, 1 / 3]);
    const x = tensor([1e-10], { dtype: 'float64' });
    assert.equal(mul(x, 3).data[0], 3e-10);
    assert.equal(mul(x, 3).dtype, 'float64');
  });

  it('item() returns the single value and throws, naming the shape, otherwise', () => {
    assert.equal(tensor(7).item(), 7);
    assert.equal(tensor([[2.5]]).item(), 2.5);
    assert.throws(() => tensor([1, 2]).item(), {
      name: 'ShapeError',
      message: /item: tensor of shape \[2\] has 2 values, expected 1/,
    });
    assert.throws(() => tensor([]).item(), /item/);
  });

  it('shape, ndim, size, dtype; the shape is frozen', () => {
    const t = new Tensor(new Float64Array(6), [2, 3]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.ndim, 2);
    assert.equal(t.size, 6);
    assert.equal(t.dtype, 'float64');
    assert.ok(Object.isFrozen(t.shape));
    const shape = [3, 2];
    const u = new Tensor(new Float32Array(6), shape);
    shape[0] = 99;
    assert.deepEqual(u.shape, [3, 2], 'the constructor copies the shape');
    assert.equal(u.dtype, 'float32');
    assert.equal(tensor(1).ndim, 0);
  });

  it("tensorAdopting keeps an op's frozen shape as is; the public constructor still copies", () => {
    const shape = Object.freeze([2, 3]);
    const t = tensorAdopting(new Float32Array(6), shape);
    const u = tensorAdopting(new Float32Array(6), shape);
    assert.equal(t.shape, shape);
    assert.equal(u.shape, t.shape, 'a frozen shape can be shared');
    assert.deepEqual(
      [t.ndim, t.size, t.dtype, t.requiresGrad, t.grad, t.gradFn],
      [2, 6, 'float32', false, null, null],
    );
    const v = new Tensor(new Float32Array(6), shape);
    assert.notEqual(v.shape, shape);
    assert.deepEqual(v.shape, [2, 3]);
    // Extra arguments from untyped callers do not switch the public constructor to adopting.
    const w = Reflect.construct(Tensor, [new Float32Array(6), shape, Symbol('adopt')]);
    assert.notEqual(w.shape, shape);
  });

  it('the constructor rejects data that does not fill the shape', () => {
    assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), {
      name: 'ShapeError',
      message: 'Tensor: 5 values do not fill shape [2, 3] (6 needed)',
    });
    assert.throws(() => new Tensor(new Float32Array(0), [-1]), /dimensions must be non-negative integers/);
  });

  it('requireGrad, detach, zeroGrad and toString', () => {
    const x = fromArray([1, 2], [2]).requireGrad();
    assert.equal(x.requiresGrad, true);
    assert.equal(String(x), 'Tensor([2], float32, requiresGrad)');
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.data, x.data, 'detach shares the data');
    assert.equal(String(d), 'Tensor([2], float32)');
    sum(x).backward();
    assert.ok(x.grad !== null);
    x.zeroGrad();
    assert.equal(x.grad, null);
  });

  it('helpers: shapeSize, contiguousStrides, normAxis', () => {
    assert.equal(shapeSize([]), 1);
    assert.equal(shapeSize([2, 0, 3]), 0);
    assert.equal(shapeSize([2, 3, 4]), 24);
    assert.throws(() => shapeSize([2.5]), /shape \[2.5\]: dimensions must be non-negative integers/);
    assert.deepEqual(contiguousStrides([2, 3, 4]), [12, 4, 1]);
    assert.deepEqual(contiguousStrides([]), []);
    assert.equal(normAxis('op', -1, 3), 2);
    assert.equal(normAxis('op', 0, 0), 0);
    assert.throws(() => normAxis('myop', 3, 3), /myop: axis 3 is out of range for a tensor of rank 3/);
    assert.throws(() => normAxis('myop', 0.5, 3), /myop: axis 0.5/);
  });

  it('Mask: from nested booleans or 0/1, not, toArray; rejects ragged input', () => {
    const m = Mask.from([
      [true, false],
      [0, 1],
    ]);
    assert.deepEqual(m.shape, [2, 2]);
    assert.equal(m.size, 4);
    assert.deepEqual(m.toArray(), [
      [true, false],
      [false, true],
    ]);
    assert.deepEqual(m.not().toArray(), [
      [false, true],
      [true, false],
    ]);
    assert.deepEqual(Mask.from(true).shape, []);
    assert.throws(() => Mask.from([[true], [true, false]]), /Mask.from: ragged nested array/);
    assert.throws(() => new Mask(new Uint8Array(3), [2, 2]), /Mask: 3 values do not fill shape \[2, 2\]/);
  });
});
