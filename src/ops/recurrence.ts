import type { Backend, FloatArray } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import { allocate, type DType, Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../util/errors.js';
import { asDType } from './broadcast.js';
import { gemmAt, PackedWeight } from './gemm-call.js';
import { attachOutputs } from './multi-output.js';
import type { RnnActivation } from './rnn-step.js';

/**
 * A whole recurrent layer in one direction as a single autograd node: the fused counterpart of
 * the input projection x·W_ihᵀ + b followed by `rnnStep`, `lstmStep` or `gruStep`
 * (src/nn/rnn/steps.ts) at every time step — `recurrenceComposed` there, which stays the
 * reference. Same gate orders (PyTorch's), same padding semantics, same results.
 *
 * The work is time-major inside: x is transposed once to [T, B, I] (the narrow side), so one GEMM
 * writes the input projection of every step as [T·B, G·H] onto its prefilled bias, and each
 * step's rows are contiguous. Per step the forward then runs one GEMM (h·W_hhᵀ accumulated onto
 * the step's projection, or into the GRU's separate hidden projection) and one cell kernel; the
 * backward one cell kernel and one GEMM (dz·W_hh accumulated onto the previous step's output
 * gradient). The weight gradients are one GEMM each over all steps,
 *   dW_ih = Σ_t dzₓ_tᵀ·x_t,   dW_hh = Σ_t dz_tᵀ·h_{t−1},   db = Σ_t Σ_batch dz_t,
 * where per-step nodes would allocate, sum and free a [G·H, H] gradient at every step.
 *
 * Saved (all time-major): x, the gate activations, the hidden states, and for an LSTM the cell
 * states and tanh(c); for a GRU the input and hidden projections.
 */

/** Which cell the recurrence runs (gates: rnn 1, lstm 4 [i, f, g, o], gru 3 [r, z, n]). */
export type RecurrenceKind = 'rnn' | 'lstm' | 'gru';

const gatesOf: Readonly<Record<RecurrenceKind, number>> = { rnn: 1, lstm: 4, gru: 3 };

/** The weights of one layer in one direction (PyTorch's weight_ih_l{k}[_reverse], …). */
export interface RecurrenceWeights {
  weightIh: Tensor; // [G·H, I]
  weightHh: Tensor; // [G·H, H]
  biasIh: Tensor | null; // [G·H]
  biasHh: Tensor | null; // [G·H]
}

export interface RecurrenceOptions {
  /** Nonlinearity of a plain RNN (default 'tanh'). */
  nonlinearity?: RnnActivation;
  /** Walk t = T−1 … 0 (the reverse direction of a bidirectional layer). */
  reverse?: boolean;
  /**
   * Real length of each sequence, integers in [0, T]. At a step t ≥ lengths[b] row b keeps its
   * state (h, and c for an LSTM) unchanged: the state after the sequence's last real step (or
   * before its first, in reverse), exactly as `where(live, next, state)` in the reference.
   */
  lengths?: ArrayLike<number>;
}

export interface RecurrenceResult {
  /** The state after each step, [B, T, H], indexed by time t. */
  output: Tensor;
  /** The final hidden state [B, H] (after the last step taken). */
  h: Tensor;
  /** The final cell state [B, H] of an LSTM; null otherwise. */
  c: Tensor | null;
}

/** The sizes of one recurrence. */
interface Dims {
  batch: number;
  steps: number;
  input: number;
  hidden: number;
  /** gates · hidden: the width of the projections and the rows of the weights. */
  width: number;
  dtype: DType;
}

/**
 * x [B, T, I], h0 [B, H], c0 [B, H] (LSTM only, else null), the weights W_ih [G·H, I],
 * W_hh [G·H, H], b_ih and b_hh [G·H] (either may be null) → { output [B, T, H], h [B, H],
 * c [B, H] or null }.
 */
export function recurrenceFused(
  kind: RecurrenceKind,
  x: Tensor,
  h0: Tensor,
  c0: Tensor | null,
  w: RecurrenceWeights,
  options: RecurrenceOptions = {},
): RecurrenceResult {
  const dims = checkDims(kind, x, h0, c0, w);
  const { batch, steps, input, hidden, width, dtype } = dims;
  const nonlinearity = options.nonlinearity ?? 'tanh';
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
    throw new HeedError(
      `recurrenceFused: nonlinearity must be 'tanh' or 'relu', got '${String(nonlinearity)}'`,
    );
  }
  const dead = deadRows(options.lengths, batch, steps);
  const reverse = options.reverse ?? false;
  const be = backendFor(dtype);
  const bh = batch * hidden;
  const bw = batch * width;
  const rows = steps * batch;
  /** The time step taken at iteration s. */
  const timeAt = (s: number): number => (reverse ? steps - 1 - s : s);
  const at = (buf: FloatArray, t: number, n: number): FloatArray => buf.subarray(t * n, (t + 1) * n);
  const data = (t: Tensor | null): FloatArray | null => (t === null ? null : asDType(t, dtype).data);
  const h0d = asDType(h0, dtype).data;
  const c0d = data(c0);
  const wih = asDType(w.weightIh, dtype).data;
  const mm = new StepGemm(be, dims, asDType(w.weightHh, dtype).data);
  const [bih, bhh] = [data(w.biasIh), data(w.biasHh)];
  const gru = kind === 'gru';

  // The input projection of every step, [T·B, G·H] = b + x_T·W_ihᵀ. b_hh joins b_ih there for
  // RNN and LSTM (one pre-activation); a GRU's stays apart, since r gates W_hn·h + b_hn.
  const xT = timeMajor(be, asDType(x, dtype).data, batch, steps, input, dtype); // [T, B, I]
  const proj = allocate(dtype, rows * width);
  const projBias = gru ? bih : addBiases(bih, bhh);
  if (projBias !== null) broadcastRows(be, projBias, proj, rows, width);
  gemmAt(be, xT, 0, wih, 0, proj, 0, rows, width, input, false, true, projBias === null ? 0 : 1);

  // `act` holds the pre-activations, then (in place) the activations; for an RNN the activation
  // is the new state, so `act` doubles as the hidden states.
  const act = gru ? allocate(dtype, rows * width) : proj;
  const hProj = gru ? allocate(dtype, rows * width) : null; // GRU: h·W_hhᵀ + b_hh per step
  if (hProj !== null && bhh !== null) broadcastRows(be, bhh, hProj, rows, width);
  const hs = kind === 'rnn' ? act : allocate(dtype, steps * bh); // [T, B, H]
  const cs = kind === 'lstm' ? allocate(dtype, steps * bh) : null;
  const tanhC = kind === 'lstm' ? allocate(dtype, steps * bh) : null;
  for (let s = 0; s < steps; s++) {
    const t = timeAt(s);
    const tp = s === 0 ? -1 : timeAt(s - 1);
    const hPrev = tp < 0 ? h0d : at(hs, tp, bh);
    const hNext = at(hs, t, bh);
    if (hProj !== null) {
      mm.hW(hPrev, hProj, t * bw, bhh === null ? 0 : 1);
      be.gruCellForward(at(proj, t, bw), at(hProj, t, bw), hPrev, batch, hidden, at(act, t, bw), hNext);
    } else {
      mm.hW(hPrev, act, t * bw, 1);
      if (cs !== null && tanhC !== null && c0d !== null) {
        const cPrev = tp < 0 ? c0d : at(cs, tp, bh);
        const a = at(act, t, bw);
        be.lstmCellForward(a, cPrev, batch, hidden, a, at(cs, t, bh), at(tanhC, t, bh), hNext);
        for (const b of dead[t]) copyRow(cPrev, at(cs, t, bh), b, hidden);
      } else {
        be.unary(nonlinearity, hNext, hNext);
      }
    }
    for (const b of dead[t]) copyRow(hPrev, hNext, b, hidden);
  }
  const last = timeAt(steps - 1);
  const output = new Tensor(batchMajor(be, hs, batch, steps, hidden, dtype), [batch, steps, hidden]);
  const hLast = new Tensor(at(hs, last, bh).slice(), h0.shape);
  const cLast = cs === null ? null : new Tensor(at(cs, last, bh).slice(), h0.shape);

  const opt = (t: Tensor | null): Tensor[] => (t === null ? [] : [t]);
  const inputs = [x, h0, ...opt(c0), w.weightIh, w.weightHh, ...opt(w.biasIh), ...opt(w.biasHh)];
  const outs = cLast === null ? [output, hLast] : [output, hLast, cLast];
  const name = `recurrenceFused(${kind})`;
  const attached = attachOutputs(name, outs, ['output', 'h', 'c'], inputs, ([gOut, gh, gc]) => {
    // dh_t accumulates in dOut, time-major and owned: the output's gradient at t, then dz·W_hh
    // from step t+1 (in walking order), and for the last step the final state's gradient.
    const dOut =
      gOut === null
        ? allocate(dtype, steps * bh)
        : timeMajor(be, asDType(gOut, dtype).data, batch, steps, hidden, dtype);
    if (gh !== null) {
      const d = at(dOut, last, bh);
      be.binary('add', d, [batch, hidden], asDType(gh, dtype).data, [batch, hidden], d, [batch, hidden]);
    }
    const dc = cs === null ? null : allocate(dtype, bh);
    if (dc !== null && gc !== null) dc.set(asDType(gc, dtype).data);
    const dh0 = allocate(dtype, bh);
    const dz = allocate(dtype, rows * width); // the gradient of the pre-activations (GRU: of hProj)
    const dxProj = gru ? allocate(dtype, rows * width) : dz; // … and of the input projection
    for (let s = steps - 1; s >= 0; s--) {
      const t = timeAt(s);
      const tp = s === 0 ? -1 : timeAt(s - 1);
      const hPrev = tp < 0 ? h0d : at(hs, tp, bh);
      const target = tp < 0 ? dh0 : at(dOut, tp, bh); // receives dh_{t−1}
      const dh = at(dOut, t, bh);
      const dzt = at(dz, t, bw);
      const deadRows = dead[t];
      if (hProj !== null) {
        // A dead row's whole dh passes to the previous state; the kernel would overwrite it.
        const keep = deadRows.map((b) => dh.slice(b * hidden, (b + 1) * hidden));
        const dxt = at(dxProj, t, bw);
        // dh is overwritten by its direct part dh ⊙ z (the kernel reads each value first).
        be.gruCellBackward(at(act, t, bw), at(hProj, t, bw), hPrev, dh, batch, hidden, dxt, dzt, dh);
        deadRows.forEach((b, i) => {
          dxt.fill(0, b * width, (b + 1) * width);
          dzt.fill(0, b * width, (b + 1) * width);
          dh.set(keep[i], b * hidden);
        });
        be.binary('add', target, [batch, hidden], dh, [batch, hidden], target, [batch, hidden]);
        mm.dzW(dzt, target);
        continue;
      }
      if (cs !== null && tanhC !== null && dc !== null && c0d !== null) {
        const cPrev = tp < 0 ? c0d : at(cs, tp, bh);
        const keepC = deadRows.map((b) => dc.slice(b * hidden, (b + 1) * hidden));
        // dc is both dc' (read) and dc (written), element by element.
        be.lstmCellBackward(at(act, t, bw), cPrev, at(tanhC, t, bh), dh, dc, batch, hidden, dzt, dc);
        deadRows.forEach((b, i) => {
          dc.set(keepC[i], b * hidden);
        });
      } else {
        const y = at(hs, t, bh);
        be.unaryBackward(nonlinearity, y, y, dh, dzt);
      }
      for (const b of deadRows) dzt.fill(0, b * width, (b + 1) * width);
      mm.dzW(dzt, target);
      for (const b of deadRows) addRow(dh, target, b, hidden);
    }
    const need = (t: Tensor | null): t is Tensor => t?.requiresGrad === true;
    const grad = (t: Tensor, buf: FloatArray): Tensor => asDType(new Tensor(buf, t.shape), t.dtype);
    const grads: (Tensor | null)[] = [];
    if (x.requiresGrad) {
      const dxT = allocate(dtype, rows * input);
      gemmAt(be, dxProj, 0, wih, 0, dxT, 0, rows, input, width, false, false, 0); // [T·B, G·H] · [G·H, I]
      grads.push(grad(x, batchMajor(be, dxT, batch, steps, input, dtype)));
    } else grads.push(null);
    grads.push(grad(h0, dh0));
    if (c0 !== null && dc !== null) grads.push(grad(c0, dc));
    let dWih: Tensor | null = null;
    if (w.weightIh.requiresGrad) {
      const buf = allocate(dtype, width * input);
      gemmAt(be, dxProj, 0, xT, 0, buf, 0, width, input, rows, true, false, 0); // [T·B, G·H]ᵀ · [T·B, I]
      dWih = grad(w.weightIh, buf);
    }
    grads.push(dWih, w.weightHh.requiresGrad ? grad(w.weightHh, mm.weightGrad(dz, hs, h0d, reverse)) : null);
    // b_ih's gradient is dzₓ summed over the rows; b_hh's is dz's (the same array unless GRU).
    const sumRows = (g: FloatArray): FloatArray => {
      const buf = allocate(dtype, width);
      be.reduce('sum', g, 1, rows, width, buf);
      return buf;
    };
    const dbx = need(w.biasIh) || (need(w.biasHh) && !gru) ? sumRows(dxProj) : null;
    if (w.biasIh !== null) grads.push(need(w.biasIh) && dbx !== null ? grad(w.biasIh, dbx) : null);
    if (w.biasHh !== null) {
      const dbh = !need(w.biasHh) ? null : gru ? sumRows(dz) : dbx === null ? null : dbx.slice();
      grads.push(dbh === null ? null : grad(w.biasHh, dbh));
    }
    return grads;
  });
  return { output: attached[0], h: attached[1], c: attached[2] ?? null };
}

