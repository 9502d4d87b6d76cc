import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { assertClose, checkOp, randomTensor } from '../testing/gradcheck.js';
import { Generator } from '../util/random.js';
import { mul } from './binary.js';
import { ones, tensor } from './creation.js';
import { dropout } from './dropout.js';
import { sum } from './reduce.js';

describeEachBackend('dropout', (backend) => {
  it('is the identity in evaluation mode and for p = 0', () => {
    const x = randomTensor([4, 5], 131);
    assert.equal(dropout(x, 0.5, false), x);
    assert.equal(dropout(x, 0, true), x);
    const g = new Generator(1);
    const before = g.getState();
    dropout(x, 0.9, false, g);
    assert.deepEqual(g.getState(), before, 'evaluation must not consume random numbers');
  });

  it('training: the mask is reproducible from the seed and differs between seeds', () => {
    const x = ones([1000]);
    const a = dropout(x, 0.3, true, new Generator(42));
    const b = dropout(x, 0.3, true, new Generator(42));
    const c = dropout(x, 0.3, true, new Generator(43));
    assert.deepEqual([...a.data], [...b.data]);
    assert.notDeepEqual([...a.data], [...c.data]);
  });

  it('training: survivors are scaled by 1/(1 − p) and about p of the elements are dropped', () => {
    const p = 0.25;
    const n = 20000;
    const x = randomTensor([n], 132, 0.5, 1.5);
    const y = dropout(x, p, true, new Generator(7));
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      if (y.data[i] === 0) dropped++;
      else assert.ok(Math.abs(y.data[i] - x.data[i] / (1 - p)) < 1e-12, `element ${i}`);
    }
    // Binomial(n, p): std ≈ 61, so ±5 std is ≈ ±0.015 in the fraction.
    assert.ok(Math.abs(dropped / n - p) < 0.015, `dropped fraction ${dropped / n}`);
    // The expectation is preserved (inverted dropout).
    const meanX = sum(x).item() / n;
    const meanY = sum(y).item() / n;
    assert.ok(Math.abs(meanY - meanX) < 0.03, `${meanY} vs ${meanX}`);
  });

  it('training: the gradient is mask · scale, the same mask as the forward', () => {
    const x = ones([8, 16], { requiresGrad: true });
    const y = dropout(x, 0.5, true, new Generator(3));
    sum(y).backward();
    // With x = 1 the output is exactly the mask times the scale.
    assertClose(x.grad as Tensor, y, 0, 0);
    for (const v of y.data) assert.ok(v === 0 || v === 2, `value ${v}`);
    const w = randomTensor([8, 16], 133);
    x.zeroGrad();
    sum(mul(dropout(x, 0.5, true, new Generator(3)), w)).backward();
    assertClose(x.grad as Tensor, mul(y, w), 1e-6, 1e-6);
  });

  it('gradient check with a fixed mask', () => {
    // A fresh generator with the same seed per call keeps the mask fixed across the finite differences.
    checkOp(backend, (x) => dropout(x, 0.4, true, new Generator(9)), [randomTensor([3, 7], 134)]);
  });

  it('rejects p outside [0, 1)', () => {
    const x = tensor([1, 2]);
    assert.throws(() => dropout(x, 1), /dropout: p must be in \[0, 1\), got 1/);
    assert.throws(() => dropout(x, -0.1), /got -0.1/);
    assert.throws(() => dropout(x, Number.NaN), /got NaN/);
  });
});
