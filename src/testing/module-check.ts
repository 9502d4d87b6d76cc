import assert from 'node:assert/strict';
import { noGrad } from '../autograd/engine.js';
import { withBackend } from '../backend/registry.js';
import type { InitOptions } from '../nn/init.js';
import type { Module } from '../nn/module.js';
import { add, mul } from '../ops/binary.js';
import { fromArray } from '../ops/creation.js';
import { sum } from '../ops/reduce.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { Generator } from '../util/random.js';
import { assertClose, type CheckOptions, leaf } from './gradcheck.js';

/**
 * `checkOp` for a module, covering the gradients of the parameters as well as of the
 * inputs, and several outputs at once (context and weights).
 *
 * `make(init)` builds the module (called with a seeded generator so two calls agree);
 * `fn(module, ...inputs)` runs it and returns its outputs. The loss is Σ_outputs Σ out ⊙ w with
 * fixed random w per output, so the weights' own gradient path is checked too.
 * On js: central finite differences in float64 against the analytic gradient. On native: the
 * float32 run agrees with the float64 js reference, outputs and every gradient.
 */
export function checkModule<M extends Module>(
  backend: string,
  make: (init: InitOptions) => M,
  fn: (m: M, ...inputs: Tensor[]) => Tensor[],
  inputs: readonly Tensor[],
  opts: CheckOptions & { moduleSeed?: number } = {},
): void {
  const build = (dtype: DType): M => make({ dtype, generator: new Generator(opts.moduleSeed ?? 11) });
  if (backend === 'js') {
    withBackend('js', () => finiteDifferences(build('float64'), fn, inputs, opts));
    return;
  }
  const ref64 = build('float64');
  const ref = withBackend('js', () => run(ref64, fn, inputs, 'float64', opts.seed));
  const m32 = build('float32');
  m32.loadStateDict(ref64.stateDict());
  const got = run(m32, fn, inputs, 'float32', opts.seed);
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-4;
  got.outs.forEach((o, i) => {
    assertClose(o, ref.outs[i], atol, rtol, `output ${i}`);
  });
  got.grads.forEach((g, i) => {
    assertClose(g, ref.grads[i], atol, rtol, `gradient of ${ref.names[i]}`);
  });
}

interface Run {
  outs: Tensor[];
  /** Gradients of the inputs then of the parameters (zeros where none arrived). */
  grads: Tensor[];
  names: string[];
  weights: Tensor[];
}

function seedWeights(outs: readonly Tensor[], seed: number): Tensor[] {
  const gen = new Generator(seed);
  return outs.map((o) =>
    fromArray(
      Array.from({ length: o.size }, () => gen.uniform() * 2 - 1),
      o.shape,
      { dtype: o.dtype },
    ),
  );
}

function lossOf(outs: readonly Tensor[], ws: readonly Tensor[]): Tensor {
  return outs.map((o, i) => sum(mul(o, ws[i]))).reduce((a, b) => add(a, b));
}

function run<M extends Module>(
  m: M,
  fn: (m: M, ...inputs: Tensor[]) => Tensor[],
  inputs: readonly Tensor[],
  dtype: DType,
  seed = 7,
): Run {
  const xs = inputs.map((x) => leaf(x, dtype));
  const outs = fn(m, ...xs);
  const weights = seedWeights(outs, seed);
  lossOf(outs, weights).backward();
  const params = m.namedParameters();
  const zero = (t: Tensor): Tensor => fromArray(new Float64Array(t.size), t.shape, { dtype: t.dtype });
  return {
    outs,
    grads: [...xs.map((x) => x.grad ?? zero(x)), ...params.map(([, p]) => p.grad ?? zero(p))],
    names: [...xs.map((_, i) => `input ${i}`), ...params.map(([n]) => `parameter ${n}`)],
    weights,
  };
}

function finiteDifferences<M extends Module>(
  m: M,
  fn: (m: M, ...inputs: Tensor[]) => Tensor[],
  inputs: readonly Tensor[],
  opts: CheckOptions,
): void {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const analytic = run(m, fn, inputs, 'float64', opts.seed);
  const xs = inputs.map((x) => fromArray(x.data, x.shape, { dtype: 'float64' }));
  const params = m.parameters();
  const lossAt = (): number => noGrad(() => lossOf(fn(m, ...xs), analytic.weights).item());
  const perturbed = [...xs, ...params];
  perturbed.forEach((t, i) => {
    for (let j = 0; j < t.size; j++) {
      const orig = t.data[j];
      t.data[j] = orig + eps;
      const up = lossAt();
      t.data[j] = orig - eps;
      const down = lossAt();
      t.data[j] = orig;
      const numeric = (up - down) / (2 * eps);
      const got = analytic.grads[i].data[j];
      const tol = atol + rtol * Math.abs(numeric);
      assert.ok(
        Math.abs(numeric - got) <= tol,
        `gradient of ${analytic.names[i]} at ${j}: analytic ${got}, numeric ${numeric} (tolerance ${tol})`,
      );
    }
  });
}