function checkDims(
  kind: RecurrenceKind,
  x: Tensor,
  h0: Tensor,
  c0: Tensor | null,
  w: RecurrenceWeights,
): Dims {
  const op = `recurrenceFused(${kind})`;
  if (!(kind in gatesOf)) throw new HeedError(`recurrenceFused: unknown cell kind '${String(kind)}'`);
  if (h0.ndim !== 2) throw new ShapeError(`${op}: h0 has shape ${fmtShape(h0.shape)}, expected [B, H]`);
  const [batch, hidden] = h0.shape;
  const width = gatesOf[kind] * hidden;
  if (x.ndim !== 3 || !(x.shape[1] >= 1)) {
    throw new ShapeError(`${op}: x has shape ${fmtShape(x.shape)}, expected [B, T, I] with T ≥ 1`);
  }
  const [, steps, input] = x.shape;
  const expect = (name: string, t: Tensor, want: readonly number[]): void => {
    if (t.ndim !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new ShapeError(
        `${op}: ${name} has shape ${fmtShape(t.shape)}, expected ${fmtShape(want)} (h0 is ${fmtShape(h0.shape)})`,
      );
    }
  };
  expect('x', x, [batch, steps, input]);
  expect('weightIh', w.weightIh, [width, input]);
  expect('weightHh', w.weightHh, [width, hidden]);
  if (w.biasIh !== null) expect('biasIh', w.biasIh, [width]);
  if (w.biasHh !== null) expect('biasHh', w.biasHh, [width]);
  if ((kind === 'lstm') !== (c0 !== null)) {
    throw new HeedError(`${op}: c0 is ${kind === 'lstm' ? 'required for' : 'only for'} an LSTM`);
  }
  if (c0 !== null) expect('c0', c0, [batch, hidden]);
  const all = [x, h0, c0, w.weightIh, w.weightHh, w.biasIh, w.biasHh];
  const dtype = all.some((t) => t !== null && t.dtype === 'float64') ? 'float64' : 'float32';
  return { batch, steps, input, hidden, width, dtype };
}

