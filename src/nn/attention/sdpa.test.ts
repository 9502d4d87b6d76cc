import assert from 'node:assert/strict';
import { it } from 'node:test';
import { add, mul } from '../../ops/binary.js';
import { fromArray } from '../../ops/creation.js';
import { sum } from '../../ops/reduce.js';
import { concat, reshape, slice } from '../../ops/shape.js';
import { Mask } from '../../tensor/mask.js';
import type { DType, Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { entry, loadFixture, storedMask, storedTensor } from '../../testing/fixtures.js';
import { assertClose, checkOp, randomTensor } from '../../testing/gradcheck.js';
import { Generator } from '../../util/random.js';
import { causalMask } from './masking.js';
import { composedAttention, scaledDotProductAttention } from './sdpa.js';
import type { AttentionResult } from './types.js';

function rand32(shape: number[], seed: number): Tensor {
  return fromArray(randomTensor(shape, seed).data, shape);
}

function both(r: AttentionResult): Tensor {
  return concat([reshape(r.context, [-1]), reshape(r.weights, [-1])]);
}

/**
 * softmax(q·kᵀ·scale + bias)·v with plain loops, for q [B, Tq, D], k [B, Tk, D], v [B, Tk, Dv]
 * and bias [Tq, Tk]: the formula written out, independent of the ops.
 */
function naiveAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  scale: number,
  bias: Tensor,
): { weights: Tensor; context: Tensor } {
  const [b, tq, d] = q.shape;
  const [, tk, dv] = v.shape;
  const w = new Float64Array(b * tq * tk);
  const c = new Float64Array(b * tq * dv);
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < tq; i++) {
      const s: number[] = [];
      for (let j = 0; j < tk; j++) {
        let dot = 0;
        for (let x = 0; x < d; x++) dot += q.data[(n * tq + i) * d + x] * k.data[(n * tk + j) * d + x];
        s.push(dot * scale + bias.data[i * tk + j]);
      }
      const m = Math.max(...s);
      const e = s.map((x) => Math.exp(x - m));
      const z = e.reduce((p, x) => p + x, 0);
      for (let j = 0; j < tk; j++) {
        const wij = e[j] / z;
        w[(n * tq + i) * tk + j] = wij;
        for (let x = 0; x < dv; x++) c[(n * tq + i) * dv + x] += wij * v.data[(n * tk + j) * dv + x];
      }
    }
  }
  return {
    weights: fromArray(w, [b, tq, tk], { dtype: 'float64' }),
    context: fromArray(c, [b, tq, dv], { dtype: 'float64' }),
  };
}

/** Float32 everywhere (PyTorch agreement to float32 rounding); float64 on js, to 1e-9. */
function goldenDTypes(backend: string): { dtype: DType; atol: number; rtol: number }[] {
  const f32 = { dtype: 'float32' as const, atol: 1e-5, rtol: 1e-4 };
  return backend === 'js' ? [f32, { dtype: 'float64', atol: 1e-10, rtol: 1e-9 }] : [f32];
}

