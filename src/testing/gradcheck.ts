import assert from 'node:assert/strict';
import { withBackend } from '../backend/registry.js';
import { mul } from '../ops/binary.js';
import { fromArray } from '../ops/creation.js';
import { sum } from '../ops/reduce.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { Generator } from '../util/random.js';

/** An op under test: inputs in, one tensor out. */
export type OpFn = (...inputs: Tensor[]) => Tensor;

export interface CheckOptions {
  /** Finite-difference step (float64). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random projection that turns the output into a scalar. */
  seed?: number;
}

/** Copies a tensor into another dtype as a fresh leaf requiring gradients. */
export function leaf(x: Tensor, dtype: DType): Tensor {
  return fromArray(x.data, x.shape, { dtype, requiresGrad: true });
}

/**
 * Output and input gradients of Σ(fn(x) ⊙ w) for a fixed random w, so every output element
 * contributes with a different weight (a plain sum would hide errors that cancel).
 */
export function valueAndGrads(fn: OpFn, inputs: readonly Tensor[], dtype: DType, seed = 7) {
  const xs = inputs.map((x) => leaf(x, dtype));
  const out = fn(...xs);
  const gen = new Generator(seed);
  const w = fromArray(
    Array.from({ length: out.size }, () => gen.uniform() * 2 - 1),
    out.shape,
    { dtype: out.dtype },
  );
  const loss = sum(mul(out, w));
  loss.backward();
  return { out, loss, w, grads: xs.map((x) => x.grad) };
}

/**
 * Central finite differences in float64 on the js backend against the analytic gradient:
 * ∂L/∂xᵢ ≈ (L(x + εeᵢ) − L(x − εeᵢ)) / 2ε.
 */
export function gradCheck(fn: OpFn, inputs: readonly Tensor[], opts: CheckOptions = {}): void {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  withBackend('js', () => {
    const { grads, w } = valueAndGrads(fn, inputs, 'float64', opts.seed);
    const lossAt = (xs: Tensor[]): number => sum(mul(fn(...xs), w)).item();
    inputs.forEach((x, i) => {
      const g = grads[i];
      const base = inputs.map((t) => fromArray(t.data, t.shape, { dtype: 'float64' }));
      for (let j = 0; j < x.size; j++) {
        const orig = base[i].data[j];
        base[i].data[j] = orig + eps;
        const up = lossAt(base);
        base[i].data[j] = orig - eps;
        const down = lossAt(base);
        base[i].data[j] = orig;
        const numeric = (up - down) / (2 * eps);
        const analytic = g === null ? 0 : g.data[j];
        const tol = atol + rtol * Math.abs(numeric);
        assert.ok(
          Math.abs(numeric - analytic) <= tol,
          `gradient of input ${i} at ${j}: analytic ${analytic}, numeric ${numeric} (tolerance ${tol})`,
        );
      }
    });
  });
}

/**
 * The float32 result of `fn` on the active backend (native in the native suites) agrees with the
 * float64 js reference, forward and backward, to float32 rounding (`rtol`, default 1e-4).
 */
export function agreesWithReference(fn: OpFn, inputs: readonly Tensor[], opts: CheckOptions = {}): void {
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-4;
  const ref = withBackend('js', () => valueAndGrads(fn, inputs, 'float64', opts.seed));
  const got = valueAndGrads(fn, inputs, 'float32', opts.seed);
  assertClose(got.out, ref.out, atol, rtol, 'output');
  got.grads.forEach((g, i) => {
    const r = ref.grads[i];
    if (g === null || r === null) {
      assert.equal(g === null, r === null, `gradient ${i}: present on one side only`);
      return;
    }
    assertClose(g, r, atol, rtol, `gradient of input ${i}`);
  });
}

/** Elementwise |a − b| ≤ atol + rtol·|b|, with matching shapes; NaN equals NaN, ±∞ must match. */
export function assertClose(a: Tensor, b: Tensor, atol = 1e-5, rtol = 1e-4, what = 'tensor'): void {
  assert.deepEqual([...a.shape], [...b.shape], `${what}: shape ${a.shape} vs ${b.shape}`);
  for (let i = 0; i < a.size; i++) {
    const x = a.data[i];
    const y = b.data[i];
    if (Number.isNaN(y)) {
      assert.ok(Number.isNaN(x), `${what}[${i}]: got ${x}, expected NaN`);
      continue;
    }
    if (!Number.isFinite(y)) {
      assert.equal(x, y, `${what}[${i}]: got ${x}, expected ${y}`);
      continue;
    }
    assert.ok(Math.abs(x - y) <= atol + rtol * Math.abs(y), `${what}[${i}]: got ${x}, expected ${y}`);
  }
}

/** A seeded random tensor for tests (values in [lo, hi)). */
export function randomTensor(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor {
  const gen = new Generator(seed);
  const n = shape.reduce((p, v) => p * v, 1);
  return fromArray(
    Array.from({ length: n }, () => lo + (hi - lo) * gen.uniform()),
    shape,
    { dtype: 'float64' },
  );
}

/**
 * The check a test runs on each backend: on js the finite-difference gradient check in float64;
 * on native the float32 agreement with the float64 js reference.
 */
export function checkOp(backend: string, fn: OpFn, inputs: readonly Tensor[], opts: CheckOptions = {}): void {
  if (backend === 'js') gradCheck(fn, inputs, opts);
  else agreesWithReference(fn, inputs, opts);
}
