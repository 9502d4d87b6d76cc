import { attach } from '../autograd/engine.js';
import { backendFor } from '../backend/registry.js';
import { allocate, allocateUninit, Tensor } from '../tensor/tensor.js';
import { fmtShape, ShapeError } from '../util/errors.js';
import { asDType, promote } from './broadcast.js';
import { gemm2d } from './gemm-call.js';

/**
 * y = x·Wᵀ + b as one node (PyTorch's F.linear / addmm): x [..., in], weight [out, in],
 * bias [out] or null → [..., out]. The same function as `add(matmul(x, weight, { transB: true }),
 * bias)`, which stays the reference, without the second [..., out] array and its pass: the bias
 * is broadcast into the output and one GEMM adds x·Wᵀ onto it (beta = 1).
 *
 * Backward, with the leading axes of x flattened into N rows:
 *   dx = G·W [N, in],  dW = Gᵀ·x [out, in],  db = Σ_rows G [out].
 * Saves x and W (the op's inputs).
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const inF = weight.shape[1];
  const outF = weight.shape[0];
  if (
    x.ndim < 1 ||
    weight.ndim !== 2 ||
    x.shape[x.ndim - 1] !== inF ||
    (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outF))
  ) {
    const b = bias === null ? '' : `, bias ${fmtShape(bias.shape)}`;
    throw new ShapeError(
      `linear: expected x [..., in], weight [out, in], bias [out]; got x ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)}${b}`,
    );
  }
  const dtype = promote(promote(x.dtype, weight.dtype), bias?.dtype ?? x.dtype);
  const be = backendFor(dtype);
  const rows = inF === 0 ? x.size : x.size / inF;
  const xd = asDType(x, dtype).data;
  const wd = asDType(weight, dtype).data;
  const out = allocateUninit(dtype, rows * outF); // the bias rows, or beta 0, write all of it
  let beta = 0;
  if (bias !== null && rows > 0) {
    const b = { data: asDType(bias, dtype).data, offset: 0, strides: [0, 1] };
    be.copy([rows, outF], b, { data: out, offset: 0, strides: [outF, 1] });
    beta = 1;
  }
  gemm2d(be, xd, wd, out, rows, outF, inF, false, true, beta); // [N, in] · [out, in]ᵀ
  const y = new Tensor(out, [...x.shape.slice(0, -1), outF]);
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  return attach(y, 'linear', inputs, (g) => {
    const gd = asDType(g, dtype).data;
    let gx: Tensor | null = null;
    let gw: Tensor | null = null;
    let gb: Tensor | null = null;
    if (x.requiresGrad) {
      const buf = allocateUninit(dtype, rows * inF);
      gemm2d(be, gd, wd, buf, rows, inF, outF, false, false, 0); // [N, out] · [out, in]
      gx = asDType(new Tensor(buf, x.shape), x.dtype);
    }
    if (weight.requiresGrad) {
      const buf = allocateUninit(dtype, outF * inF);
      gemm2d(be, gd, xd, buf, outF, inF, rows, true, false, 0); // [N, out]ᵀ · [N, in]
      gw = asDType(new Tensor(buf, weight.shape), weight.dtype);
    }
    if (bias?.requiresGrad) {
      const buf = allocate(dtype, outF);
      be.reduce('sum', gd, 1, rows, outF, buf);
      gb = asDType(new Tensor(buf, bias.shape), bias.dtype);
    }
    return [gx, gw, gb];
  });
}
