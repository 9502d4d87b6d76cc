import type { Module } from '../nn/module.js';
import { add, mul } from '../ops/binary.js';
import { sum } from '../ops/reduce.js';
import type { Mask } from '../tensor/mask.js';
import type { Tensor } from '../tensor/tensor.js';
import { type Fixture, storedInts, storedMask, storedTensor } from './fixtures.js';
import { assertClose } from './gradcheck.js';

/** What a golden test's forward receives, decoded from the fixture. */
export interface GoldenInputs {
  inputs: Record<string, Tensor>;
  ints: Record<string, Int32Array>;
  masks: Record<string, Mask>;
}

/**
 * Runs a PyTorch golden case: loads the fixture's parameters into `module` (when given), runs
 * `forward` on the fixture's inputs (float inputs require gradients), backpropagates
 * L = Σ_outputs Σ output ⊙ seedGrad, and compares every output and every input and parameter
 * gradient the fixture holds, to `rtol` relative (float32 against float64 PyTorch).
 */
export function runGolden(
  fx: Fixture,
  module: Module | null,
  forward: (x: GoldenInputs) => Record<string, Tensor>,
  tol: { atol?: number; rtol?: number } = {},
): void {
  const atol = tol.atol ?? 1e-5;
  const rtol = tol.rtol ?? 1e-4;
  if (module) {
    module.loadStateDict(new Map(Object.entries(fx.params).map(([k, v]) => [k, storedTensor(v)])));
  }
  const inputs = Object.fromEntries(
    Object.entries(fx.inputs).map(([k, v]) => [k, storedTensor(v, 'float32', true)]),
  );
  const ints = Object.fromEntries(Object.entries(fx.intInputs ?? {}).map(([k, v]) => [k, storedInts(v)]));
  const masks = Object.fromEntries(Object.entries(fx.masks ?? {}).map(([k, v]) => [k, storedMask(v)]));
  const outputs = forward({ inputs, ints, masks });
  let loss: Tensor | null = null;
  for (const [name, expected] of Object.entries(fx.outputs)) {
    const got = outputs[name];
    if (got === undefined) throw new Error(`${fx.case}: forward did not return output '${name}'`);
    assertClose(got, storedTensor(expected, 'float64'), atol, rtol, `${fx.case} output ${name}`);
    const seed = fx.seedGrads[name];
    if (seed !== undefined) {
      const term = sum(mul(got, storedTensor(seed)));
      loss = loss === null ? term : add(loss, term);
    }
  }
  if (loss === null || !loss.requiresGrad) return;
  loss.backward();
  const params = new Map(module ? module.namedParameters() : []);
  for (const [key, expected] of Object.entries(fx.grads)) {
    const [kind, name] = key.split(':', 2);
    const t = kind === 'input' ? inputs[name] : params.get(name);
    if (t === undefined) throw new Error(`${fx.case}: no ${kind} named '${name}' to compare the gradient of`);
    if (t.grad === null) throw new Error(`${fx.case}: ${key} received no gradient`);
    assertClose(t.grad, storedTensor(expected, 'float64'), atol, rtol, `${fx.case} gradient ${key}`);
  }
}
