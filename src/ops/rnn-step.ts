import { attach } from '../autograd/engine.js';
import type { Backend, FloatArray } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import { allocate, type DType, Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../util/errors.js';
import { asDType } from './broadcast.js';
import { gemm2d } from './gemm-call.js';
import { attachOutputs } from './multi-output.js';

/**
 * One recurrent step as a single autograd node: the fused counterparts of the composed
 * `rnnStep`, `lstmStep` and `gruStep` (src/nn/rnn/steps.ts), with the same signatures, gate
 * orders (PyTorch's) and results. Those compositions stay as the reference; the tests hold
 * these to them forward and backward.
 *
 * Forward: the recurrent projection h·W_hhᵀ (+ b_hh) is one GEMM accumulated onto xProj (one
 * GEMM into a buffer prefilled with b_hh for a GRU, whose x- and h-parts must stay apart), then
 * one backend kernel does every gate nonlinearity and state update. Backward: one kernel turns
 * the output gradients into the gradient of the pre-activations, then
 *   d xProj = d gates,  dh = d gates · W_hh,  dW_hh = d gatesᵀ · h,  db_hh = Σ_batch d gates.
 * A composed LSTM step records 17 nodes and as many [B, H]-sized intermediates; this records one
 * (plus the two output handles of an LSTM's h' and c', see attachOutputs).
 */

/** The two outputs of an LSTM step. */
export interface LstmCellOutput {
  h: Tensor;
  c: Tensor;
}

/** The pointwise nonlinearity of a plain RNN step. */
export type RnnActivation = 'tanh' | 'relu';

/** Checked sizes of one step. */
interface StepDims {
  batch: number;
  hidden: number;
  /** gates · hidden: the width of xProj and the rows of W_hh. */
  width: number;
  dtype: DType;
}

/**
 * Validates xProj [B, G·H], h (and c) [B, H], weightHh [G·H, H] and biasHh [G·H]; all float
 * tensors run in the widest dtype among them.
 */
function checkStep(
  op: string,
  gates: number,
  xProj: Tensor,
  h: Tensor,
  weightHh: Tensor,
  biasHh: Tensor | null,
  c: Tensor | null,
): StepDims {
  if (h.ndim !== 2) throw new ShapeError(`${op}: h has shape ${fmtShape(h.shape)}, expected [B, H]`);
  const [batch, hidden] = h.shape;
  const width = gates * hidden;
  const expect = (name: string, t: Tensor, want: readonly number[]): void => {
    if (t.ndim !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new ShapeError(
        `${op}: ${name} has shape ${fmtShape(t.shape)}, expected ${fmtShape(want)} (h is ${fmtShape(h.shape)})`,
      );
    }
  };
  expect('xProj', xProj, [batch, width]);
  expect('weightHh', weightHh, [width, hidden]);
  if (biasHh !== null) expect('biasHh', biasHh, [width]);
  if (c !== null) expect('c', c, [batch, hidden]);
  const all = [xProj, h, weightHh, biasHh, c];
  const dtype = all.some((t) => t !== null && t.dtype === 'float64') ? 'float64' : 'float32';
  return { batch, hidden, width, dtype };
}

/**
 * The recurrent GEMM and bias of a step, shared by the three cells. Holds the step's inputs (for
 * requiresGrad and shapes) and their data in the step's dtype.
 */
class Projection {
  private readonly hData: FloatArray;
  private readonly wData: FloatArray;
  private readonly bData: FloatArray | null;

  constructor(
    private readonly be: Backend,
    private readonly dims: StepDims,
    private readonly h: Tensor,
    private readonly weightHh: Tensor,
    private readonly biasHh: Tensor | null,
  ) {
    this.hData = asDType(h, dims.dtype).data;
    this.wData = asDType(weightHh, dims.dtype).data;
    this.bData = biasHh === null ? null : asDType(biasHh, dims.dtype).data;
  }

  /**
   * base + b_hh + h·W_hhᵀ as a fresh [B, G·H] buffer; `base` (xProj) may be null. The sum is
   * built in place: copy base (or broadcast the bias), add the bias, then a GEMM with beta = 1.
   */
  forward(base: Tensor | null): FloatArray {
    const { batch, hidden, width, dtype } = this.dims;
    const out = allocate(dtype, batch * width);
    let beta = 0;
    if (base !== null) {
      out.set(base.data);
      beta = 1;
      if (this.bData !== null) {
        this.be.binary('add', out, [batch, width], this.bData, [1, width], out, [batch, width]);
      }
    } else if (this.bData !== null) {
      const bias = { data: this.bData, offset: 0, strides: [0, 1] };
      this.be.copy([batch, width], bias, { data: out, offset: 0, strides: [width, 1] });
      beta = 1;
    }
    gemm2d(this.be, this.hData, this.wData, out, batch, width, hidden, false, true, beta);
    return out;
  }

  /**
   * Gradients of h, W_hh and b_hh from the gradient `dz` [B, G·H] of base + b_hh + h·W_hhᵀ.
   * `dhInto` (a [B, H] buffer already holding another path's dh) is accumulated into when given.
   */
  backward(
    dz: FloatArray,
    dhInto: FloatArray | null,
  ): { dh: FloatArray | null; dw: Tensor | null; db: Tensor | null } {
    const { batch, hidden, width, dtype } = this.dims;
    let dh: FloatArray | null = null;
    if (this.h.requiresGrad) {
      dh = dhInto ?? allocate(dtype, batch * hidden);
      // [B, G·H] · [G·H, H] → [B, H]
      gemm2d(this.be, dz, this.wData, dh, batch, hidden, width, false, false, dhInto === null ? 0 : 1);
    }
    let dw: Tensor | null = null;
    if (this.weightHh.requiresGrad) {
      const buf = allocate(dtype, width * hidden);
      // [B, G·H]ᵀ · [B, H] → [G·H, H]
      gemm2d(this.be, dz, this.hData, buf, width, hidden, batch, true, false, 0);
      dw = new Tensor(buf, this.weightHh.shape);
    }
    let db: Tensor | null = null;
    if (this.biasHh?.requiresGrad) {
      const buf = allocate(dtype, width);
      this.be.reduce('sum', dz, 1, batch, width, buf);
      db = new Tensor(buf, this.biasHh.shape);
    }
    return { dh, dw, db };
  }
}

/** An input gradient handed back in the input's own dtype (null when not needed). */
function gradFor(input: Tensor | null, g: Tensor | null): Tensor | null {
  if (input === null || g === null || !input.requiresGrad) return null;
  return asDType(g, input.dtype);
}

/**
 * Elman RNN step, h' = act(xProj + h·W_hhᵀ + b_hh), as one node (the nonlinearity and its
 * gradient are the backend's unary kernels). Shapes as `rnnStep`: xProj [B, H], h [B, H],
 * weightHh [H, H], biasHh [H] → h' [B, H].
 */
export function rnnCellFused(
  xProj: Tensor,
  h: Tensor,
  weightHh: Tensor,
  biasHh: Tensor | null,
  nonlinearity: RnnActivation = 'tanh',
): Tensor {
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
    throw new HeedError(`rnnCellFused: nonlinearity must be 'tanh' or 'relu', got '${String(nonlinearity)}'`);
  }
  const dims = checkStep('rnnCellFused', 1, xProj, h, weightHh, biasHh, null);
  const { batch, hidden, dtype } = dims;
  const be = backendFor(dtype);
  const proj = new Projection(be, dims, h, weightHh, biasHh);
  const y = proj.forward(asDType(xProj, dtype)); // [B, H] pre-activations, then h'
  be.unary(nonlinearity, y, y);
  const inputs = biasHh === null ? [xProj, h, weightHh] : [xProj, h, weightHh, biasHh];
  // Saves h' only: tanh' = 1 − h'², and relu' = [z > 0] = [h' > 0].
  return attach(new Tensor(y, [batch, hidden]), 'rnnCellFused', inputs, (g) => {
    const dz = allocate(dtype, batch * hidden);
    be.unaryBackward(nonlinearity, y, y, asDType(g, dtype).data, dz);
    const { dh, dw, db } = proj.backward(dz, null);
    const dzT = new Tensor(dz, [batch, hidden]);
    return [
      gradFor(xProj, dzT),
      gradFor(h, dh && new Tensor(dh, h.shape)),
      gradFor(weightHh, dw),
      gradFor(biasHh, db),
    ];
  });
}

