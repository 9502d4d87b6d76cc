import { zeros } from '../../ops/creation.js';
import { dropout } from '../../ops/dropout.js';
import { type RecurrenceResult, type RecurrenceWeights, recurrenceFused } from '../../ops/recurrence.js';
import { concat, stack } from '../../ops/shape.js';
import { where } from '../../ops/where.js';
import { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../../util/errors.js';
import { defaultGenerator, type Generator } from '../../util/random.js';
import { fusedRnnSteps } from './fused.js';
import { unbind } from './split.js';
import { type Nonlinearity, recurrenceComposed } from './steps.js';

/**
 * The functional core of the multi-layer recurrent layers: weights in, sequences out. The
 * modules in rnn.ts hold the parameters and call this; tests call it directly with their own
 * (float64) leaves.
 */

/** Which cell a layer runs. */
export type CellKind = 'rnn' | 'lstm' | 'gru';

/** Gates per cell: the row blocks of W_ih and W_hh. */
export const gateCount: Readonly<Record<CellKind, number>> = { rnn: 1, lstm: 4, gru: 3 };

/** The weights of one layer in one direction (PyTorch's weight_ih_l{k}[_reverse], …). */
export type DirectionWeights = RecurrenceWeights;

export interface RecurrentSpec {
  /** Names the layer in error messages, e.g. 'LSTM(3, 4)'. */
  label: string;
  kind: CellKind;
  /** For kind 'rnn'. */
  nonlinearity: Nonlinearity;
  inputSize: number;
  hiddenSize: number;
  /** weights[layer][direction]; direction 1 (when present) is the reverse one. */
  weights: readonly (readonly DirectionWeights[])[];
  /** Dropout on every layer's output but the last, applied only when `training`. */
  dropout: number;
  training: boolean;
  generator?: Generator;
}

export interface RecurrentInputs {
  /**
   * Real length of each sequence of the padded batch, integers in [1, T], in any order
   * (pack_padded_sequence with enforce_sorted=False). Omitted: every sequence has length T.
   */
  lengths?: ArrayLike<number>;
  /** Initial hidden state [L·D, B, H], rows [l0 fwd, l0 rev, l1 fwd, …]; default zeros. */
  h0?: Tensor;
  /** Initial LSTM cell state [L·D, B, H]; default zeros. */
  c0?: Tensor;
}

export interface RecurrentOutputs {
  /** Top layer's hidden states [B, T, D·H], [forward | reverse]; exactly 0 past each length. */
  output: Tensor;
  /** Final hidden state of every layer and direction [L·D, B, H]. */
  hN: Tensor;
  /** Final LSTM cell state [L·D, B, H]; null for RNN and GRU. */
  cN: Tensor | null;
}

/**
 * Checks the lengths and returns the output mask [B, T, 1], true where t < length, or null when
 * nothing is padded.
 */
function outputMask(
  label: string,
  lengths: ArrayLike<number> | undefined,
  batch: number,
  steps: number,
): Mask | null {
  if (lengths === undefined) return null;
  if (lengths.length !== batch) {
    throw new HeedError(`${label}: ${lengths.length} lengths given for a batch of ${batch}`);
  }
  let padded = false;
  for (let b = 0; b < batch; b++) {
    const v = lengths[b];
    if (!Number.isInteger(v) || v < 1 || v > steps) {
      throw new HeedError(`${label}: lengths[${b}] = ${v} is not an integer in [1, ${steps}] (T = ${steps})`);
    }
    padded ||= v < steps;
  }
  if (!padded) return null;
  const out = new Uint8Array(batch * steps);
  for (let b = 0; b < batch; b++) for (let t = 0; t < lengths[b]; t++) out[b * steps + t] = 1;
  return new Mask(out, [batch, steps, 1]);
}

/** Checks an initial state [L·D, B, H] and unbinds it into L·D states [B, H]. */
function initialStates(
  label: string,
  name: string,
  s: Tensor | undefined,
  count: number,
  batch: number,
  hidden: number,
  like: Tensor,
): Tensor[] {
  const want = [count, batch, hidden];
  if (s === undefined)
    return Array.from({ length: count }, () => zeros([batch, hidden], { dtype: like.dtype }));
  if (s.ndim !== 3 || s.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${label}: ${name} has shape ${fmtShape(s.shape)}, expected ${fmtShape(want)}`);
  }
  return unbind(s, 0);
}

/**
 * Runs every layer and direction over a padded batch x [B, T, I].
 *
 * Padding is handled by masking, not by shrinking the batch: at a step where sequence b has
 * ended (forward) or not yet begun (reverse, which walks t = T−1 … 0), its state is carried over
 * unchanged (`where(live, h', h)`), so the forward state freezes at the last real step and the
 * reverse one starts from h0 at the last real element, exactly as PyTorch's packed sequences.
 * Padded outputs are zeroed once at the end; padded inputs therefore get no gradient.
 */
export function runRecurrent(spec: RecurrentSpec, x: Tensor, opts: RecurrentInputs = {}): RecurrentOutputs {
  const { label, hiddenSize } = spec;
  if (x.ndim !== 3 || x.shape[2] !== spec.inputSize || x.shape[1] < 1) {
    throw new ShapeError(
      `${label}: input has shape ${fmtShape(x.shape)}, expected [B, T, ${spec.inputSize}] with T ≥ 1`,
    );
  }
  const [batch, steps] = x.shape;
  const mask = outputMask(label, opts.lengths, batch, steps);
  const lengths = mask === null ? undefined : opts.lengths;
  const numLayers = spec.weights.length;
  const dirs = spec.weights[0].length;
  const h0 = initialStates(label, 'h0', opts.h0, numLayers * dirs, batch, hiddenSize, x);
  const c0 =
    spec.kind === 'lstm' ? initialStates(label, 'c0', opts.c0, numLayers * dirs, batch, hiddenSize, x) : null;
  if (spec.kind !== 'lstm' && opts.c0 !== undefined) {
    throw new HeedError(`${label}: c0 is only for an LSTM`);
  }

  let input = x; // [B, T, I_l]
  const hN: Tensor[] = [];
  const cN: Tensor[] = [];
  for (let l = 0; l < numLayers; l++) {
    if (l > 0 && spec.training && spec.dropout > 0) {
      input = dropout(input, spec.dropout, true, spec.generator ?? defaultGenerator);
    }
    const outs: Tensor[] = [];
    for (let d = 0; d < dirs; d++) {
      const k = l * dirs + d;
      const r = runDirection(spec, spec.weights[l][d], input, h0[k], c0?.[k] ?? null, d === 1, lengths);
      outs.push(r.output); // [B, T, H]
      hN.push(r.h);
      if (r.c !== null) cN.push(r.c);
    }
    input = dirs === 1 ? outs[0] : concat(outs, 2); // [B, T, D·H]
  }
  return {
    output: mask === null ? input : where(mask, input, 0),
    hN: stack(hN, 0), // [L·D, B, H]
    cN: cN.length > 0 ? stack(cN, 0) : null,
  };
}

/**
 * One layer in one direction: one fused node ({@link recurrenceFused}) or, with the fused steps
 * switched off (setFusedRnnSteps(false)), the composed reference ({@link recurrenceComposed}).
 */
function runDirection(
  spec: RecurrentSpec,
  w: DirectionWeights,
  input: Tensor,
  h0: Tensor,
  c0: Tensor | null,
  reverse: boolean,
  lengths: ArrayLike<number> | undefined,
): RecurrenceResult {
  const run = fusedRnnSteps() ? recurrenceFused : recurrenceComposed;
  return run(spec.kind, input, h0, c0, w, { nonlinearity: spec.nonlinearity, reverse, lengths });
}
