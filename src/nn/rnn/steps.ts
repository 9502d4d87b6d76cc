import { add, mul, sub } from '../../ops/binary.js';
import { matmul } from '../../ops/matmul.js';
import type {
  RecurrenceKind,
  RecurrenceOptions,
  RecurrenceResult,
  RecurrenceWeights,
} from '../../ops/recurrence.js';
import { stack } from '../../ops/shape.js';
import { relu, sigmoid, tanh } from '../../ops/unary.js';
import { where } from '../../ops/where.js';
import { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import { splitShared, unbind } from './split.js';

/**
 * One time step of each recurrent cell, composed from ops (so the gradients come for free).
 *
 * Every step takes `xProj` = x·W_ihᵀ + b_ih, the input projection of this step, which the
 * layers compute for all time steps at once with one matmul; the step itself only adds the
 * recurrent term h·W_hhᵀ (+ b_hh) and does the gate math. `biasHh` may be null when the caller
 * already folded b_hh into xProj (possible for RNN and LSTM, not for GRU, whose b_hn sits inside
 * r ⊙ (…)). Gate order is PyTorch's, so weights load from a PyTorch state dict.
 *
 * These are the reference implementations: a fused native step kernel must match them on the
 * same gradient tests.
 */

/** The pointwise nonlinearity of a plain RNN. */
export type Nonlinearity = 'tanh' | 'relu';

/** A state pair of an LSTM. */
export interface LstmState {
  h: Tensor;
  c: Tensor;
}

/** h·W_hhᵀ + xProj (+ b_hh): the pre-activations of every gate, [B, G·H]. */
function preActivations(xProj: Tensor, h: Tensor, weightHh: Tensor, biasHh: Tensor | null): Tensor {
  const z = add(xProj, matmul(h, weightHh, { transB: true })); // [B, G·H]
  return biasHh === null ? z : add(z, biasHh);
}

/**
 * Elman RNN: h' = act(xProj + h·W_hhᵀ + b_hh).
 * xProj [B, H], h [B, H], weightHh [H, H], biasHh [H] → h' [B, H].
 */
export function rnnStep(
  xProj: Tensor,
  h: Tensor,
  weightHh: Tensor,
  biasHh: Tensor | null,
  nonlinearity: Nonlinearity = 'tanh',
): Tensor {
  const z = preActivations(xProj, h, weightHh, biasHh);
  return nonlinearity === 'relu' ? relu(z) : tanh(z);
}

/**
 * LSTM (Hochreiter & Schmidhuber 1997, with forget gate), gates [i, f, g, o]:
 *   i = σ(·), f = σ(·), g = tanh(·), o = σ(·)
 *   c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c').
 * xProj [B, 4H], h and c [B, H], weightHh [4H, H], biasHh [4H] → { h', c' } [B, H].
 */
export function lstmStep(
  xProj: Tensor,
  h: Tensor,
  c: Tensor,
  weightHh: Tensor,
  biasHh: Tensor | null,
): LstmState {
  const hidden = h.shape[1];
  const gates = preActivations(xProj, h, weightHh, biasHh); // [B, 4H]
  const [zi, zf, zg, zo] = splitShared(gates, [hidden, hidden, hidden, hidden], 1); // 4 × [B, H]
  const cNext = add(mul(sigmoid(zf), c), mul(sigmoid(zi), tanh(zg)));
  const hNext = mul(sigmoid(zo), tanh(cNext));
  return { h: hNext, c: cNext };
}

/**
 * GRU (Cho et al. 2014, PyTorch's variant), gates [r, z, n]:
 *   r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r ⊙ (W_hn·h + b_hn)),
 *   h' = (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n).
 * xProj [B, 3H] (with b_ih), h [B, H], weightHh [3H, H], biasHh [3H] → h' [B, H].
 */
export function gruStep(xProj: Tensor, h: Tensor, weightHh: Tensor, biasHh: Tensor | null): Tensor {
  const hidden = h.shape[1];
  let hProj = matmul(h, weightHh, { transB: true }); // [B, 3H]
  if (biasHh !== null) hProj = add(hProj, biasHh);
  const [xRz, xN] = splitShared(xProj, [2 * hidden, hidden], 1); // [B, 2H], [B, H]
  const [hRz, hN] = splitShared(hProj, [2 * hidden, hidden], 1);
  // r and z share one add and one sigmoid.
  const [r, z] = splitShared(sigmoid(add(xRz, hRz)), [hidden, hidden], 1);
  const n = tanh(add(xN, mul(r, hN)));
  return add(n, mul(z, sub(h, n)));
}

/**
 * A whole layer in one direction composed from ops, node by node: the input projection of every
 * step (one matmul + bias), then the steps above: the reference of the fused `recurrenceFused`
 * (src/ops/recurrence.ts), with its signature. x [B, T, I], h0 (and c0) [B, H], the weights →
 * { output [B, T, H], h [B, H], c [B, H] or null }. b_hh folds into the projection (one bias for
 * all steps), except for a GRU, whose b_hn sits inside r ⊙ (W_hn·h + b_hn) and so stays in the
 * step. Padding is masking: at a step t ≥ lengths[b] row b keeps its state (`where(live, h', h)`),
 * so the forward state freezes at the last real step and the reverse one starts from h0 at the
 * last real element, exactly as PyTorch's packed sequences.
 */
export function recurrenceComposed(
  kind: RecurrenceKind,
  x: Tensor,
  h0: Tensor,
  c0: Tensor | null,
  w: RecurrenceWeights,
  options: RecurrenceOptions = {},
): RecurrenceResult {
  const [batch, steps] = x.shape;
  const foldHh = kind !== 'gru';
  const biases = (foldHh ? [w.biasIh, w.biasHh] : [w.biasIh]).filter((b) => b !== null);
  let xProj = matmul(x, w.weightIh, { transB: true }); // [B, T, G·H]
  if (biases.length > 0) xProj = add(xProj, biases.length === 1 ? biases[0] : add(biases[0], biases[1]));
  const stepHh = foldHh ? null : w.biasHh;
  const xs = unbind(xProj, 1); // T × [B, G·H]
  const lengths = options.lengths;
  let h = h0;
  let c = c0;
  const outputs = new Array<Tensor>(steps);
  for (let s = 0; s < steps; s++) {
    const t = options.reverse ? steps - 1 - s : s;
    let live: Mask | null = null;
    if (lengths !== undefined && Array.from(lengths).some((n) => t >= n)) {
      live = new Mask(
        Uint8Array.from(lengths, (n) => (t < n ? 1 : 0)),
        [batch, 1],
      );
    }
    let hNext: Tensor;
    if (kind === 'lstm' && c !== null) {
      const next = lstmStep(xs[t], h, c, w.weightHh, stepHh);
      c = live === null ? next.c : where(live, next.c, c);
      hNext = next.h;
    } else if (kind === 'gru') {
      hNext = gruStep(xs[t], h, w.weightHh, stepHh);
    } else {
      hNext = rnnStep(xs[t], h, w.weightHh, stepHh, options.nonlinearity ?? 'tanh');
    }
    h = live === null ? hNext : where(live, hNext, h);
    outputs[t] = h;
  }
  return { output: stack(outputs, 1), h, c };
}
