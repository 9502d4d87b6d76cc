import assert from 'node:assert/strict';
import { it } from 'node:test';
import { withBackend } from '../backend/registry.js';
import type { NestedArray, Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { agreesWithReference, assertClose, checkOp, randomTensor } from '../testing/gradcheck.js';
import { fromArray, tensor } from './creation.js';
import { sum } from './reduce.js';
import { abs, exp, gelu, log, neg, relu, sigmoid, sqrt, square, tanh } from './unary.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-6): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

/** Values in ±[0.1, 1.5]: at least 0.1 away from 0. */
function awayFromZero(shape: number[], seed: number): Tensor {
  const t = randomTensor(shape, seed, 0.1, 1.5);
  const signs = randomTensor(shape, seed + 1000, -1, 1);
  return fromArray(
    t.data.map((v, i) => (signs.data[i] < 0 ? -v : v)),
    shape,
    { dtype: 'float64' },
  );
}

/** The gradient of sum(op(x)) at the given points, i.e. op'(x). */
function derivative(op: (x: Tensor) => Tensor, xs: number[]): Tensor {
  const x = tensor(xs, { requiresGrad: true });
  sum(op(x)).backward();
  return x.grad as Tensor;
}

describeEachBackend('unary ops', (backend) => {
  it('forward values worked by hand', () => {
    expectClose(neg(tensor([1, -2, 0])), [-1, 2, -0]);
    expectClose(exp(tensor([0, 1, -1])), [1, Math.E, 1 / Math.E]);
    expectClose(log(tensor([1, Math.E, 0.5])), [0, 1, -Math.LN2]);
    expectClose(tanh(tensor([0, 0.5, -0.5])), [0, 0.46211715726000974, -0.46211715726000974]);
    expectClose(sigmoid(tensor([0, 2, -2])), [0.5, 0.8807970779778823, 1 - 0.8807970779778823]);
    expectClose(relu(tensor([-1, 0, 2.5])), [0, 0, 2.5]);
    expectClose(sqrt(tensor([4, 2, 0])), [2, Math.SQRT2, 0]);
    expectClose(abs(tensor([-3, 0, 2])), [3, 0, 2]);
    expectClose(square(tensor([-3, 0.5, 2])), [9, 0.25, 4]);
  });

  it('gelu is the exact erf form: gelu(1) = 0.8413447460685429', () => {
    const x = [1, -1, 2, -3, 0.5, 0];
    const expected = [
      0.8413447460685429, -0.15865525393145707, 1.9544997361036416, -0.00404969409489031, 0.34573123063700656,
      0,
    ];
    expectClose(gelu(tensor(x)), expected, 1e-6);
    const y64 = gelu(tensor(x, { dtype: 'float64' }));
    expectClose(y64, expected, 1e-12);
    // The tanh approximation gives 0.8411919906082768 at 1: far outside this tolerance.
    assert.ok(Math.abs(y64.data[0] - 0.8413447460685429) < 1e-12);
  });

  it('gelu gradient at 1 is Φ(1) + φ(1) = 1.0833154705876864', () => {
    expectClose(derivative(gelu, [1]), [1.0833154705876864], 1e-5);
  });

  it('sigmoid, tanh and exp at large |x| give no NaN, and zero gradients where saturated', () => {
    const big = [1000, -1000, 100, -100, 50, -50];
    const s = sigmoid(tensor(big));
    for (const v of s.data) assert.ok(!Number.isNaN(v));
    expectClose(s, [1, 0, 1, 0, 1, 0], 1e-12);
    const t = tanh(tensor(big));
    expectClose(t, [1, -1, 1, -1, 1, -1], 1e-12);
    for (const op of [sigmoid, tanh]) {
      const g = derivative(op, big);
      for (const v of g.data) assert.ok(Number.isFinite(v) && Math.abs(v) < 1e-12, `${op.name}: ${v}`);
    }
    expectClose(exp(tensor([1000, -1000])), [Number.POSITIVE_INFINITY, 0]);
  });

  it('log and sqrt outside their domain: log 0 = −∞, log(−1) and sqrt(−1) are NaN', () => {
    expectClose(log(tensor([0, -1])), [Number.NEGATIVE_INFINITY, Number.NaN]);
    expectClose(sqrt(tensor([-1])), [Number.NaN]);
  });

  it('relu and abs have gradient 0 at exactly 0 (PyTorch convention)', () => {
    expectClose(derivative(relu, [-2, 0, 3]), [0, 0, 1]);
    expectClose(derivative(abs, [-2, 0, 3]), [-1, 0, 1]);
  });

  it('derivatives by hand', () => {
    expectClose(derivative(neg, [1, 2]), [-1, -1]);
    expectClose(derivative(exp, [0, 1]), [1, Math.E], 1e-6);
    expectClose(derivative(log, [2, 0.5]), [0.5, 2]);
    expectClose(derivative(tanh, [0]), [1]);
    expectClose(derivative(sigmoid, [0]), [0.25]);
    expectClose(derivative(sqrt, [4]), [0.25]);
    expectClose(derivative(square, [3, -1]), [6, -2]);
  });

  const smooth: readonly { name: string; op: (x: Tensor) => Tensor; lo: number; hi: number }[] = [
    { name: 'neg', op: neg, lo: -2, hi: 2 },
    { name: 'exp', op: exp, lo: -2, hi: 2 },
    // log and sqrt only on positive inputs (their domain; sqrt' is infinite at 0).
    { name: 'log', op: log, lo: 0.2, hi: 3 },
    { name: 'sqrt', op: sqrt, lo: 0.2, hi: 3 },
    { name: 'tanh', op: tanh, lo: -3, hi: 3 },
    { name: 'sigmoid', op: sigmoid, lo: -4, hi: 4 },
    { name: 'gelu', op: gelu, lo: -4, hi: 4 },
    { name: 'square', op: square, lo: -2, hi: 2 },
  ];
  for (const { name, op, lo, hi } of smooth) {
    for (const shape of [[1], [3, 5], [2, 1, 7], [17]]) {
      it(`${name} gradient on ${JSON.stringify(shape)}`, () => {
        checkOp(backend, op, [randomTensor(shape, 21 + shape.length, lo, hi)]);
      });
    }
  }

  // relu and abs have a kink at 0: a central difference straddling it gives the average of the
  // two one-sided slopes, not either subgradient. Inputs at least 0.1 from 0 keep x ± ε on one side.
  for (const [name, op] of [
    ['relu', relu],
    ['abs', abs],
  ] as const) {
    for (const shape of [[5], [3, 7]]) {
      it(`${name} gradient away from 0 on ${JSON.stringify(shape)}`, () => {
        checkOp(backend, op, [awayFromZero(shape, 31)]);
      });
    }
  }

  it('gelu gradient over a wide range, including large |x| where erf saturates', () => {
    checkOp(backend, gelu, [
      fromArray([-8, -5, -3.2, -2.9, -0.01, 0.01, 2.9, 3.2, 5, 8], [10], { dtype: 'float64' }),
    ]);
  });

  it('values over a wide range (1031 and 70001 elements) agree with the float64 reference, forward and backward', () => {
    const ranges: readonly [string, (x: Tensor) => Tensor, number, number][] = [
      ['neg', neg, -50, 50],
      ['exp', exp, -80, 80],
      ['log', log, 1e-4, 1e4],
      ['tanh', tanh, -12, 12],
      ['sigmoid', sigmoid, -30, 30],
      ['relu', relu, -5, 5],
      ['gelu', gelu, -12, 12],
      ['sqrt', sqrt, 1e-3, 1e3],
      ['abs', abs, -5, 5],
      ['square', square, -100, 100],
    ];
    for (const [name, op, lo, hi] of ranges) {
      try {
        agreesWithReference(op, [randomTensor([1031], 35, lo, hi)]);
        // Over the native kernels' threading threshold (16,384 elements under npm test, which sets HEED_PAR_THRESHOLD).
        agreesWithReference(op, [randomTensor([70001], 36, lo, hi)]);
      } catch (e) {
        throw new Error(`${name} on [${lo}, ${hi}]: ${(e as Error).message}`);
      }
    }
  });

  it('special values (±∞, NaN, ±0, tiny, huge) match the js kernels in float32, forward and backward', () => {
    const vals = [
      Number.NEGATIVE_INFINITY,
      -1e30,
      -100,
      -20,
      -1e-30,
      -0,
      0,
      1e-30,
      1e-3,
      20,
      88,
      89,
      100,
      1e30,
      Number.POSITIVE_INFINITY,
      Number.NaN,
    ];
    for (const op of [neg, exp, log, tanh, sigmoid, relu, gelu, sqrt, abs, square]) {
      const run = (): { y: Tensor; g: Tensor } => {
        const x = tensor(vals, { requiresGrad: true });
        const y = op(x);
        y.backward(tensor(vals.map(() => 1)));
        return { y, g: x.grad as Tensor };
      };
      const ref = withBackend('js', run);
      const got = run();
      assertClose(got.y, ref.y, 1e-30, 1e-5, `${op.name} forward`);
      assertClose(got.g, ref.g, 1e-30, 1e-5, `${op.name} backward`);
    }
  });

  it('ops keep the shape and dtype of their input', () => {
    const x = tensor([[[0.5, 1, 2]]], { dtype: 'float64' });
    for (const op of [neg, exp, log, tanh, sigmoid, relu, gelu, sqrt, abs, square]) {
      const y = op(x);
      assert.deepEqual(y.shape, [1, 1, 3]);
      assert.equal(y.dtype, 'float64');
    }
  });
});
