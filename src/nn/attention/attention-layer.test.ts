import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fromArray, tensor } from '../../ops/creation.js';
import { Mask } from '../../tensor/mask.js';
import type { NestedArray, Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose, randomTensor } from '../../testing/gradcheck.js';
import { checkModule } from '../../testing/module-check.js';
import { AttentionLayer, SelfAttention } from './attention-layer.js';

function expectClose(t: Tensor, expected: NestedArray, tol = 1e-5): void {
  assertClose(t, tensor(expected, { dtype: 'float64' }), tol, tol);
}

function rand32(shape: number[], seed: number): Tensor {
  return fromArray(randomTensor(shape, seed).data, shape);
}

function load(m: AttentionLayer | SelfAttention, q: NestedArray, k: NestedArray, v: NestedArray): void {
  m.loadStateDict(
    new Map([
      ['qProj.weight', tensor(q)],
      ['kProj.weight', tensor(k)],
      ['vProj.weight', tensor(v)],
    ]),
  );
}

describeEachBackend('AttentionLayer and SelfAttention (seed 004)', (backend) => {
  it('C = Attn(X, X′): keys and values from the encoder inputs, queries from the decoder inputs', () => {
    // W_Q = [1], W_K = [1 0], W_V = diag(1, 2).
    // X = (0, 5), (ln 3, 1): k = (0, ln 3), v = (0, 10), (ln 3, 2).
    // x′ = (1): q = 1; α = softmax(Kᵀq) = softmax(0, ln 3) = (¼, ¾); c = ¼·(0, 10) + ¾·(ln 3, 2).
    const layer = new AttentionLayer(2, 1, 1, 2);
    load(
      layer,
      [[1]],
      [[1, 0]],
      [
        [1, 0],
        [0, 2],
      ],
    );
    const x = tensor([
      [
        [0, 5],
        [Math.log(3), 1],
      ],
    ]);
    const r = layer.forward(tensor([[[1]]]), x, x);
    expectClose(r.weights, [[[0.25, 0.75]]]);
    expectClose(r.context, [[[0.75 * Math.log(3), 2.5 + 1.5]]]);
  });

  it('SelfAttention C = Attn(X, X) on the tokens "the next is" (W_Q = W_V = I, W_K = diag(1, 2, 1))', () => {
    // As a Linear, W_K scales the second *feature* (seed 003 scales the second token instead):
    // K = (0.9, 0.2, 0.1), (0.1, 1.8, 0.1), (0.5, 1.0, 0.1).
    const sa = new SelfAttention(3, 3, 3);
    const eye = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    load(
      sa,
      eye,
      [
        [1, 0, 0],
        [0, 2, 0],
        [0, 0, 1],
      ],
      eye,
    );
    const x = [
      [0.9, 0.1, 0.1],
      [0.1, 0.9, 0.1],
      [0.5, 0.5, 0.1],
    ];
    const k = [
      [0.9, 0.2, 0.1],
      [0.1, 1.8, 0.1],
      [0.5, 1.0, 0.1],
    ];
    const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i], 0);
    const weights = x.map((q) => {
      const e = k.map((kk) => Math.exp(dot(q, kk)));
      const z = e.reduce((s, v) => s + v, 0);
      return e.map((v) => v / z);
    });
    // "the": scores 0.84, 0.28, 0.56, worked out by hand as a spot check of the loop above.
    assert.ok(Math.abs(dot(x[0], k[0]) - 0.84) < 1e-12 && Math.abs(dot(x[0], k[1]) - 0.28) < 1e-12);
    const context = weights.map((w) => [0, 1, 2].map((j) => w.reduce((s, wi, i) => s + wi * x[i][j], 0)));
    const r = sa.forward(tensor([x]));
    expectClose(r.weights, [weights]);
    expectClose(r.context, [context]);
  });

  it('SelfAttention(X) equals AttentionLayer(X, X, X) with the same weights', () => {
    const sa = new SelfAttention(4, 3, 5);
    const al = new AttentionLayer(4, 4, 3, 5);
    al.loadStateDict(sa.stateDict());
    const x = rand32([2, 6, 4], 1);
    const a = sa.forward(x);
    const b = al.forward(x, x, x);
    assertClose(a.context, b.context, 0, 0);
    assertClose(a.weights, b.weights, 0, 0);
  });

  it('scale: true divides the scores by √dK (= W_Q scaled by 1/√dK)', () => {
    const scaled = new AttentionLayer(3, 2, 4, 3, { scale: true });
    const plain = new AttentionLayer(3, 2, 4, 3);
    const state = scaled.stateDict();
    const wq = state.get('qProj.weight');
    assert.ok(wq);
    plain.loadStateDict(
      new Map(
        [...state].map(([n, t]) => [
          n,
          n === 'qProj.weight'
            ? fromArray(
                wq.data.map((v) => v / 2),
                wq.shape,
              )
            : t,
        ]),
      ),
    );
    const xq = rand32([2, 3, 2], 2);
    const x = rand32([2, 5, 3], 3);
    assertClose(scaled.forward(xq, x, x).weights, plain.forward(xq, x, x).weights, 1e-6, 1e-5);
  });

  it('gradients: inputs and W_Q, W_K, W_V (with a mask and biases)', () => {
    const mask = Mask.from([[[1, 0, 1, 1, 0]], [[0, 0, 0, 0, 0]]]); // [2, 1, 5]
    checkModule(
      backend,
      (init) => new AttentionLayer(3, 2, 4, 3, { scale: true, bias: true }, init),
      (m, xq, xk, xv) => {
        const r = m.forward(xq, xk, xv, mask);
        return [r.context, r.weights];
      },
      [randomTensor([2, 3, 2], 4), randomTensor([2, 5, 3], 5), randomTensor([2, 5, 3], 6)],
    );
    checkModule(
      backend,
      (init) => new SelfAttention(3, 2, 4, {}, init),
      (m, x) => {
        const r = m.forward(x);
        return [r.context, r.weights];
      },
      [randomTensor([2, 4, 3], 7)],
    );
  });

  it('parameter names and shape errors', () => {
    assert.deepEqual(
      new AttentionLayer(6, 5, 4, 3).namedParameters().map(([n, p]) => `${n} [${p.shape}]`),
      ['qProj.weight [4,5]', 'kProj.weight [4,6]', 'vProj.weight [3,6]'],
    );
    assert.throws(
      () =>
        new AttentionLayer(6, 5, 4, 3).forward(
          rand32([2, 3, 6], 1),
          rand32([2, 4, 6], 2),
          rand32([2, 4, 6], 3),
        ),
      {
        name: 'ShapeError',
        message: /AttentionLayer\(6, 5, 4, 3\): expected queries from \[B, Tq, 5\].*got \[2, 3, 6\]/,
      },
    );
    assert.throws(() => new SelfAttention(3, 2, 2).forward(rand32([2, 4, 3], 1), Mask.from([[1, 1]])), {
      message: /SelfAttention\(3, 2, 2\): mask \[1, 2\] does not broadcast against the scores \[2, 4, 4\]/,
    });
  });
});