/** b_ih + b_hh (either may be null). */
function addBiases(a: FloatArray | null, b: FloatArray | null): FloatArray | null {
  if (a === null || b === null) return a ?? b;
  const out = a.slice();
  for (let i = 0; i < out.length; i++) out[i] += b[i];
  return out;
}

/** Every row of out [rows, width] = bias. */
export function broadcastRows(
  be: Backend,
  bias: FloatArray,
  out: FloatArray,
  rows: number,
  width: number,
): void {
  be.copy(
    [rows, width],
    { data: bias, offset: 0, strides: [0, 1] },
    { data: out, offset: 0, strides: [width, 1] },
  );
}

/** dead[t]: the rows b with t ≥ lengths[b] (empty lists without lengths). */
function deadRows(lengths: ArrayLike<number> | undefined, batch: number, steps: number): number[][] {
  const dead = Array.from({ length: steps }, (): number[] => []);
  if (lengths === undefined) return dead;
  if (lengths.length !== batch) {
    throw new HeedError(`recurrenceFused: ${lengths.length} lengths given for a batch of ${batch}`);
  }
  for (let b = 0; b < batch; b++) {
    const n = lengths[b];
    if (!Number.isInteger(n) || n < 0 || n > steps) {
      throw new HeedError(`recurrenceFused: lengths[${b}] = ${n} is not an integer in [0, ${steps}]`);
    }
    for (let t = n; t < steps; t++) dead[t].push(b);
  }
  return dead;
}

