import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachBackend } from '../testing/backends.js';
import { Generator, manualSeed } from '../util/random.js';
import {
  arange,
  fromArray,
  full,
  ones,
  onesLike,
  rand,
  randn,
  tensor,
  zeros,
  zerosLike,
} from './creation.js';

function stats(data: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i];
  const mean = s / data.length;
  let v = 0;
  for (let i = 0; i < data.length; i++) v += (data[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / data.length) };
}

describeEachBackend('creation ops', () => {
  it('tensor from nested arrays infers the shape; float32 by default, float64 on request', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.ok(t.data instanceof Float32Array);
    const d = tensor([0.1, 0.2], { dtype: 'float64' });
    assert.equal(d.dtype, 'float64');
    assert.equal(d.data[0], 0.1);
    assert.equal(tensor([0.1]).data[0], Math.fround(0.1));
    const s = tensor(3.5);
    assert.deepEqual(s.shape, []);
    assert.equal(s.item(), 3.5);
    assert.deepEqual(tensor([]).shape, [0]);
    assert.deepEqual(tensor([[[1]], [[2]]]).shape, [2, 1, 1]);
  });

  it('tensor rejects ragged arrays, naming where', () => {
    assert.throws(() => tensor([[1, 2], [3]]), /tensor: ragged nested array at \[1\]: expected length 2/);
    assert.throws(() => tensor([[1, 2], 3]), /ragged/);
  });

  it('requiresGrad option marks a leaf', () => {
    assert.equal(tensor([1], { requiresGrad: true }).requiresGrad, true);
    assert.equal(tensor([1]).requiresGrad, false);
    assert.equal(zeros([2], { requiresGrad: true }).requiresGrad, true);
  });

  it('fromArray copies flat values into the requested type', () => {
    const src = [1, 2, 3, 4, 5, 6];
    const t = fromArray(src, [3, 2], { dtype: 'float64' });
    assert.deepEqual(t.toArray(), [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const f = new Float64Array([1, 2]);
    const c = fromArray(f, [2], { dtype: 'float64' });
    f[0] = 99;
    assert.equal(c.data[0], 1, 'fromArray must copy');
    assert.throws(() => fromArray(src, [4, 2]), /6 values do not fill shape \[4, 2\] \(8 needed\)/);
  });

  it('zeros, ones, full, zerosLike, onesLike', () => {
    assert.deepEqual(zeros([2, 2]).toArray(), [
      [0, 0],
      [0, 0],
    ]);
    assert.deepEqual(ones([3]).toArray(), [1, 1, 1]);
    assert.deepEqual(full([2], 7.5).toArray(), [7.5, 7.5]);
    assert.deepEqual(full([], -2).toArray(), -2);
    assert.deepEqual(full([2], Number.NEGATIVE_INFINITY).toArray(), [
      Number.NEGATIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    const x = tensor([[1, 2, 3]], { dtype: 'float64' });
    const z = zerosLike(x);
    const o = onesLike(x);
    assert.deepEqual(z.shape, [1, 3]);
    assert.equal(z.dtype, 'float64');
    assert.deepEqual(o.toArray(), [[1, 1, 1]]);
    assert.equal(o.dtype, 'float64');
    assert.deepEqual(zeros([0, 3]).shape, [0, 3]);
    assert.throws(() => zeros([2, -1]), /dimensions must be non-negative integers/);
  });

  it('arange: end only, start and end, step, negative step, fractional step, empty', () => {
    assert.deepEqual(arange(5).toArray(), [0, 1, 2, 3, 4]);
    assert.deepEqual(arange(2, 6).toArray(), [2, 3, 4, 5]);
    assert.deepEqual(arange(1, 10, 3).toArray(), [1, 4, 7]);
    assert.deepEqual(arange(5, 0, -2).toArray(), [5, 3, 1]);
    const f = arange(0, 1, 0.25, { dtype: 'float64' });
    assert.deepEqual(f.toArray(), [0, 0.25, 0.5, 0.75]);
    assert.equal(arange(0, 1, 0.1, { dtype: 'float64' }).size, 10);
    assert.deepEqual(arange(3, 3).shape, [0]);
    assert.deepEqual(arange(3, 1).shape, [0]);
    assert.throws(() => arange(0, 5, 0), /arange: step must not be 0/);
  });

  it('randn with a seeded generator is reproducible and has mean ≈ 0, std ≈ 1', () => {
    const a = randn([20000], { generator: new Generator(123) });
    const b = randn([20000], { generator: new Generator(123) });
    const c = randn([20000], { generator: new Generator(124) });
    assert.deepEqual([...a.data], [...b.data]);
    assert.notDeepEqual([...a.data.subarray(0, 10)], [...c.data.subarray(0, 10)]);
    const { mean, std } = stats(a.data);
    // Standard error of the mean is 1/√20000 ≈ 0.007; of the std ≈ 0.005.
    assert.ok(Math.abs(mean) < 0.04, `mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 0.03, `std ${std}`);
    const s = stats(
      randn([20000], { generator: new Generator(5), mean: 3, std: 0.5, dtype: 'float64' }).data,
    );
    assert.ok(Math.abs(s.mean - 3) < 0.02, `mean ${s.mean}`);
    assert.ok(Math.abs(s.std - 0.5) < 0.02, `std ${s.std}`);
  });

  it('randn and rand through the default generator follow manualSeed', () => {
    manualSeed(77);
    const a = randn([50]);
    const r1 = rand([50]);
    manualSeed(77);
    const b = randn([50]);
    const r2 = rand([50]);
    assert.deepEqual([...a.data], [...b.data]);
    assert.deepEqual([...r1.data], [...r2.data]);
  });

  it('rand stays in [low, high) with mean ≈ midpoint', () => {
    const r = rand([10000], { generator: new Generator(9), low: -2, high: 3, dtype: 'float64' });
    for (const v of r.data) assert.ok(v >= -2 && v < 3, `${v}`);
    const { mean, std } = stats(r.data);
    assert.ok(Math.abs(mean - 0.5) < 0.1, `mean ${mean}`);
    // Uniform on an interval of width 5: std = 5/√12 ≈ 1.443.
    assert.ok(Math.abs(std - 5 / Math.sqrt(12)) < 0.05, `std ${std}`);
  });
});
