import assert from 'node:assert/strict';
import { it } from 'node:test';
import { withBackend } from '../backend/registry.js';
import type { NestedArray, Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { agreesWithReference, assertClose, checkOp, randomTensor } from '../testing/gradcheck.js';
import { mul } from './binary.js';
import { tensor } from './creation.js';
import { sum } from './reduce.js';
import { transpose } from './shape.js';
import { logSoftmax, softmax } from './softmax.js';
import { exp } from './unary.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-6): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

const NEG_INF = Number.NEGATIVE_INFINITY;

function assertNoNaN(t: Tensor, what: string): void {
  for (let i = 0; i < t.size; i++) assert.ok(!Number.isNaN(t.data[i]), `${what}[${i}] is NaN`);
}

describeEachBackend('softmax and logSoftmax', (backend) => {
  it('softmax([1, 2, 3]) and logSoftmax([1, 2, 3]) by hand', () => {
    expectClose(softmax(tensor([1, 2, 3])), [0.09003057317038046, 0.24472847105479764, 0.6652409557748218]);
    expectClose(
      logSoftmax(tensor([1, 2, 3])),
      [-2.40760596444438, -1.4076059644443804, -0.40760596444438046],
    );
    const y64 = softmax(tensor([1, 2, 3], { dtype: 'float64' }));
    expectClose(y64, [0.09003057317038046, 0.24472847105479764, 0.6652409557748218], 1e-15);
  });

  it('is stable for large logits (shift invariance) and uniform for equal ones', () => {
    expectClose(
      softmax(tensor([1000, 1001, 1002])),
      [0.09003057317038046, 0.24472847105479764, 0.6652409557748218],
    );
    expectClose(
      logSoftmax(tensor([-1000, -999, -998])),
      [-2.40760596444438, -1.4076059644443804, -0.40760596444438046],
    );
    expectClose(softmax(tensor([5, 5, 5, 5])), [0.25, 0.25, 0.25, 0.25]);
    expectClose(softmax(tensor([7])), [1]);
  });

  it('axis 0, 1 and −1: each slice along the axis sums to 1, matching the transposed computation', () => {
    const x = randomTensor([3, 5], 111, -3, 3);
    for (const axis of [0, 1, -1, -2]) {
      const y = softmax(x, axis);
      assertClose(
        sum(y, axis),
        tensor(axis === 0 || axis === -2 ? [1, 1, 1, 1, 1] : [1, 1, 1], { dtype: 'float64' }),
      );
      assertClose(exp(logSoftmax(x, axis)), y, 1e-12, 1e-12, `exp(logSoftmax) axis ${axis}`);
    }
    assertClose(softmax(x, 0), transpose(softmax(transpose(x), 1)), 1e-12, 1e-12);
    const x32 = tensor([
      [1, 5],
      [2, 5],
      [3, 5],
    ]);
    expectClose(softmax(x32, 0), [
      [0.09003057317038046, 1 / 3],
      [0.24472847105479764, 1 / 3],
      [0.6652409557748218, 1 / 3],
    ]);
  });

  it('a row with one −∞ gives it probability 0 and zero gradient', () => {
    const x = tensor([0, NEG_INF, 0], { requiresGrad: true });
    const y = softmax(x);
    expectClose(y, [0.5, 0, 0.5]);
    sum(mul(y, tensor([1, 2, 3]))).backward();
    const g = x.grad as Tensor;
    assertNoNaN(g, 'grad');
    expectClose(g, [-0.5, 0, 0.5]);
    expectClose(logSoftmax(tensor([0, NEG_INF, 0])), [-Math.LN2, NEG_INF, -Math.LN2]);
  });

  it('an all −∞ row gives zeros (softmax) or −∞ (logSoftmax), a zero gradient, never NaN', () => {
    const x = tensor(
      [
        [NEG_INF, NEG_INF, NEG_INF],
        [1, 2, 3],
      ],
      { requiresGrad: true },
    );
    const y = softmax(x, -1);
    expectClose(y, [
      [0, 0, 0],
      [0.09003057317038046, 0.24472847105479764, 0.6652409557748218],
    ]);
    sum(mul(y, tensor([[1, 2, 3]]))).backward();
    const g = x.grad as Tensor;
    assertNoNaN(g, 'grad');
    expectClose(g, [
      [0, 0, 0],
      [-0.14181709360981218, -0.1407703574696302, 0.2825874510794421],
    ]);
    // The same along axis 0 (a column of −∞).
    const c = softmax(
      tensor([
        [NEG_INF, 1],
        [NEG_INF, 1],
      ]),
      0,
    );
    expectClose(c, [
      [0, 0.5],
      [0, 0.5],
    ]);
    const l = logSoftmax(tensor([NEG_INF, NEG_INF]));
    expectClose(l, [NEG_INF, NEG_INF]);
  });

  it('softmax gradient by hand: dx = y ⊙ (g − Σ g⊙y)', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = softmax(x);
    const w = [0.5, -1, 2];
    sum(mul(y, tensor(w))).backward();
    const yv = [0.09003057317038046, 0.24472847105479764, 0.6652409557748218];
    const dot = yv.reduce((s, v, i) => s + v * w[i], 0);
    expectClose(
      x.grad as Tensor,
      yv.map((v, i) => v * (w[i] - dot)),
    );
    // logSoftmax: dx = g − softmax(x)·Σg
    const x2 = tensor([1, 2, 3], { requiresGrad: true });
    sum(mul(logSoftmax(x2), tensor(w))).backward();
    const gs = w.reduce((s, v) => s + v, 0);
    expectClose(
      x2.grad as Tensor,
      w.map((v, i) => v - yv[i] * gs),
    );
  });

  for (const [name, op] of [
    ['softmax', softmax],
    ['logSoftmax', logSoftmax],
  ] as const) {
    for (const axis of [0, 1, -1]) {
      it(`${name} gradient on [3, 5] along axis ${axis}`, () => {
        checkOp(backend, (x) => op(x, axis), [randomTensor([3, 5], 112, -2, 2)]);
      });
    }
    it(`${name} gradient on [2, 3, 4] along the middle axis and on [7] / [1, 17]`, () => {
      checkOp(backend, (x) => op(x, 1), [randomTensor([2, 3, 4], 113, -2, 2)]);
      checkOp(backend, (x) => op(x, -2), [randomTensor([2, 3, 4], 114, -2, 2)]);
      checkOp(backend, (x) => op(x), [randomTensor([7], 115, -2, 2)]);
      checkOp(backend, (x) => op(x, -1), [randomTensor([1, 17], 116, -2, 2)]);
    });
  }

  it('long rows and columns agree with the float64 reference', () => {
    const x = randomTensor([17, 1000], 117, -10, 10);
    for (const op of [softmax, logSoftmax]) {
      for (const axis of [-1, 0]) {
        try {
          agreesWithReference((t) => op(t, axis), [x]);
        } catch (e) {
          throw new Error(`${op.name} axis ${axis}: ${(e as Error).message}`);
        }
      }
    }
  });

  it('special values (±∞, NaN, huge) match the js kernels in float32, forward and backward', () => {
    const rows = [
      [Number.POSITIVE_INFINITY, 0, 1],
      [Number.NaN, 1, 2],
      [NEG_INF, NEG_INF, 5],
      [3e38, -3e38, 0],
      [NEG_INF, Number.NaN, 0],
      [-3e38, -3e38, -3e38],
    ];
    for (const op of [softmax, logSoftmax]) {
      const run = (): { y: Tensor; g: Tensor } => {
        const x = tensor(rows, { requiresGrad: true });
        const y = op(x);
        y.backward(tensor(rows.map(() => [1, -2, 0.5])));
        return { y, g: x.grad as Tensor };
      };
      const ref = withBackend('js', run);
      const got = run();
      assertClose(got.y, ref.y, 1e-6, 1e-5, `${op.name} forward`);
      assertClose(got.g, ref.g, 1e-6, 1e-5, `${op.name} backward`);
    }
  });

  it('a bad axis names the op', () => {
    assert.throws(() => softmax(tensor([1, 2]), 1), /softmax: axis 1 is out of range/);
    assert.throws(() => logSoftmax(tensor([1, 2]), -2), /logSoftmax: axis -2 is out of range/);
  });
});