/** Row b of src copied over row b of dst (rows of `n`). */
function copyRow(src: FloatArray, dst: FloatArray, b: number, n: number): void {
  dst.set(src.subarray(b * n, (b + 1) * n), b * n);
}

/** Row b of src added onto row b of dst. */
function addRow(src: FloatArray, dst: FloatArray, b: number, n: number): void {
  for (let j = b * n; j < (b + 1) * n; j++) dst[j] += src[j];
}

/** [B, T, W] → a fresh [T, B, W]. */
export function timeMajor(
  be: Backend,
  x: FloatArray,
  batch: number,
  steps: number,
  w: number,
  dtype: DType,
): FloatArray {
  return swapLeading(be, x, batch, steps, w, dtype);
}

/** [T, B, W] → a fresh [B, T, W]. */
export function batchMajor(
  be: Backend,
  x: FloatArray,
  batch: number,
  steps: number,
  w: number,
  dtype: DType,
): FloatArray {
  return swapLeading(be, x, steps, batch, w, dtype);
}

/** [A, B, W] → a fresh [B, A, W]. */
function swapLeading(be: Backend, x: FloatArray, a: number, b: number, w: number, dtype: DType): FloatArray {
  const out = allocate(dtype, x.length);
  be.copy(
    [b, a, w],
    { data: x, offset: 0, strides: [w, b * w, 1] },
    { data: out, offset: 0, strides: [a * w, w, 1] },
  );
  return out;
}

