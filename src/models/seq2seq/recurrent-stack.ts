import type { DirectionWeights } from '../../nn/rnn/recurrent.js';
import { type GRU, LSTM } from '../../nn/rnn/rnn.js';
import { gruStep, lstmStep } from '../../nn/rnn/steps.js';
import { add } from '../../ops/binary.js';
import { dropout } from '../../ops/dropout.js';
import { indexSelect } from '../../ops/indexing.js';
import { matmul } from '../../ops/matmul.js';
import type { Tensor } from '../../tensor/tensor.js';
import { HeedError } from '../../util/errors.js';

/**
 * One time step of a (unidirectional, multi-layer) GRU or LSTM module, for decoders that must
 * interleave attention with the recurrence. The weights are the module's own parameters
 * (`weight_ih_l0`, …), so the same layer also runs whole sequences through `rnn.forward` where
 * the decoder allows it, and the two agree (the step math is nn/rnn/steps.ts in both).
 */

/** A decoder's recurrent state: one [R, H] per layer, and for an LSTM the cells. */
export interface RecurrentState {
  hidden: Tensor[];
  cell: Tensor[] | null;
}

/** The top layer's hidden state [R, H]: the decoder state s the attention and the output read. */
export function topState(state: RecurrentState): Tensor {
  return state.hidden[state.hidden.length - 1];
}

/** The state of the rows `rows` (repeats allowed). */
export function selectStateRows(state: RecurrentState, rows: Int32Array): RecurrentState {
  return {
    hidden: state.hidden.map((h) => indexSelect(h, 0, rows)),
    cell: state.cell === null ? null : state.cell.map((c) => indexSelect(c, 0, rows)),
  };
}

/** The per-layer weights of a unidirectional GRU/LSTM, found by their PyTorch names. */
export function layerWeights(rnn: GRU | LSTM): DirectionWeights[] {
  if (rnn.bidirectional) throw new HeedError(`${rnn.label}: a decoder layer cannot be bidirectional`);
  const params = new Map<string, Tensor>(rnn.namedParameters());
  const find = (name: string): Tensor | null => params.get(name) ?? null;
  const need = (name: string): Tensor => {
    const p = find(name);
    if (p === null) throw new HeedError(`${rnn.label}: no parameter '${name}'`);
    return p;
  };
  return Array.from({ length: rnn.numLayers }, (_, l) => ({
    weightIh: need(`weight_ih_l${l}`),
    weightHh: need(`weight_hh_l${l}`),
    biasIh: find(`bias_ih_l${l}`),
    biasHh: find(`bias_hh_l${l}`),
  }));
}

/**
 * Steps a layer stack. The caller gives layer 0's input already projected (x·W_ihᵀ plus
 * {@link inputBias}), since decoders build that input in their own ways; layers above project
 * the (dropped-out, in training) state of the layer below.
 */
export class RecurrentStack {
  readonly weights: DirectionWeights[];
  readonly lstm: boolean;

  constructor(readonly rnn: GRU | LSTM) {
    this.weights = layerWeights(rnn);
    this.lstm = rnn instanceof LSTM;
  }

  /**
   * The bias added to x·W_ihᵀ: b_ih, plus b_hh for an LSTM (it folds into the projection, as in
   * the layers; a GRU's b_hn sits inside r ⊙ (…) and stays in the step).
   */
  inputBias(layer: number): Tensor | null {
    const { biasIh, biasHh } = this.weights[layer];
    if (this.lstm && biasIh !== null && biasHh !== null) return add(biasIh, biasHh);
    return biasIh;
  }

  /** x [R, I_l] → x·W_ihᵀ + bias [R, G·H] (`weight` replaces W_ih, e.g. by some of its columns). */
  project(
    layer: number,
    x: Tensor,
    bias: Tensor | null = this.inputBias(layer),
    weight: Tensor = this.weights[layer].weightIh,
  ): Tensor {
    const p = matmul(x, weight, { transB: true }); // [R, G·H]
    return bias === null ? p : add(p, bias);
  }

  /** One step of every layer from layer 0's projected input x0Proj [R, G·H]. */
  step(x0Proj: Tensor, state: RecurrentState, training: boolean): RecurrentState {
    const hidden: Tensor[] = [];
    const cell: Tensor[] = [];
    let xProj = x0Proj;
    for (let l = 0; l < this.weights.length; l++) {
      if (l > 0) {
        const below = hidden[l - 1];
        const p = this.rnn.dropout;
        xProj = this.project(l, training && p > 0 ? dropout(below, p, true) : below);
      }
      const w = this.weights[l];
      if (this.lstm) {
        if (state.cell === null) throw new HeedError(`${this.rnn.label}: an LSTM step needs a cell state`);
        const next = lstmStep(xProj, state.hidden[l], state.cell[l], w.weightHh, null);
        hidden.push(next.h);
        cell.push(next.c);
      } else {
        hidden.push(gruStep(xProj, state.hidden[l], w.weightHh, w.biasHh));
      }
    }
    return { hidden, cell: this.lstm ? cell : null };
  }
}
