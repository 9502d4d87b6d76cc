import assert from 'node:assert/strict';
import { it } from 'node:test';
import { withBackend } from '../backend/registry.js';
import type { Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { assertClose, checkOp, type OpFn, randomTensor, valueAndGrads } from '../testing/gradcheck.js';
import { ShapeError } from '../util/errors.js';
import { additiveScore } from './additive-score.js';
import { add } from './binary.js';
import { matmul } from './matmul.js';
import { reshape, squeeze, unsqueeze } from './shape.js';
import { tanh } from './unary.js';

/** additiveScore(q, k, v) against its composition v·tanh(q[:, :, None] + k[:, None]). */
const fused: OpFn = (q, k, v) => additiveScore(q, k, v);
const composed: OpFn = (q, k, v) => {
  const e = tanh(add(unsqueeze(q, 2), unsqueeze(k, 1))); // [B, Tq, Tk, A]
  return squeeze(matmul(e, reshape(v, [v.size, 1])), 3);
};

function inputs(batch: number, tq: number, tk: number, dim: number, seed: number): Tensor[] {
  return [
    randomTensor([batch, tq, dim], seed, -2, 2),
    randomTensor([batch, tk, dim], seed + 1, -2, 2),
    randomTensor([dim], seed + 2),
  ];
}

describeEachBackend('additiveScore', (backend) => {
  it('equals the composition forward and backward (whole and partial vectors, one query, one key)', () => {
    for (const [batch, tq, tk, dim] of [
      [1, 1, 1, 1],
      [2, 3, 5, 7],
      [3, 1, 20, 16],
      [2, 4, 3, 33],
      [4, 2, 9, 256],
    ]) {
      const xs = inputs(batch, tq, tk, dim, batch * 1000 + tk * 10 + dim);
      const ref = withBackend('js', () => valueAndGrads(composed, xs, 'float64'));
      const native = backend === 'native';
      const got = valueAndGrads(fused, xs, native ? 'float32' : 'float64');
      const [atol, rtol] = native ? [1e-5, 1e-4] : [1e-12, 1e-12];
      const where = `B ${batch}, Tq ${tq}, Tk ${tk}, A ${dim}`;
      assertClose(got.out, ref.out, atol, rtol, `scores (${where})`);
      ref.grads.forEach((r, i) => {
        const g = got.grads[i];
        assert.ok(g !== null && r !== null);
        assertClose(g, r, atol, rtol, `gradient of input ${i} (${where})`);
      });
    }
  });

  it('finite-difference gradients', () => {
    checkOp(backend, fused, inputs(2, 3, 4, 5, 1));
    checkOp(backend, fused, inputs(1, 2, 3, 18, 2));
  });

  it('no keys: empty scores and zero gradients', () => {
    const [q, , v] = inputs(2, 3, 1, 4, 3);
    const k = randomTensor([2, 0, 4], 4);
    const got = valueAndGrads(fused, [q, k, v], 'float64');
    assert.deepEqual(got.out.shape, [2, 3, 0]);
    for (const g of got.grads) assert.ok(g !== null && Array.from(g.data).every((x) => x === 0));
  });

  it('wrong shapes are a ShapeError naming the op and the shapes', () => {
    const [q, k, v] = inputs(2, 3, 4, 5, 5);
    assert.throws(
      () => additiveScore(q, randomTensor([3, 4, 5], 6), v),
      (e: unknown) =>
        e instanceof ShapeError &&
        e.message ===
          'additiveScore: expected q [B, Tq, A], k [B, Tk, A], v [A]; got q [2, 3, 5], k [3, 4, 5], v [5]',
    );
    assert.throws(() => additiveScore(q, k, randomTensor([4], 7)), /^ShapeError: additiveScore: expected/);
    assert.throws(() => additiveScore(q, randomTensor([2, 4, 6], 8), v), /^ShapeError: additiveScore/);
  });
});