/** The recurrence's GEMMs against W_hh [G·H, H], which is packed once for all the steps. */
class StepGemm {
  private readonly packed: PackedWeight;

  constructor(
    private readonly be: Backend,
    private readonly dims: Dims,
    w: FloatArray,
  ) {
    this.packed = new PackedWeight(be, w, dims.width, dims.hidden, dims.steps);
  }

  /** out[off…] (a [B, G·H] slice) = h·W_hhᵀ + beta·out[off…]. */
  hW(h: FloatArray, out: FloatArray, off: number, beta: number): void {
    const { batch, width } = this.dims;
    this.packed.timesT(h, batch, out.subarray(off, off + batch * width), beta);
  }

  /** dh [B, H] += dz [B, G·H] · W_hh. */
  dzW(dz: FloatArray, dh: FloatArray): void {
    this.packed.times(dz, this.dims.batch, dh, 1);
  }

  /**
   * Σ_t dz_tᵀ·h_{t−1} [G·H, H], h_{t−1} being the state each step started from: all steps but
   * the first taken pair with the stored states in one GEMM over (T − 1)·B rows, the first with h0.
   */
  weightGrad(dz: FloatArray, hs: FloatArray, h0: FloatArray, reverse: boolean): FloatArray {
    const { batch, steps, hidden, width, dtype } = this.dims;
    const bw = batch * width;
    const out = allocate(dtype, width * hidden);
    // Forward: steps 1..T−1 started from states 0..T−2; reverse: steps 0..T−2 from 1..T−1.
    const rows = (steps - 1) * batch;
    if (rows > 0) {
      gemmAt(
        this.be,
        dz,
        reverse ? 0 : bw,
        hs,
        reverse ? batch * hidden : 0,
        out,
        0,
        width,
        hidden,
        rows,
        true,
        false,
        0,
      );
    }
    const first = reverse ? (steps - 1) * bw : 0;
    gemmAt(this.be, dz, first, h0, 0, out, 0, width, hidden, batch, true, false, rows > 0 ? 1 : 0);
    return out;
  }
}