describeEachBackend('scaledDotProductAttention', (backend) => {
  for (const name of ['sdpa_plain', 'sdpa_causal', 'sdpa_bool_mask']) {
    for (const { dtype, atol, rtol } of goldenDTypes(backend)) {
      it(`${name}: outputs and gradients match PyTorch (${dtype})`, () => {
        const fx = loadFixture(name);
        const input = (k: string): Tensor => storedTensor(entry(fx.inputs, k, name), dtype, true);
        const [q, k, v] = [input('query'), input('key'), input('value')];
        const scale = fx.config.scale;
        assert.equal(typeof scale, 'number');
        const r = scaledDotProductAttention(q, k, v, {
          scale: Number(scale),
          causal: fx.config.is_causal === true,
          // PyTorch 2.x sdpa's bool mask is True = takes part: heed's convention, no .not().
          mask: fx.masks?.attn_mask ? storedMask(fx.masks.attn_mask) : undefined,
        });
        const expect = (t: Tensor, s: string, where: string): void =>
          assertClose(t, storedTensor(entry(fx.outputs, s, name), 'float64'), atol, rtol, `${name} ${where}`);
        expect(r.context, 'output', 'output');
        expect(r.weights, 'weights', 'weights');
        const seed = (s: string): Tensor => storedTensor(entry(fx.seedGrads, s, name), dtype);
        add(sum(mul(r.context, seed('output'))), sum(mul(r.weights, seed('weights')))).backward();
        for (const [n, t] of [
          ['query', q],
          ['key', k],
          ['value', v],
        ] as const) {
          assert.ok(t.grad);
          assertClose(
            t.grad,
            storedTensor(entry(fx.grads, `input:${n}`, name), 'float64'),
            atol,
            rtol,
            `grad ${n}`,
          );
        }
      });
    }
  }

  it('causal: true equals the explicit lower-triangular mask (top-left, Tq < Tk)', () => {
    const fx = loadFixture('sdpa_causal');
    const implied = storedMask(entry(fx.masks, 'implied_causal_mask', 'sdpa_causal'));
    assert.deepEqual(causalMask(4, 6).data, implied.data);
    const q = rand32([2, 3, 4, 5], 1);
    const k = rand32([2, 3, 6, 5], 2);
    const v = rand32([2, 3, 6, 2], 3);
    const a = scaledDotProductAttention(q, k, v, { causal: true });
    const b = scaledDotProductAttention(q, k, v, { mask: causalMask(4, 6) });
    assertClose(a.context, b.context, 0, 0);
    assertClose(a.weights, b.weights, 0, 0);
  });

  it('a float mask is added to the scaled scores; 0/−∞ equals the boolean mask', () => {
    const q = rand32([2, 3, 4], 4);
    const k = rand32([2, 5, 4], 5);
    const v = rand32([2, 5, 3], 6);
    const bias = rand32([3, 5], 7);
    const withBias = scaledDotProductAttention(q, k, v, { mask: bias, scale: 0.3 });
    const ref = naiveAttention(q, k, v, 0.3, bias);
    assertClose(withBias.weights, ref.weights, 1e-6, 1e-5);
    assertClose(withBias.context, ref.context, 1e-6, 1e-5);
    const allowed = Mask.from([
      [1, 0, 1, 1, 0],
      [0, 0, 0, 0, 1],
      [1, 1, 1, 1, 1],
    ]);
    const additive = fromArray(
      Array.from(allowed.data, (a) => (a ? 0 : Number.NEGATIVE_INFINITY)),
      [3, 5],
    );
    const a = scaledDotProductAttention(q, k, v, { mask: allowed });
    const b = scaledDotProductAttention(q, k, v, { mask: additive });
    assertClose(a.weights, b.weights, 1e-7, 1e-6);
    assertClose(a.context, b.context, 1e-7, 1e-6);
  });

  it('fully masked rows give zero weights and context, and finite gradients (PyTorch: NaN)', () => {
    const q = rand32([2, 2, 3, 4], 8).requireGrad();
    const k = rand32([2, 2, 5, 4], 9).requireGrad();
    const v = rand32([2, 2, 5, 3], 10).requireGrad();
    const mask = Mask.from([
      [1, 1, 1, 1, 1],
      [0, 0, 0, 0, 0],
      [1, 0, 0, 0, 0],
    ]);
    const r = scaledDotProductAttention(q, k, v, { mask });
    assert.ok(slice(r.weights, 2, 1, 2).data.every((x) => x === 0));
    assert.ok(slice(r.context, 2, 1, 2).data.every((x) => x === 0));
    assert.ok(r.context.data.every(Number.isFinite));
    sum(mul(both(r), rand32([both(r).size], 11))).backward();
    for (const t of [q, k, v]) assert.ok(t.grad?.data.every(Number.isFinite));
    assert.ok(q.grad && slice(q.grad, 2, 1, 2).data.every((x) => x === 0));
  });

  it('gradients: plain, causal, masked (with a fully masked row) and broadcast batch axes', () => {
    const qkv = [
      randomTensor([2, 2, 3, 4], 12),
      randomTensor([2, 2, 5, 4], 13),
      randomTensor([2, 2, 5, 3], 14),
    ];
    checkOp(backend, (q, k, v) => both(scaledDotProductAttention(q, k, v)), qkv);
    checkOp(backend, (q, k, v) => both(scaledDotProductAttention(q, k, v, { causal: true })), qkv);
    const mask = Mask.from([
      [[[1, 0, 1, 1, 0]], [[0, 0, 0, 0, 0]]],
      [[[1, 1, 1, 1, 1]], [[0, 1, 0, 0, 0]]],
    ]);
    checkOp(backend, (q, k, v) => both(scaledDotProductAttention(q, k, v, { mask, scale: 0.7 })), qkv);
    // One set of keys and values shared by every head: k, v [2, 1, 5, D].
    checkOp(backend, (q, k, v) => both(scaledDotProductAttention(q, k, v)), [
      randomTensor([2, 2, 3, 4], 15),
      randomTensor([2, 1, 5, 4], 16),
      randomTensor([2, 1, 5, 3], 17),
    ]);
  });

  it('dropout drops weights in the weighted sum only, in training, reproducibly', () => {
    const q = rand32([2, 4, 3], 18);
    const k = rand32([2, 6, 3], 19);
    const v = rand32([2, 6, 2], 20);
    const plain = scaledDotProductAttention(q, k, v);
    const evalMode = scaledDotProductAttention(q, k, v, { dropout: 0.5, training: false });
    assertClose(evalMode.context, plain.context, 0, 0);
    const a = scaledDotProductAttention(q, k, v, { dropout: 0.5, generator: new Generator(3) });
    const b = scaledDotProductAttention(q, k, v, { dropout: 0.5, generator: new Generator(3) });
    assertClose(a.context, b.context, 0, 0);
    // Dropout runs the composed reference; its weights are that softmax itself, bit for bit.
    assertClose(a.weights, composedAttention(q, k, v).weights, 0, 0);
    assertClose(a.weights, plain.weights, 1e-7, 1e-6);
    assert.ok(a.context.data.some((x, i) => Math.abs(x - plain.context.data[i]) > 1e-3));
  });

  it('needWeights: false returns null weights; shape errors name the op and shapes', () => {
    const q = rand32([2, 3, 4], 21);
    const k = rand32([2, 5, 4], 22);
    const v = rand32([2, 5, 2], 23);
    const r = scaledDotProductAttention(q, k, v, { needWeights: false });
    assert.equal(r.weights, null);
    // Without weights the fused flashAttention op runs: equal up to float32 rounding.
    assertClose(r.context, scaledDotProductAttention(q, k, v).context);
    assert.throws(() => scaledDotProductAttention(q, rand32([2, 5, 3], 1), v), {
      name: 'ShapeError',
      message: /scaledDotProductAttention: expected .*got \[2, 3, 4\], \[2, 5, 3\], \[2, 5, 2\]/,
    });
    assert.throws(() => scaledDotProductAttention(q, k, v, { mask: Mask.from([[1, 1, 1]]) }), {
      message: /scaledDotProductAttention: mask \[1, 3\] does not broadcast against the scores \[2, 3, 5\]/,
    });
    assert.throws(() => scaledDotProductAttention(rand32([3, 3, 4], 1), k, v), {
      message: /scaledDotProductAttention: shapes \[3\] and \[2\] cannot be broadcast/,
    });
  });
});
