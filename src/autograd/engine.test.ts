import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setBackend, withBackend } from '../backend/registry.js';
import { add, mul, sub } from '../ops/binary.js';
import { fromArray, tensor } from '../ops/creation.js';
import { matmul } from '../ops/matmul.js';
import { mean, sum } from '../ops/reduce.js';
import { reshape, slice } from '../ops/shape.js';
import { exp, tanh } from '../ops/unary.js';
import type { NestedArray, Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { assertClose, randomTensor } from '../testing/gradcheck.js';
import { Generator } from '../util/random.js';
import { attach, isGradEnabled, noGrad } from './engine.js';

function expectClose(t: Tensor | null, expected: NestedArray, tol = 1e-6): void {
  assert.ok(t !== null, 'gradient missing');
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

describeEachBackend('autograd engine', () => {
  it('gradients accumulate across two backward calls until zeroGrad', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    sum(mul(x, 2)).backward();
    expectClose(x.grad, [2, 2, 2]);
    sum(mul(x, x)).backward();
    expectClose(x.grad, [4, 6, 8]);
    x.zeroGrad();
    assert.equal(x.grad, null);
    sum(x).backward();
    expectClose(x.grad, [1, 1, 1]);
  });

  it('a tensor used twice (x·x) gets 2x', () => {
    const x = tensor([1, -2, 3], { requiresGrad: true });
    sum(mul(x, x)).backward();
    expectClose(x.grad, [2, -4, 6]);
    const y = tensor([0.5, 4], { requiresGrad: true });
    sum(add(add(y, y), y)).backward();
    expectClose(y.grad, [3, 3]);
  });

  it('a gradient passed through unchanged to two inputs is not summed into in place', () => {
    // s = x + y hands the same gradient tensor to both x and y; x then receives more gradient
    // (through u) before y is processed, which must not leak into y's gradient.
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tensor([3, 4], { requiresGrad: true });
    const z = mul(y, 2);
    const u = mul(x, 3);
    const s = add(x, y);
    const t = add(s, s);
    sum(add(add(z, u), t)).backward();
    expectClose(x.grad, [5, 5]);
    expectClose(y.grad, [4, 4]);
  });

  it('diamond graph: gradients from every path are summed', () => {
    const x = tensor([0.5, -1], { requiresGrad: true });
    const a = exp(x);
    const b = mul(a, a);
    const c = add(a, b);
    sum(mul(c, tanh(a))).backward();
    // f = (a + a²)·tanh(a), a = eˣ: f' = [(1 + 2a)·tanh a + (a + a²)(1 − tanh² a)]·a
    const expected = [0.5, -1].map((v) => {
      const av = Math.exp(v);
      const th = Math.tanh(av);
      return ((1 + 2 * av) * th + (av + av * av) * (1 - th * th)) * av;
    });
    expectClose(x.grad, expected, 1e-5);
  });

  it('noGrad records nothing and restores the mode, even when the body throws', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    assert.equal(isGradEnabled(), true);
    const y = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      return mul(x, 3);
    });
    assert.equal(isGradEnabled(), true);
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.throws(() => y.backward(), /does not require gradients/);
    assert.throws(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    );
    assert.equal(isGradEnabled(), true);
    // Nested noGrad keeps the outer state.
    noGrad(() => {
      noGrad(() => undefined);
      assert.equal(isGradEnabled(), false);
    });
  });

  it('detach cuts the graph: no gradient flows through the detached branch', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const d = mul(x, 5).detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.gradFn, null);
    sum(add(mul(d, x), x)).backward();
    // d(5x·x_detached + x)/dx treats d as a constant: d + 1.
    expectClose(x.grad, [6, 11]);
  });

  it('backward from a non-scalar needs a seed (the error says so); with a seed it works', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = mul(x, 3);
    assert.throws(
      () => y.backward(),
      (e: Error) => {
        assert.match(e.message, /seed/);
        assert.ok(e.message.includes('[2]'), e.message);
        return true;
      },
    );
    y.backward(tensor([1, 10]));
    expectClose(x.grad, [3, 30]);
    assert.throws(
      () => mul(x, 3).backward(tensor([1, 2, 3])),
      /seed gradient shape \[3\] does not match output shape \[2\]/,
    );
  });

  it('a scalar of shape [1, 1] needs no seed', () => {
    const x = tensor([[2]], { requiresGrad: true });
    mul(x, x).backward();
    expectClose(x.grad, [[4]]);
  });

  it('the seed tensor and the leaf gradient do not alias', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const seed = tensor([1, 1]);
    mul(x, 1).backward(seed);
    seed.data[0] = 100;
    expectClose(x.grad, [1, 1]);
    const y = tensor([1, 2], { requiresGrad: true });
    const s = tensor([1, 1]);
    y.backward(s);
    s.data[0] = 100;
    expectClose(y.grad, [1, 1]);
  });

  it('a requiresGrad=false input gets no gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const c = tensor([3, 4]);
    sum(mul(x, c)).backward();
    assert.equal(c.grad, null);
    expectClose(x.grad, [3, 4]);
    const frozen = tensor([1, 2], { requiresGrad: true }).requireGrad(false);
    assert.equal(frozen.requiresGrad, false);
    assert.throws(() => sum(mul(frozen, 2)).backward(), /does not require gradients/);
  });

  it('only inputs on the path to the output get gradients', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const unused = tensor([5], { requiresGrad: true });
    mul(unused, 2);
    sum(x).backward();
    assert.equal(unused.grad, null);
  });

  it('a 1,000-step unrolled recurrence h = tanh(h·W + x) backpropagates without stack overflow', () => {
    const gen = new Generator(5);
    const d = 8;
    const steps = 1000;
    const W = fromArray(
      Array.from({ length: d * d }, () => (gen.uniform() * 2 - 1) * 0.3),
      [d, d],
      { requiresGrad: true },
    );
    const xs = randomTensor([steps, d], 6);
    const x = fromArray(xs.data, xs.shape, { requiresGrad: true });
    const started = performance.now();
    let h = tensor([Array.from({ length: d }, () => 0)]);
    for (let t = 0; t < steps; t++) h = tanh(add(matmul(h, W), slice(x, 0, t, t + 1)));
    mean(h).backward();
    const ms = performance.now() - started;
    assert.ok(ms < 5000, `took ${ms} ms`);
    const g = W.grad as Tensor;
    assert.deepEqual(g.shape, [d, d]);
    assert.ok(g.data.every(Number.isFinite));
    assert.ok(g.data.some((v) => v !== 0));
    const gx = x.grad as Tensor;
    // The last step's input matters most; gradients exist for every step.
    assert.ok(gx.data.every(Number.isFinite));
    assert.ok(gx.data.slice((steps - 1) * d).some((v) => v !== 0));
  });

  it('an unrolled recurrence gradient matches finite differences (5 steps, float64)', () => {
    // Small enough for finite differences: 5 steps, d = 3, float64 on js.
    withBackend('js', () => {
      const W0 = randomTensor([3, 3], 7);
      const x0 = randomTensor([5, 3], 8);
      const run = (W: Tensor): Tensor => {
        let h = fromArray([0, 0, 0], [1, 3], { dtype: 'float64' });
        for (let t = 0; t < 5; t++) h = tanh(add(matmul(h, W), slice(x0, 0, t, t + 1)));
        return sum(h);
      };
      const W = fromArray(W0.data, W0.shape, { dtype: 'float64', requiresGrad: true });
      run(W).backward();
      const g = W.grad as Tensor;
      const eps = 1e-6;
      for (let j = 0; j < 9; j++) {
        const up = fromArray(W0.data, [3, 3], { dtype: 'float64' });
        up.data[j] += eps;
        const down = fromArray(W0.data, [3, 3], { dtype: 'float64' });
        down.data[j] -= eps;
        const numeric = (run(up).item() - run(down).item()) / (2 * eps);
        assert.ok(Math.abs(numeric - g.data[j]) < 1e-6, `W[${j}]: ${g.data[j]} vs ${numeric}`);
      }
    });
  });

  it('float64 gradients on js stay float64', () => {
    const x = tensor([0.1, 0.2], { dtype: 'float64', requiresGrad: true });
    sum(mul(x, x)).backward();
    const g = x.grad as Tensor;
    assert.equal(g.dtype, 'float64');
    assert.equal(g.data[0], 0.2);
  });

  it('a float32 leaf used with float64 tensors gets a float32 gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tensor([0.1, 0.2], { dtype: 'float64' });
    sum(mul(x, y)).backward();
    const g = x.grad as Tensor;
    assert.equal(g.dtype, 'float32');
    assert.deepEqual([...g.data], [Math.fround(0.1), Math.fround(0.2)]);
    sum(mul(x, y)).backward();
    assert.equal((x.grad as Tensor).dtype, 'float32');
  });

  it('a gradient of the wrong shape from an op is reported with the op name', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const bad = attach(tensor([0]), 'badOp', [x], () => [tensor([1, 2])]);
    assert.throws(
      () => bad.backward(),
      /backward of badOp: gradient shape \[2\] does not match input shape \[3\]/,
    );
  });

  it('reshape views share data with their gradient safely', () => {
    const x = tensor([1, 2, 3, 4], { requiresGrad: true });
    const r = reshape(x, [2, 2]);
    add(sum(mul(r, r)), sum(sub(reshape(x, [4, 1]), 1))).backward();
    expectClose(x.grad, [3, 5, 7, 9]);
  });

  it('setBackend with an unknown name lists the valid backends', () => {
    assert.throws(
      () => setBackend('cuda'),
      (e: Error) => {
        assert.match(e.message, /unknown backend 'cuda'/);
        assert.ok(e.message.includes('js, native'), e.message);
        return true;
      },
    );
    assert.throws(() => withBackend('gpu', () => 0), /js, native/);
  });
});
