import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fromArray, tensor } from '../../ops/creation.js';
import { slice } from '../../ops/shape.js';
import type { NestedArray, Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose, checkOp, randomTensor } from '../../testing/gradcheck.js';
import { checkModule } from '../../testing/module-check.js';
import { ShapeError } from '../../util/errors.js';
import { AdditiveScore, dotScores, GeneralScore, scaledDotScores } from './scores.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-5): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

function params(entries: [string, NestedArray][]): Map<string, Tensor> {
  return new Map(entries.map(([k, v]) => [k, tensor(v)]));
}

describeEachBackend('attention score functions', (backend) => {
  // One batch, queries (1, 2) and (0, 1), keys (1, 0), (2, 1), (−1, 3).
  const q = () =>
    tensor([
      [
        [1, 2],
        [0, 1],
      ],
    ]);
  const k = () =>
    tensor([
      [
        [1, 0],
        [2, 1],
        [-1, 3],
      ],
    ]);

  it('dotScores is q·kᵀ for every pair (seed 001)', () => {
    // (1,2)·(1,0) = 1, (1,2)·(2,1) = 4, (1,2)·(−1,3) = 5; (0,1)·… = 0, 1, 3.
    expectClose(dotScores(q(), k()), [
      [
        [1, 4, 5],
        [0, 1, 3],
      ],
    ]);
  });

  it('scaledDotScores divides by √d', () => {
    const r = Math.SQRT1_2;
    expectClose(scaledDotScores(q(), k()), [
      [
        [r, 4 * r, 5 * r],
        [0, r, 3 * r],
      ],
    ]);
  });

  it('GeneralScore is q·W·kᵀ', () => {
    const s = new GeneralScore(2, 3);
    s.loadStateDict(
      params([
        [
          'weight',
          [
            [1, 0, 2],
            [0, 1, -1],
          ],
        ],
      ]),
    );
    // q·W = (1, 2)·W = (1, 2, 0); against keys (1, 1, 1) and (0, 1, 2): 3 and 2.
    const out = s.forward(
      tensor([[[1, 2]]]),
      tensor([
        [
          [1, 1, 1],
          [0, 1, 2],
        ],
      ]),
    );
    expectClose(out, [[[3, 2]]]);
  });

  it('AdditiveScore is vᵀ·tanh(W₁q + W₂k + b)', () => {
    const s = new AdditiveScore(1, 1, 2);
    s.loadStateDict(
      params([
        ['queryProj.weight', [[1], [2]]],
        ['keyProj.weight', [[-1], [0.5]]],
        ['keyProj.bias', [0.1, -0.2]],
        ['energy.weight', [[1, -1]]],
      ]),
    );
    // q = 0.5: W₁q = (0.5, 1). k = 1: W₂k + b = (−0.9, 0.3); k = −2: (2.1, −1.2).
    const out = s.forward(tensor([[[0.5]]]), tensor([[[1], [-2]]]));
    expectClose(out, [[[Math.tanh(-0.4) - Math.tanh(1.3), Math.tanh(2.6) - Math.tanh(-0.2)]]]);
    assert.deepEqual(
      s.namedParameters().map(([n]) => n),
      ['queryProj.weight', 'keyProj.weight', 'keyProj.bias', 'energy.weight'],
    );
  });

  it('AdditiveScore scores every query against every key ([B, Tq, 1, A] + [B, 1, Tk, A])', () => {
    const s = new AdditiveScore(3, 4, 5);
    const query = fromArray(randomTensor([2, 3, 3], 1).data, [2, 3, 3]);
    const keys = fromArray(randomTensor([2, 4, 4], 2).data, [2, 4, 4]);
    const all = s.forward(query, keys); // [2, 3, 4]
    assert.deepEqual(all.shape, [2, 3, 4]);
    // One query at a time (a decoder step) gives the same rows.
    for (let t = 0; t < 3; t++) {
      const one = s.forward(slice(query, 1, t, t + 1), keys); // [2, 1, 4]
      assertClose(one, slice(all, 1, t, t + 1), 1e-6, 1e-5, `query ${t}`);
    }
  });

  it('gradients: dotScores and scaledDotScores', () => {
    checkOp(backend, dotScores, [randomTensor([2, 3, 4], 3), randomTensor([2, 5, 4], 4)]);
    checkOp(backend, scaledDotScores, [randomTensor([2, 2, 3, 4], 5), randomTensor([2, 2, 5, 4], 6)]);
  });

  it('gradients: GeneralScore and AdditiveScore, inputs and parameters', () => {
    checkModule(
      backend,
      (init) => new GeneralScore(3, 4, init),
      (m, a, b) => [m.forward(a, b)],
      [randomTensor([2, 3, 3], 7), randomTensor([2, 5, 4], 8)],
    );
    checkModule(
      backend,
      (init) => new AdditiveScore(3, 4, 5, init),
      (m, a, b) => [m.forward(a, b)],
      [randomTensor([2, 3, 3], 9), randomTensor([2, 5, 4], 10)],
    );
  });

  it('shape errors name the score and the shapes', () => {
    assert.throws(() => dotScores(tensor([[[1, 2]]]), tensor([[[1, 2, 3]]])), {
      name: 'ShapeError',
      message: /dotScores: query \[1, 1, 2\] and keys \[1, 1, 3\]/,
    });
    assert.throws(
      () => new GeneralScore(2, 3).forward(tensor([[[1, 2, 3]]]), tensor([[[1, 2, 3]]])),
      /GeneralScore\(2, 3\): query \[1, 1, 3\] must end in 2/,
    );
    assert.throws(
      () => new AdditiveScore(2, 3, 4).forward(tensor([[[1, 2]]]), tensor([[[1, 2]]])),
      (e: unknown) => e instanceof ShapeError && /AdditiveScore\(2, 3, 4\): keys \[1, 1, 2\]/.test(e.message),
    );
  });
});
