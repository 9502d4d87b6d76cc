import assert from 'node:assert/strict';
import { it } from 'node:test';
import { mul } from '../../ops/binary.js';
import { fromArray, tensor } from '../../ops/creation.js';
import { sum } from '../../ops/reduce.js';
import { slice } from '../../ops/shape.js';
import { Mask } from '../../tensor/mask.js';
import type { NestedArray, Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose, randomTensor } from '../../testing/gradcheck.js';
import { checkModule } from '../../testing/module-check.js';
import { AttentionPooling } from './pooling.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-5): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

function rand32(shape: number[], seed: number): Tensor {
  return fromArray(randomTensor(shape, seed).data, shape);
}

/** Pooling with the score vector w = (1, −1): score_t = o_t · w. */
function pooling(): AttentionPooling {
  const p = new AttentionPooling(2);
  p.loadStateDict(new Map([['query.weight', tensor([[1, -1]])]]));
  return p;
}

describeEachBackend('AttentionPooling (seed 000 classification)', (backend) => {
  // Outputs o = (1, 0), (0, 1), (2, 2): scores 1, −1, 0.
  const outputs = () =>
    tensor([
      [
        [1, 0],
        [0, 1],
        [2, 2],
      ],
    ]);

  it('scores each output with the linear query, softmaxes over time, sums the outputs', () => {
    const z = Math.E + 1 / Math.E + 1;
    const w = [Math.E / z, 1 / Math.E / z, 1 / z];
    const r = pooling().forward(outputs());
    expectClose(r.weights, [w]);
    expectClose(r.context, [[w[0] + 2 * w[2], w[1] + 2 * w[2]]]);
  });

  it('padded steps get no weight: a [B, T] mask and lengths agree', () => {
    // Only the first two steps are real: softmax(1, −1) = (e², 1) / (e² + 1).
    const w0 = Math.exp(2) / (Math.exp(2) + 1);
    const byMask = pooling().forward(outputs(), Mask.from([[1, 1, 0]]));
    const byLengths = pooling().forward(outputs(), [2]);
    expectClose(byMask.weights, [[w0, 1 - w0, 0]]);
    expectClose(byMask.context, [[w0, 1 - w0]]);
    assertClose(byLengths.weights, byMask.weights, 0, 0);
    assertClose(byLengths.context, byMask.context, 0, 0);
  });

  it('a row with no real step pools to zeros with finite gradients', () => {
    const p = new AttentionPooling(3);
    const x = rand32([2, 4, 3], 1).requireGrad();
    const r = p.forward(x, [4, 0]);
    assert.deepEqual(Array.from(slice(r.weights, 0, 1, 2).data), [0, 0, 0, 0]);
    assert.deepEqual(Array.from(slice(r.context, 0, 1, 2).data), [0, 0, 0]);
    sum(mul(r.context, rand32([2, 3], 2))).backward();
    assert.ok(x.grad?.data.every(Number.isFinite));
    assert.ok(p.query.weight.grad?.data.every(Number.isFinite));
  });

  it('gradients: outputs and the query weight, with padding', () => {
    checkModule(
      backend,
      (init) => new AttentionPooling(3, init),
      (m, x) => {
        const r = m.forward(x, [4, 2]);
        return [r.context, r.weights];
      },
      [randomTensor([2, 4, 3], 3)],
    );
  });

  it('names its one parameter query.weight (no bias) and checks shapes', () => {
    assert.deepEqual(
      new AttentionPooling(5).namedParameters().map(([n, p]) => `${n} [${p.shape}]`),
      ['query.weight [1,5]'],
    );
    assert.throws(() => new AttentionPooling(5).forward(rand32([2, 4, 3], 1)), {
      name: 'ShapeError',
      message: /AttentionPooling\(5\): outputs \[2, 4, 3\] must be \[B, T, 5\]/,
    });
    assert.throws(() => new AttentionPooling(3).forward(rand32([2, 4, 3], 1), Mask.from([[1, 1, 1, 1]])), {
      message: /AttentionPooling\(3\): mask \[1, 4\] must be \[B, T\] = \[2, 4\]/,
    });
    assert.throws(() => new AttentionPooling(3).forward(rand32([2, 4, 3], 1), [4, 5]), /length 5 of row 1/);
  });
});
