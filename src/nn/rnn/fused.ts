import { gruCellFused, lstmCellFused, rnnCellFused } from '../../ops/rnn-step.js';
import type { Tensor } from '../../tensor/tensor.js';
import { gruStep, type LstmState, lstmStep, type Nonlinearity, rnnStep } from './steps.js';

/**
 * Which implementation the recurrent layers and cells run with: the fused ops (the default) —
 * a layer's whole recurrence as one node (src/ops/recurrence.ts), a cell's step as one node
 * (src/ops/rnn-step.ts) — or the composed reference steps of steps.ts, node by node. All
 * compute the same function with the same gradients; the switch lets tests and benchmarks run
 * the reference through the very same layer code.
 */
let fused = true;

/** Selects the fused ops (true, the default) or the composed reference steps (false). */
export function setFusedRnnSteps(on: boolean): void {
  fused = on;
}

/** Whether the layers and cells currently run the fused ops. */
export function fusedRnnSteps(): boolean {
  return fused;
}

/** One Elman RNN step ({@link rnnStep}) by the selected implementation. */
export function runRnnStep(
  xProj: Tensor,
  h: Tensor,
  weightHh: Tensor,
  biasHh: Tensor | null,
  nonlinearity: Nonlinearity,
): Tensor {
  return fused
    ? rnnCellFused(xProj, h, weightHh, biasHh, nonlinearity)
    : rnnStep(xProj, h, weightHh, biasHh, nonlinearity);
}

/** One LSTM step ({@link lstmStep}) by the selected implementation. */
export function runLstmStep(
  xProj: Tensor,
  h: Tensor,
  c: Tensor,
  weightHh: Tensor,
  biasHh: Tensor | null,
): LstmState {
  return fused ? lstmCellFused(xProj, h, c, weightHh, biasHh) : lstmStep(xProj, h, c, weightHh, biasHh);
}

/** One GRU step ({@link gruStep}) by the selected implementation. */
export function runGruStep(xProj: Tensor, h: Tensor, weightHh: Tensor, biasHh: Tensor | null): Tensor {
  return fused ? gruCellFused(xProj, h, weightHh, biasHh) : gruStep(xProj, h, weightHh, biasHh);
}
