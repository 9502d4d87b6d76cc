import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadAddon } from '../backend/native/addon.js';
import { withBackend } from '../backend/registry.js';
import { LayerNorm, layerNormComposed, setFusedLayerNorm } from '../nn/layernorm.js';
import type { Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import {
  agreesWithReference,
  assertClose,
  checkOp,
  type OpFn,
  randomTensor,
  valueAndGrads,
} from '../testing/gradcheck.js';
import { ShapeError } from '../util/errors.js';
import { fromArray } from './creation.js';
import { layerNorm } from './layer-norm.js';

/**
 * The fused layer norm against the composition it replaces (layerNormComposed in
 * src/nn/layernorm.ts): equal forward and backward (float64 on js to 1e-10; float32 on native
 * against the float64 composed reference on js), finite-difference gradient checks, every
 * affine variant, SIMD tails and threaded sizes, and the modules run both ways.
 */

type Affine = 'weight and bias' | 'weight only' | 'bias only' | 'no affine';
const AFFINE: readonly Affine[] = ['weight and bias', 'weight only', 'bias only', 'no affine'];

/** The op under test as an OpFn over [x, (weight), (bias)]. */
function asOp(affine: Affine, fn: typeof layerNorm, eps = 1e-5): OpFn {
  return (...xs) => {
    const [x, ...rest] = xs;
    const weight = affine === 'weight and bias' || affine === 'weight only' ? (rest.shift() ?? null) : null;
    const bias = affine === 'weight and bias' || affine === 'bias only' ? (rest.shift() ?? null) : null;
    return fn(x, weight, bias, eps);
  };
}

/**
 * x [..., D] shifted by `offset` (so the mean is far from 0), and γ, β [D]. x is rounded to
 * float32 values, so the float32 run and the float64 reference see the same input even where
 * the offset leaves float32 few digits for the spread.
 */
function inputs(shape: readonly number[], affine: Affine, seed: number, offset = 0): Tensor[] {
  const d = shape[shape.length - 1];
  const x = randomTensor(shape, seed, -2, 2);
  const shifted = fromArray(
    x.data.map((v) => Math.fround(v + offset)),
    shape,
    { dtype: 'float64' },
  );
  const out = [shifted];
  if (affine === 'weight and bias' || affine === 'weight only')
    out.push(randomTensor([d], seed + 1, 0.5, 1.5));
  if (affine === 'weight and bias' || affine === 'bias only') out.push(randomTensor([d], seed + 2, -1, 1));
  return out;
}

/**
 * Fused equals composed: on js both in float64 to 1e-10; on native the float32 fused op against
 * the float64 composed reference on js, and against its own float64 js run.
 */
function assertMatchesComposed(backend: string, affine: Affine, xs: readonly Tensor[], eps = 1e-5): void {
  const fused = asOp(affine, layerNorm, eps);
  const composed = asOp(affine, layerNormComposed, eps);
  if (backend === 'js') {
    const got = valueAndGrads(fused, xs, 'float64');
    const ref = valueAndGrads(composed, xs, 'float64');
    assertClose(got.out, ref.out, 1e-10, 1e-10, 'output');
    ref.grads.forEach((r, i) => {
      const g = got.grads[i];
      assert.ok(g !== null && r !== null, `gradient ${i} present`);
      assertClose(g, r, 1e-10, 1e-10, `gradient of input ${i}`);
    });
    return;
  }
  const ref = withBackend('js', () => valueAndGrads(composed, xs, 'float64'));
  const got = valueAndGrads(fused, xs, 'float32');
  assert.equal(got.out.dtype, 'float32');
  assertClose(got.out, ref.out, 1e-5, 1e-4, 'output');
  ref.grads.forEach((r, i) => {
    const g = got.grads[i];
    assert.ok(g !== null && r !== null, `gradient ${i} present`);
    assertClose(g, r, 1e-5, 1e-4, `gradient of input ${i}`);
  });
  agreesWithReference(fused, xs);
}

describeEachBackend('layerNorm (fused) equals layerNormComposed', (backend) => {
  // [7, 129] and [5, 17] leave partial SIMD vectors; [300, 96] runs threaded on native.
  const shapes: readonly number[][] = [
    [1, 1],
    [3, 5],
    [2, 3, 8],
    [5, 17],
    [7, 129],
    [300, 96],
  ];
  for (const affine of AFFINE) {
    it(`${affine}: forward and every gradient on ${shapes.map((s) => `[${s}]`).join(' ')}`, () => {
      shapes.forEach((shape, k) => {
        try {
          assertMatchesComposed(backend, affine, inputs(shape, affine, 40 + k));
        } catch (e) {
          throw new Error(`[${shape}]: ${(e as Error).message}`);
        }
      });
    });

    it(`${affine}: finite-difference gradient check`, () => {
      checkOp(backend, asOp(affine, layerNorm), inputs([3, 7], affine, 50));
      checkOp(backend, asOp(affine, layerNorm, 0.1), inputs([2, 2, 5], affine, 51));
    });
  }

  it('rows far from zero (mean 1000 ≫ spread): the variance is taken about the mean', () => {
    assertMatchesComposed(backend, 'weight and bias', inputs([4, 33], 'weight and bias', 60, 1000));
  });

  it('a constant row normalises to β exactly, and so does D = 1 (σ² = 0, r = 1/√ε)', () => {
    const beta = fromArray([0.5, -1], [2]);
    assert.deepEqual([...layerNorm(fromArray([3, 3, -7, -7], [2, 2]), null, beta).data], [0.5, -1, 0.5, -1]);
    const [, w, b] = inputs([1], 'weight and bias', 61);
    assertMatchesComposed(backend, 'weight and bias', [
      fromArray([1, 2, 3], [3, 1], { dtype: 'float64' }),
      w,
      b,
    ]);
  });

  it('an empty batch gives an empty result and zero γ, β gradients', () => {
    const w = fromArray([1, 2, 3, 4], [4], { requiresGrad: true });
    const b = fromArray([0, 0, 0, 0], [4], { requiresGrad: true });
    const x = fromArray([], [0, 4], { requiresGrad: true });
    const y = layerNorm(x, w, b);
    assert.deepEqual(y.shape, [0, 4]);
    y.backward(fromArray([], [0, 4]));
    assert.deepEqual([...(w.grad?.data ?? [])], [0, 0, 0, 0]);
    assert.deepEqual([...(b.grad?.data ?? [])], [0, 0, 0, 0]);
  });

  it('float64 γ with float32 x runs in float64 and hands each input its own dtype', () => {
    const x = fromArray([1, 2, 4, 8], [2, 2], { requiresGrad: true });
    const w = fromArray([1, 2], [2], { dtype: 'float64', requiresGrad: true });
    const y = layerNorm(x, w, null);
    assert.equal(y.dtype, 'float64');
    y.backward(fromArray([1, -1, 2, 0.5], [2, 2], { dtype: 'float64' }));
    assert.equal(x.grad?.dtype, 'float32');
    assert.equal(w.grad?.dtype, 'float64');
  });

  it('shape errors name the op and both shapes', () => {
    const x = fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.throws(
      () => layerNorm(x, fromArray([1, 1], [2]), null),
      (e: Error) =>
        e instanceof ShapeError &&
        /layerNorm: weight has shape \[2\], expected \[3\] \(x is \[2, 3\]\)/.test(e.message),
    );
    assert.throws(
      () => layerNorm(x, null, fromArray([1, 1, 1, 1], [2, 2])),
      /layerNorm: bias has shape \[2, 2\]/,
    );
  });

  if (backend === 'native') {
    it('the addon checks array lengths', () => {
      const ad = loadAddon();
      if (ad instanceof Error) throw ad;
      const x = new Float32Array(12);
      const stats = new Float32Array(3);
      assert.throws(
        () => ad.layerNormForward(x, new Float32Array(3), null, x, stats, stats, 3, 4, 1e-5),
        /heed native layerNormForward: 'weight' needs 4/,
      );
      assert.throws(
        () => ad.layerNormBackward(x, x, stats, new Float32Array(2), null, x, null, null, 3, 4),
        /heed native layerNormBackward: 'rstd' needs 3/,
      );
    });
  }

  it('LayerNorm runs the fused op by default and the composition after setFusedLayerNorm(false), with equal results', () => {
    const ln = new LayerNorm(24);
    ln.weight?.data.set(randomTensor([24], 70, 0.5, 1.5).data);
    ln.bias?.data.set(randomTensor([24], 71).data);
    const run = () => {
      const x = fromArray(randomTensor([2, 5, 24], 72, -3, 3).data, [2, 5, 24], { requiresGrad: true });
      for (const p of ln.parameters()) p.grad = null;
      const y = ln.forward(x);
      y.backward(fromArray(randomTensor([2, 5, 24], 73).data, [2, 5, 24]));
      return { y, name: y.gradFn?.name, grads: [x.grad, ...ln.parameters().map((p) => p.grad)] };
    };
    const fused = run();
    setFusedLayerNorm(false);
    let composed: ReturnType<typeof run>;
    try {
      composed = run();
    } finally {
      setFusedLayerNorm(true);
    }
    assert.equal(fused.name, 'layerNorm');
    assert.notEqual(composed.name, 'layerNorm');
    assertClose(fused.y, composed.y, 1e-5, 1e-4, 'output');
    fused.grads.forEach((g, i) => {
      const r = composed.grads[i];
      assert.ok(g && r, `gradient ${i}`);
      assertClose(g, r, 1e-5, 1e-4, `gradient ${i}`);
    });
  });
});
