import assert from 'node:assert/strict';
import { it } from 'node:test';
import { mul } from '../../ops/binary.js';
import { fromArray, tensor } from '../../ops/creation.js';
import { sum } from '../../ops/reduce.js';
import { concat, reshape, slice } from '../../ops/shape.js';
import type { NestedArray, Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose, checkOp, randomTensor } from '../../testing/gradcheck.js';
import { checkModule } from '../../testing/module-check.js';
import { attendStep, attendToPast, PastAttention, type PastScoreKind } from './causal-rnn.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-5): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

function rand32(shape: number[], seed: number): Tensor {
  return fromArray(randomTensor(shape, seed).data, shape);
}

describeEachBackend('RNN attention over its own past (seed 000 generation)', (backend) => {
  it('step t attends over steps 0..t−1 with dot scores (worked by hand)', () => {
    // h = (1, 0), (0, 1), (1, 1), (2, 0).
    // t = 0: nothing. t = 1: only h0 → context h0.
    // t = 2: h2·h0 = 1, h2·h1 = 1 → ½, ½ → (½, ½).
    // t = 3: h3·(h0, h1, h2) = (2, 0, 2) → (e², 1, e²)/(2e² + 1).
    const h = tensor([
      [
        [1, 0],
        [0, 1],
        [1, 1],
        [2, 0],
      ],
    ]);
    const r = attendToPast(h);
    const z = 2 * Math.exp(2) + 1;
    const a = Math.exp(2) / z;
    const b = 1 / z;
    expectClose(r.weights, [
      [
        [0, 0, 0, 0],
        [1, 0, 0, 0],
        [0.5, 0.5, 0, 0],
        [a, b, a, 0],
      ],
    ]);
    expectClose(r.context, [
      [
        [0, 0],
        [1, 0],
        [0.5, 0.5],
        [2 * a, b + a],
      ],
    ]);
  });

  it('step 0 has zero weights and context, and the gradient stays finite', () => {
    const h = rand32([2, 5, 3], 1).requireGrad();
    const r = attendToPast(h, 'scaledDot');
    assert.ok(slice(r.weights, 1, 0, 1).data.every((v) => v === 0));
    assert.ok(slice(r.context, 1, 0, 1).data.every((v) => v === 0));
    sum(
      mul(concat([reshape(r.context, [-1]), reshape(r.weights, [-1])]), rand32([2 * 5 * 3 + 2 * 5 * 5], 2)),
    ).backward();
    assert.ok(h.grad?.data.every(Number.isFinite));
  });

  for (const kind of ['dot', 'scaledDot', 'general', 'additive'] as PastScoreKind[]) {
    it(`attendStep equals row t of the parallel form ('${kind}')`, () => {
      const att = new PastAttention(3, { score: kind, attnDim: 4 });
      const h = rand32([2, 5, 3], 3);
      const all = att.forward(h);
      for (let t = 0; t < 5; t++) {
        const step = att.step(reshape(slice(h, 1, t, t + 1), [2, 3]), slice(h, 1, 0, t));
        assert.deepEqual(step.weights.shape, [2, t]);
        const row = slice(all.weights, 1, t, t + 1); // [2, 1, 5]
        assertClose(step.weights, reshape(slice(row, 2, 0, t), [2, t]), 1e-6, 1e-5, `weights of step ${t}`);
        assert.ok(
          slice(row, 2, t).data.every((v) => v === 0),
          `no weight on step ${t} or later`,
        );
        assertClose(
          step.context,
          reshape(slice(all.context, 1, t, t + 1), [2, 3]),
          1e-6,
          1e-5,
          `context of step ${t}`,
        );
      }
    });
  }

  it('attendStep with an empty past gives zeros', () => {
    const r = attendStep(rand32([2, 3], 1), rand32([2, 0, 3], 2));
    assert.deepEqual(r.context.shape, [2, 3]);
    assert.ok(r.context.data.every((v) => v === 0));
    assert.deepEqual(r.weights.shape, [2, 0]);
  });

  it('gradients: dot form, and general / additive scores with their parameters', () => {
    checkOp(
      backend,
      (h) => {
        const r = attendToPast(h);
        return concat([reshape(r.context, [-1]), reshape(r.weights, [-1])]);
      },
      [randomTensor([2, 4, 3], 4)],
    );
    for (const kind of ['general', 'additive'] as PastScoreKind[]) {
      checkModule(
        backend,
        (init) => new PastAttention(3, { score: kind, attnDim: 2 }, init),
        (m, h) => {
          const r = m.forward(h);
          return [r.context, r.weights];
        },
        [randomTensor([2, 4, 3], 5)],
      );
    }
  });

  it('parameter names and shape errors', () => {
    assert.deepEqual([...new PastAttention(3, { score: 'general' }).stateDict().keys()], ['score.weight']);
    assert.deepEqual(
      [...new PastAttention(3, { score: 'additive' }).stateDict().keys()],
      ['score.queryProj.weight', 'score.keyProj.weight', 'score.keyProj.bias', 'score.energy.weight'],
    );
    assert.equal(new PastAttention(3).numParameters(), 0);
    assert.throws(() => new PastAttention(3).forward(rand32([2, 4, 2], 1)), {
      message: /PastAttention\(3\): hiddens \[2, 4, 2\] must end in 3/,
    });
    assert.throws(() => attendStep(rand32([2, 3], 1), rand32([3, 2, 3], 2)), {
      name: 'ShapeError',
      message: /attendStep: expected query \[B, H\] and past \[B, t, H\], got \[2, 3\] and \[3, 2, 3\]/,
    });
  });
});
