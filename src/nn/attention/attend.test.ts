import assert from 'node:assert/strict';
import { it } from 'node:test';
import { mul } from '../../ops/binary.js';
import { fromArray, tensor } from '../../ops/creation.js';
import { sum } from '../../ops/reduce.js';
import { concat, reshape, slice } from '../../ops/shape.js';
import { Mask } from '../../tensor/mask.js';
import type { NestedArray, Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose, checkOp, randomTensor } from '../../testing/gradcheck.js';
import { checkModule } from '../../testing/module-check.js';
import { AdditiveAttention, attend, DotAttention, GeneralAttention, ScaledDotAttention } from './attend.js';
import { reshapeMask } from './masking.js';
import type { AttentionResult } from './types.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-5): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

/** Context and weights flattened into one tensor, so checkOp seeds both. */
function both(r: AttentionResult): Tensor {
  return concat([reshape(r.context, [-1]), reshape(r.weights, [-1])]);
}

/** A seeded random float32 tensor (what the native backend runs). */
function rand32(shape: number[], seed: number): Tensor {
  return fromArray(randomTensor(shape, seed).data, shape);
}

function allFinite(t: Tensor | null): boolean {
  if (t === null) return false;
  return t.data.every((v) => Number.isFinite(v));
}

describeEachBackend('attend and the score-based attentions', (backend) => {
  it('attend: softmax of the scores, then the weighted sum of the values', () => {
    // softmax(0, ln 3) = (1/4, 3/4); context = ¼·(4, 0) + ¾·(0, 8) = (1, 6).
    const scores = tensor([[[0, Math.log(3)]]]);
    const values = tensor([
      [
        [4, 0],
        [0, 8],
      ],
    ]);
    const r = attend(scores, values);
    expectClose(r.weights, [[[0.25, 0.75]]]);
    expectClose(r.context, [[[1, 6]]]);
    // Masking the second key leaves all weight on the first.
    const m = attend(scores, values, Mask.from([[[true, false]]]));
    expectClose(m.weights, [[[1, 0]]]);
    expectClose(m.context, [[[4, 0]]]);
  });

  it('DotAttention reproduces the worked self-attention table of seed 003', () => {
    // Tokens "the next is"; Q = X, K = W_k·X with W_k = diag(1, 2, 1) (doubling the token "next").
    const x = tensor([
      [
        [0.9, 0.1, 0.1],
        [0.1, 0.9, 0.1],
        [0.5, 0.5, 0.1],
      ],
    ]);
    const k = tensor([
      [
        [0.9, 0.1, 0.1],
        [0.2, 1.8, 0.2],
        [0.5, 0.5, 0.1],
      ],
    ]);
    const r = new DotAttention().forward(x, k, x);
    const table = [
      [0.4231, 0.2697, 0.3072],
      [0.1487, 0.6466, 0.2047],
      [0.2728, 0.4543, 0.2728],
    ];
    const got = (r.weights.toArray() as number[][][])[0];
    got.forEach((row, i) => {
      row.forEach((v, j) => {
        assert.equal(v.toFixed(4), table[i][j].toFixed(4), `weight[${i}][${j}]`);
      });
    });
  });

  it('ScaledDotAttention divides the scores by √d', () => {
    // d = 4: q·k = (0, 4·ln 3) → scaled (0, 2·ln 3) → softmax (1/10, 9/10).
    const q = tensor([[[1, 1, 1, 1]]]);
    const l = Math.log(3);
    const k = tensor([
      [
        [0, 0, 0, 0],
        [l, l, l, l],
      ],
    ]);
    const v = tensor([[[10], [20]]]);
    const r = new ScaledDotAttention().forward(q, k, v);
    expectClose(r.weights, [[[0.1, 0.9]]]);
    expectClose(r.context, [[[19]]]);
  });

  it('GeneralAttention: softmax(q·W·Kᵀ)·V', () => {
    const a = new GeneralAttention(2, 2);
    a.loadStateDict(
      new Map([
        [
          'score.weight',
          tensor([
            [0, 1],
            [1, 0],
          ]),
        ],
      ]),
    );
    // q·W = (1, 0)·W = (0, 1); scores against (1, 0) and (0, ln 3): 0 and ln 3.
    const r = a.forward(
      tensor([[[1, 0]]]),
      tensor([
        [
          [1, 0],
          [0, Math.log(3)],
        ],
      ]),
      tensor([
        [
          [4, 0],
          [0, 8],
        ],
      ]),
    );
    expectClose(r.weights, [[[0.25, 0.75]]]);
    expectClose(r.context, [[[1, 6]]]);
  });

  it('AdditiveAttention: softmax(vᵀ·tanh(W₁q + W₂k + b))·V', () => {
    const a = new AdditiveAttention(1, 1, 1);
    a.loadStateDict(
      new Map([
        ['score.queryProj.weight', tensor([[2]])],
        ['score.keyProj.weight', tensor([[1]])],
        ['score.keyProj.bias', tensor([0.25])],
        ['score.energy.weight', tensor([[3]])],
      ]),
    );
    // q = 0.5 → W₁q = 1; keys 0.5 and −1 → W₂k + b = 0.75, −0.75.
    const s0 = 3 * Math.tanh(1.75);
    const s1 = 3 * Math.tanh(0.25);
    const w0 = Math.exp(s0) / (Math.exp(s0) + Math.exp(s1));
    const r = a.forward(tensor([[[0.5]]]), tensor([[[0.5], [-1]]]), tensor([[[1], [3]]]));
    expectClose(r.weights, [[[w0, 1 - w0]]]);
    expectClose(r.context, [[[w0 + 3 * (1 - w0)]]]);
  });

  it('a single query [B, Dq] gives context [B, Dv] and weights [B, Tk], mask [B, Tk]', () => {
    const a = new DotAttention();
    const q = rand32([2, 3], 1);
    const k = rand32([2, 4, 3], 2);
    const v = rand32([2, 4, 5], 3);
    const mask = Mask.from([
      [true, true, false, true],
      [false, true, true, true],
    ]);
    const one = a.forward(q, k, v, mask);
    const many = a.forward(reshape(q, [2, 1, 3]), k, v, reshapeMask(mask, [2, 1, 4]));
    assert.deepEqual(one.context.shape, [2, 5]);
    assert.deepEqual(one.weights.shape, [2, 4]);
    assertClose(one.context, reshape(many.context, [2, 5]), 1e-6, 1e-6);
    assertClose(one.weights, reshape(many.weights, [2, 4]), 1e-6, 1e-6);
    assert.equal(one.weights.data[2], 0);
    assert.equal(one.weights.data[4], 0);
  });

  it('a query with every key masked gets zero weights, zero context and finite gradients', () => {
    const q = rand32([2, 3, 4], 4).requireGrad();
    const k = rand32([2, 5, 4], 5).requireGrad();
    const v = rand32([2, 5, 6], 6).requireGrad();
    // Batch 1, query 2 sees nothing.
    const allowed = new Mask(new Uint8Array(2 * 3 * 5).fill(1), [2, 3, 5]);
    allowed.data.fill(0, (3 + 2) * 5, (3 + 2) * 5 + 5);
    const r = new DotAttention().forward(q, k, v, allowed);
    assert.ok(r.context.data.every((x) => !Number.isNaN(x)));
    assert.deepEqual(Array.from(slice(slice(r.weights, 0, 1, 2), 1, 2, 3).data), [0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(slice(slice(r.context, 0, 1, 2), 1, 2, 3).data), [0, 0, 0, 0, 0, 0]);
    const loss = sum(mul(both(r), rand32([both(r).size], 7)));
    loss.backward();
    assert.ok(allFinite(q.grad) && allFinite(k.grad) && allFinite(v.grad));
    // No gradient reaches the query that attends to nothing.
    assert.ok(q.grad !== null && slice(slice(q.grad, 0, 1, 2), 1, 2, 3).data.every((g) => g === 0));
  });

  it('a float mask of 0/−∞ equals the boolean mask', () => {
    const scores = rand32([2, 3, 4], 8);
    const v = rand32([2, 4, 2], 9);
    const mask = Mask.from([[[1, 0, 1, 1]], [[0, 0, 1, 0]]]);
    const additive = tensor([[[0, -Infinity, 0, 0]], [[-Infinity, -Infinity, 0, -Infinity]]]);
    const a = attend(scores, v, mask);
    const b = attend(scores, v, additive);
    assertClose(a.weights, b.weights, 1e-7, 1e-6);
    assertClose(a.context, b.context, 1e-7, 1e-6);
  });

  it('gradients: attend with partly and fully masked rows', () => {
    const mask = Mask.from([
      [
        [1, 0, 1, 1],
        [0, 0, 0, 0],
        [1, 1, 1, 1],
      ],
      [
        [0, 1, 0, 0],
        [1, 1, 0, 1],
        [1, 0, 0, 1],
      ],
    ]);
    checkOp(backend, (s, v) => both(attend(s, v, mask)), [
      randomTensor([2, 3, 4], 10),
      randomTensor([2, 4, 3], 11),
    ]);
    checkOp(backend, (q, k, v) => both(new DotAttention().forward(q, k, v, mask)), [
      randomTensor([2, 3, 5], 12),
      randomTensor([2, 4, 5], 13),
      randomTensor([2, 4, 3], 14),
    ]);
  });

  it('gradients: GeneralAttention and AdditiveAttention (inputs and parameters, masked)', () => {
    const mask = Mask.from([[[1, 1, 0, 1]], [[0, 0, 0, 0]]]); // [2, 1, 4]: batch 1 fully masked
    const inputs = [randomTensor([2, 3, 3], 15), randomTensor([2, 4, 2], 16), randomTensor([2, 4, 5], 17)];
    checkModule(
      backend,
      (init) => new GeneralAttention(3, 2, init),
      (m, q, k, v) => {
        const r = m.forward(q, k, v, mask);
        return [r.context, r.weights];
      },
      inputs,
    );
    checkModule(
      backend,
      (init) => new AdditiveAttention(3, 2, 4, init),
      (m, q, k, v) => {
        const r = m.forward(q, k, v, mask);
        return [r.context, r.weights];
      },
      inputs,
    );
  });

  it('parameter names and shape errors', () => {
    assert.deepEqual(
      new AdditiveAttention(3, 2, 4).namedParameters().map(([n, p]) => `${n} [${p.shape}]`),
      [
        'score.queryProj.weight [4,3]',
        'score.keyProj.weight [4,2]',
        'score.keyProj.bias [4]',
        'score.energy.weight [1,4]',
      ],
    );
    assert.deepEqual([...new GeneralAttention(3, 2).stateDict().keys()], ['score.weight']);
    assert.equal(new DotAttention().numParameters(), 0);
    assert.throws(
      () => new DotAttention().forward(rand32([2, 3, 4], 1), rand32([3, 5, 4], 2), rand32([3, 5, 4], 3)),
      { name: 'ShapeError', message: /DotAttention: .*got \[2, 3, 4\], \[3, 5, 4\], \[3, 5, 4\]/ },
    );
    assert.throws(
      () =>
        new GeneralAttention(4, 4).forward(
          rand32([2, 3, 4], 1),
          rand32([2, 5, 4], 2),
          rand32([2, 5, 4], 3),
          Mask.from([[1, 1, 1]]),
        ),
      {
        name: 'ShapeError',
        message: /GeneralAttention\(4, 4\): mask \[1, 3\] does not broadcast against the scores \[2, 3, 5\]/,
      },
    );
  });
});
