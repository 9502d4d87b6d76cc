import { attach } from '../autograd/engine.js';
import { backendFor } from '../backend/registry.js';
import { allocate, allocateUninit, type DType, Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../util/errors.js';
import { asDType } from './broadcast.js';

/**
 * Layer normalisation over the last axis (Ba et al. 2016) as one node, the fused counterpart
 * of `layerNormComposed` (src/nn/layernorm.ts, about eight ops), which stays the reference the
 * tests hold this to, forward and backward:
 *   μ = mean(x), σ² = mean((x − μ)²) (biased), r = 1/√(σ² + ε),  y = (x − μ)·r ⊙ γ + β.
 * x [..., D], weight γ [D] and bias β [D] (either may be null) → y [..., D]; float tensors run
 * in the widest dtype among them.
 *
 * The forward saves only the row statistics μ and r [rows] (the composition keeps four
 * [..., D] intermediates); the backward is one kernel: with x̂ = (x − μ)·r and ĝ = g ⊙ γ,
 *   dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)),  dγ = Σ_rows g ⊙ x̂,  dβ = Σ_rows g.
 */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  if (x.ndim < 1) throw new ShapeError(`${op}: x must have at least one axis, got a scalar`);
  const cols = x.shape[x.ndim - 1];
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t !== null && (t.ndim !== 1 || t.shape[0] !== cols)) {
      throw new ShapeError(
        `${op}: ${name} has shape ${fmtShape(t.shape)}, expected [${cols}] (x is ${fmtShape(x.shape)})`,
      );
    }
  }
  if (!(eps >= 0)) throw new HeedError(`${op}: eps must be >= 0, got ${eps}`);
  const dtype: DType = [x, weight, bias].some((t) => t !== null && t.dtype === 'float64')
    ? 'float64'
    : 'float32';
  const rows = cols === 0 ? 0 : x.size / cols;
  const be = backendFor(dtype);
  const xd = asDType(x, dtype).data;
  const wd = weight === null ? null : asDType(weight, dtype).data;
  const bd = bias === null ? null : asDType(bias, dtype).data;
  const y = allocateUninit(dtype, x.size);
  const mean = allocate(dtype, rows);
  const rstd = allocate(dtype, rows);
  be.layerNormForward(xd, rows, cols, wd, bd, eps, y, mean, rstd);

  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  return attach(new Tensor(y, x.shape), op, inputs, (g) => {
    const dx = allocateUninit(dtype, x.size);
    const dw = weight?.requiresGrad ? allocate(dtype, cols) : null;
    const db = bias?.requiresGrad ? allocate(dtype, cols) : null;
    be.layerNormBackward(xd, asDType(g, dtype).data, mean, rstd, rows, cols, wd, dx, dw, db);
    const grads: (Tensor | null)[] = [x.requiresGrad ? asDType(new Tensor(dx, x.shape), x.dtype) : null];
    if (weight !== null) grads.push(dw === null ? null : asDType(new Tensor(dw, weight.shape), weight.dtype));
    if (bias !== null) grads.push(db === null ? null : asDType(new Tensor(db, bias.shape), bias.dtype));
    return grads;
  });
}