/**
 * LSTM step (gates [i, f, g, o]) as one node:
 *   i, f, o = σ(·), g = tanh(·),  c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c').
 * Shapes as `lstmStep`: xProj [B, 4H], h and c [B, H], weightHh [4H, H], biasHh [4H] → { h', c' }.
 */
export function lstmCellFused(
  xProj: Tensor,
  h: Tensor,
  c: Tensor,
  weightHh: Tensor,
  biasHh: Tensor | null,
): LstmCellOutput {
  const dims = checkStep('lstmCellFused', 4, xProj, h, weightHh, biasHh, c);
  const { batch, hidden, width, dtype } = dims;
  const be = backendFor(dtype);
  const cells = batch * hidden;
  const cd = asDType(c, dtype);
  const proj = new Projection(be, dims, h, weightHh, biasHh);
  // Saved for the backward: the gate activations (written over the pre-activations), c, tanh(c').
  const act = proj.forward(asDType(xProj, dtype)); // [B, 4H]
  const cNext = allocate(dtype, cells);
  const tanhC = allocate(dtype, cells);
  const hNext = allocate(dtype, cells);
  be.lstmCellForward(act, cd.data, batch, hidden, act, cNext, tanhC, hNext);
  const outs: [Tensor, Tensor] = [new Tensor(hNext, h.shape), new Tensor(cNext, h.shape)];
  const inputs = biasHh === null ? [xProj, h, c, weightHh] : [xProj, h, c, weightHh, biasHh];
  const [hOut, cOut] = attachOutputs('lstmCellFused', outs, ['h', 'c'], inputs, ([gh, gc]) => {
    // An output no gradient reached (often the last step's c') contributes zeros.
    const dhNext = gh === null ? allocate(dtype, cells) : asDType(gh, dtype).data;
    const dcNext = gc === null ? allocate(dtype, cells) : asDType(gc, dtype).data;
    const dGates = allocate(dtype, batch * width);
    const dc = allocate(dtype, cells);
    be.lstmCellBackward(act, cd.data, tanhC, dhNext, dcNext, batch, hidden, dGates, dc);
    const { dh, dw, db } = proj.backward(dGates, null);
    return [
      gradFor(xProj, new Tensor(dGates, [batch, width])),
      gradFor(h, dh && new Tensor(dh, h.shape)),
      gradFor(c, new Tensor(dc, c.shape)),
      gradFor(weightHh, dw),
      gradFor(biasHh, db),
    ];
  });
  return { h: hOut, c: cOut };
}

