import assert from 'node:assert/strict';
import { it } from 'node:test';
import { add, mul } from '../../ops/binary.js';
import { fromArray } from '../../ops/creation.js';
import { mean, sum } from '../../ops/reduce.js';
import { slice } from '../../ops/shape.js';
import { Mask } from '../../tensor/mask.js';
import type { DType, Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { entry, type Fixture, loadFixture, storedMask, storedTensor } from '../../testing/fixtures.js';
import { assertClose, randomTensor } from '../../testing/gradcheck.js';
import { checkModule } from '../../testing/module-check.js';
import { causalMask } from './masking.js';
import { MultiHeadAttention } from './multihead.js';

function rand32(shape: number[], seed: number): Tensor {
  return fromArray(randomTensor(shape, seed).data, shape);
}

function goldenDTypes(backend: string): { dtype: DType; atol: number; rtol: number }[] {
  const f32 = { dtype: 'float32' as const, atol: 1e-5, rtol: 1e-4 };
  return backend === 'js' ? [f32, { dtype: 'float64', atol: 1e-10, rtol: 1e-9 }] : [f32];
}

function num(fx: Fixture, key: string): number | undefined {
  const v = fx.config[key];
  return typeof v === 'number' ? v : undefined;
}

/** nn.MultiheadAttention from a fixture: its config and its state_dict. */
function mhaFromFixture(fx: Fixture, dtype: DType): MultiHeadAttention {
  const e = num(fx, 'embed_dim') ?? 0;
  const mha = new MultiHeadAttention(
    e,
    num(fx, 'num_heads') ?? 0,
    { kdim: num(fx, 'kdim'), vdim: num(fx, 'vdim') },
    { dtype },
  );
  mha.loadStateDict(new Map(Object.entries(fx.params).map(([k, s]) => [k, storedTensor(s, dtype)])));
  return mha;
}

describeEachBackend('MultiHeadAttention', (backend) => {
  for (const name of ['mha_padding_mask', 'mha_per_head_weights', 'mha_causal', 'mha_kdim_vdim']) {
    for (const { dtype, atol, rtol } of goldenDTypes(backend)) {
      it(`${name}: outputs and gradients match nn.MultiheadAttention (${dtype})`, () => {
        const fx = loadFixture(name);
        const mha = mhaFromFixture(fx, dtype);
        const inputs = new Map(Object.entries(fx.inputs).map(([k, s]) => [k, storedTensor(s, dtype, true)]));
        const get = (k: string): Tensor => {
          const t = inputs.get(k);
          if (t === undefined) throw new Error(`${name}: no input ${k}`);
          return t;
        };
        const self = inputs.has('x');
        const [q, k, v] = self ? [get('x'), get('x'), get('x')] : [get('query'), get('key'), get('value')];
        const r = mha.forward(q, k, v, {
          // key_padding_mask: True = ignored, the same meaning as heed's keyPaddingMask.
          keyPaddingMask: fx.masks?.key_padding_mask ? storedMask(fx.masks.key_padding_mask) : undefined,
          // attn_mask: True = NOT allowed in nn.MultiheadAttention; heed's mask is true = allowed.
          mask: fx.masks?.attn_mask ? storedMask(fx.masks.attn_mask).not() : undefined,
          averageWeights: fx.config.average_attn_weights !== false,
        });
        const expected = (section: Fixture['outputs'], key: string): Tensor =>
          storedTensor(entry(section, key, name), 'float64');
        assertClose(r.context, expected(fx.outputs, 'output'), atol, rtol, `${name} output`);
        assertClose(r.weights, expected(fx.outputs, 'weights'), atol, rtol, `${name} weights`);
        const seed = (s: string): Tensor => storedTensor(entry(fx.seedGrads, s, name), dtype);
        add(sum(mul(r.context, seed('output'))), sum(mul(r.weights, seed('weights')))).backward();
        for (const [key, t] of inputs) {
          assert.ok(t.grad, `${name}: no gradient for input ${key}`);
          assertClose(t.grad, expected(fx.grads, `input:${key}`), atol, rtol, `${name} grad input:${key}`);
        }
        for (const [key, p] of mha.namedParameters()) {
          assert.ok(p.grad, `${name}: no gradient for ${key}`);
          assertClose(p.grad, expected(fx.grads, `param:${key}`), atol, rtol, `${name} grad param:${key}`);
        }
      });
    }
  }

  it("has PyTorch's parameter names, shapes and initialisation", () => {
    const names = (m: MultiHeadAttention): string[] =>
      m.namedParameters().map(([n, p]) => `${n} [${p.shape}]`);
    const packed = new MultiHeadAttention(8, 2);
    assert.deepEqual(names(packed), [
      'in_proj_weight [24,8]',
      'in_proj_bias [24]',
      'out_proj.weight [8,8]',
      'out_proj.bias [8]',
    ]);
    assert.deepEqual(names(new MultiHeadAttention(8, 2, { kdim: 6, vdim: 7 })), [
      'q_proj_weight [8,8]',
      'k_proj_weight [8,6]',
      'v_proj_weight [8,7]',
      'in_proj_bias [24]',
      'out_proj.weight [8,8]',
      'out_proj.bias [8]',
    ]);
    assert.deepEqual(names(new MultiHeadAttention(8, 2, { bias: false })), [
      'in_proj_weight [24,8]',
      'out_proj.weight [8,8]',
    ]);
    // Xavier-uniform in_proj_weight [3E, E]: U(±√(6 / (E + 3E))); zero biases; out_proj as nn.Linear.
    const w = packed.inProjWeight;
    assert.ok(w);
    const bound = Math.sqrt(6 / 32);
    assert.ok(w.data.every((x) => Math.abs(x) <= bound));
    assert.ok(Math.max(...w.data.map(Math.abs)) > 0.8 * bound);
    assert.ok(packed.inProjBias?.data.every((x) => x === 0));
    assert.ok(packed.outProj.bias?.data.every((x) => x === 0));
    assert.ok(packed.outProj.weight.data.every((x) => Math.abs(x) <= 1 / Math.sqrt(8)));
  });

  it('keyPaddingMask equals the equivalent boolean mask; a Mask argument is the mask option', () => {
    const mha = new MultiHeadAttention(6, 3);
    const q = rand32([2, 4, 6], 1);
    const kv = rand32([2, 5, 6], 2);
    const padding = Mask.from([
      [0, 0, 0, 1, 1],
      [0, 0, 0, 0, 0],
    ]);
    const allowed = new Mask(new Uint8Array(2 * 4 * 5), [2, 4, 5]);
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 5; j++) allowed.data[(b * 4 + i) * 5 + j] = padding.data[b * 5 + j] ? 0 : 1;
      }
    }
    const a = mha.forward(q, kv, kv, { keyPaddingMask: padding });
    const b = mha.forward(q, kv, kv, { mask: allowed });
    const c = mha.forward(q, kv, kv, allowed);
    assertClose(a.context, b.context, 1e-7, 1e-6);
    assertClose(a.weights, b.weights, 1e-7, 1e-6);
    assertClose(c.context, b.context, 0, 0);
    assert.ok(slice(slice(a.weights, 0, 0, 1), 2, 3).data.every((x) => x === 0));
    // A float [B, Tq, Tk] mask combined with the padding: the padding still applies, the bias adds.
    const bias = rand32([2, 4, 5], 3);
    const d = mha.forward(q, kv, kv, { keyPaddingMask: padding, mask: bias });
    const e = mha.forward(q, kv, kv, {
      mask: fromArray(
        Array.from(bias.data, (x, i) => (allowed.data[i] ? x : Number.NEGATIVE_INFINITY)),
        [2, 4, 5],
      ),
    });
    assertClose(d.context, e.context, 1e-7, 1e-6);
    assertClose(d.weights, e.weights, 1e-7, 1e-6);
  });

  it('causal: true equals an explicit lower-triangular mask (boolean and float −∞)', () => {
    const mha = new MultiHeadAttention(4, 2);
    const x = rand32([2, 5, 4], 3);
    const a = mha.forward(x, x, x, { causal: true });
    const b = mha.forward(x, x, x, { mask: causalMask(5, 5) });
    const minusInf = fromArray(
      Array.from(causalMask(5, 5).data, (v) => (v ? 0 : Number.NEGATIVE_INFINITY)),
      [5, 5],
    );
    const c = mha.forward(x, x, x, { mask: minusInf });
    assertClose(a.context, b.context, 0, 0);
    assertClose(a.weights, b.weights, 0, 0);
    assertClose(c.context, b.context, 1e-7, 1e-6);
    assertClose(c.weights, b.weights, 1e-7, 1e-6);
  });

  it('self-attention takes one packed projection; the result equals three separate ones', () => {
    const mha = new MultiHeadAttention(4, 2);
    const x = rand32([2, 3, 4], 4);
    const copy = fromArray(x.data, x.shape);
    const seed = rand32([2, 3, 4], 5);
    const a = mha.forward(x, x, x);
    sum(mul(a.context, seed)).backward();
    const gradA = mha.parameters().map((p) => p.grad);
    mha.zeroGrad();
    const b = mha.forward(x, copy, fromArray(x.data, x.shape));
    sum(mul(b.context, seed)).backward();
    assertClose(a.context, b.context, 1e-6, 1e-5);
    mha.parameters().forEach((p, i) => {
      const g = gradA[i];
      assert.ok(g && p.grad);
      assertClose(p.grad, g, 1e-6, 1e-5, `parameter ${i}`);
    });
  });

  it('per-head weights [B, H, Tq, Tk] average to the default weights; needWeights: false gives null', () => {
    const mha = new MultiHeadAttention(6, 2, { kdim: 3, vdim: 5 });
    const q = rand32([2, 4, 6], 6);
    const k = rand32([2, 3, 3], 7);
    const v = rand32([2, 3, 5], 8);
    const perHead = mha.forward(q, k, v, { averageWeights: false });
    assert.deepEqual(perHead.weights.shape, [2, 2, 4, 3]);
    assertClose(mean(perHead.weights, 1), mha.forward(q, k, v).weights, 1e-7, 1e-6);
    const none = mha.forward(q, k, v, { needWeights: false });
    assert.equal(none.weights, null);
    // Without weights the fused flashAttention op runs: equal up to float32 rounding.
    assertClose(none.context, perHead.context);
  });

  it('a query with every key masked: zero weights, output = out_proj.bias, finite gradients (PyTorch: NaN)', () => {
    const mha = new MultiHeadAttention(4, 2);
    mha.outProj.bias?.data.set([0.1, -0.2, 0.3, -0.4]);
    const q = rand32([2, 3, 4], 9).requireGrad();
    const kv = rand32([2, 5, 4], 10).requireGrad();
    const r = mha.forward(q, kv, kv, {
      keyPaddingMask: Mask.from([
        [0, 0, 1, 0, 0],
        [1, 1, 1, 1, 1],
      ]),
    });
    assert.ok(slice(r.weights, 0, 1, 2).data.every((x) => x === 0));
    assertClose(
      slice(r.context, 0, 1, 2),
      fromArray([0.1, -0.2, 0.3, -0.4, 0.1, -0.2, 0.3, -0.4, 0.1, -0.2, 0.3, -0.4], [1, 3, 4]),
      1e-7,
      1e-6,
    );
    add(sum(mul(r.context, rand32([2, 3, 4], 11))), sum(mul(r.weights, rand32([2, 3, 5], 12)))).backward();
    for (const t of [q, kv, ...mha.parameters()]) assert.ok(t.grad?.data.every(Number.isFinite));
  });

  it('dropout applies in training mode only and leaves the returned weights as the softmax', () => {
    const mha = new MultiHeadAttention(4, 2, { dropout: 0.5 });
    const x = rand32([2, 6, 4], 13);
    const evalOut = mha.eval().forward(x, x, x);
    const trainOut = mha.train().forward(x, x, x);
    // Training runs the composed ops (dropout), eval flashAttentionWithWeights: equal weights
    // up to float32 rounding (dropout would zero or double them).
    assertClose(trainOut.weights, evalOut.weights, 1e-7, 1e-6);
    assert.ok(trainOut.context.data.some((v, i) => Math.abs(v - evalOut.context.data[i]) > 1e-4));
  });

  it('gradients: inputs and every parameter (kdim ≠ vdim ≠ E, padding, causal, per head)', () => {
    checkModule(
      backend,
      (init) => new MultiHeadAttention(4, 2, { kdim: 3, vdim: 5 }, init),
      (m, q, k, v) => {
        const r = m.forward(q, k, v, {
          keyPaddingMask: Mask.from([
            [0, 0, 0, 1],
            [1, 1, 1, 1],
          ]),
          causal: true,
          averageWeights: false,
        });
        return [r.context, r.weights];
      },
      [randomTensor([2, 3, 4], 14), randomTensor([2, 4, 3], 15), randomTensor([2, 4, 5], 16)],
    );
    checkModule(
      backend,
      (init) => new MultiHeadAttention(4, 2, {}, init),
      (m, x) => {
        const r = m.forward(x, x, x, { mask: causalMask(3, 3) });
        return [r.context, r.weights];
      },
      [randomTensor([2, 3, 4], 17)],
    );
  });

  it('shape errors name the module and the shapes', () => {
    assert.throws(() => new MultiHeadAttention(10, 3), {
      name: 'HeedError',
      message: 'MultiHeadAttention: embedDim 10 is not divisible by numHeads 3',
    });
    const mha = new MultiHeadAttention(8, 2);
    const x = rand32([2, 4, 8], 1);
    assert.throws(() => mha.forward(rand32([2, 4, 7], 2), x, x), {
      name: 'ShapeError',
      message:
        /MultiHeadAttention\(8, 2\): expected query \[B, Tq, 8\], key \[B, Tk, 8\], value \[B, Tk, 8\]; got \[2, 4, 7\], \[2, 4, 8\], \[2, 4, 8\]/,
    });
    assert.throws(() => mha.forward(x, x, x, { keyPaddingMask: Mask.from([[0, 0, 0]]) }), {
      message: /MultiHeadAttention\(8, 2\): keyPaddingMask \[1, 3\] must be \[B, Tk\] = \[2, 4\]/,
    });
    assert.throws(() => mha.forward(x, x, x, { mask: causalMask(4, 3) }), {
      message: /MultiHeadAttention\(8, 2\): mask \[4, 3\] does not broadcast against the scores \[4, 4\]/,
    });
  });
});