/**
 * GRU step (gates [r, z, n], PyTorch's variant) as one node:
 *   r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r ⊙ (W_hn·h + b_hn)),  h' = n + z ⊙ (h − n).
 * Shapes as `gruStep`: xProj [B, 3H] (with b_ih), h [B, H], weightHh [3H, H], biasHh [3H] → h'.
 */
export function gruCellFused(xProj: Tensor, h: Tensor, weightHh: Tensor, biasHh: Tensor | null): Tensor {
  const dims = checkStep('gruCellFused', 3, xProj, h, weightHh, biasHh, null);
  const { batch, hidden, width, dtype } = dims;
  const be = backendFor(dtype);
  const xd = asDType(xProj, dtype);
  const hd = asDType(h, dtype);
  const proj = new Projection(be, dims, h, weightHh, biasHh);
  // r multiplies only the hidden part of n, so h·W_hhᵀ + b_hh stays apart from xProj.
  const hProj = proj.forward(null); // [B, 3H]
  const act = allocate(dtype, batch * width); // [r | z | n]
  const hNext = allocate(dtype, batch * hidden);
  be.gruCellForward(xd.data, hProj, hd.data, batch, hidden, act, hNext);
  const inputs = biasHh === null ? [xProj, h, weightHh] : [xProj, h, weightHh, biasHh];
  return attach(new Tensor(hNext, h.shape), 'gruCellFused', inputs, (g) => {
    const dxProj = allocate(dtype, batch * width);
    const dhProj = allocate(dtype, batch * width);
    const dhDirect = allocate(dtype, batch * hidden);
    be.gruCellBackward(act, hProj, hd.data, asDType(g, dtype).data, batch, hidden, dxProj, dhProj, dhDirect);
    // dh = dh' ⊙ z (direct path) + d hProj · W_hh, accumulated in one GEMM.
    const { dh, dw, db } = proj.backward(dhProj, dhDirect);
    return [
      gradFor(xProj, new Tensor(dxProj, [batch, width])),
      gradFor(h, dh && new Tensor(dh, h.shape)),
      gradFor(weightHh, dw),
      gradFor(biasHh, db),
    ];
  });
}
