/**
 * Reference kernels of the fused recurrent-cell steps (the equations are on the
 * {@link Backend} members). Each is one pass over the [B, H] cells; gate block k of row b
 * starts at b·G·H + k·H. Values are computed in double and rounded once on store.
 */
import type { Backend } from '../backend.js';
import { sigmoid } from './math.js';

export const lstmCellForwardJs: Backend['lstmCellForward'] = (
  gates,
  c,
  batch,
  hidden,
  act,
  cNext,
  tanhC,
  hNext,
) => {
  const H = hidden;
  for (let b = 0; b < batch; b++) {
    const g0 = b * 4 * H;
    const s0 = b * H;
    for (let j = 0; j < H; j++) {
      const i = sigmoid(gates[g0 + j]);
      const f = sigmoid(gates[g0 + H + j]);
      const g = Math.tanh(gates[g0 + 2 * H + j]);
      const o = sigmoid(gates[g0 + 3 * H + j]);
      act[g0 + j] = i;
      act[g0 + H + j] = f;
      act[g0 + 2 * H + j] = g;
      act[g0 + 3 * H + j] = o;
      const c1 = f * c[s0 + j] + i * g;
      const t = Math.tanh(c1);
      cNext[s0 + j] = c1;
      tanhC[s0 + j] = t;
      hNext[s0 + j] = o * t;
    }
  }
};

export const lstmCellBackwardJs: Backend['lstmCellBackward'] = (
  act,
  c,
  tanhC,
  dh,
  dcNext,
  batch,
  hidden,
  dGates,
  dc,
) => {
  const H = hidden;
  for (let b = 0; b < batch; b++) {
    const g0 = b * 4 * H;
    const s0 = b * H;
    for (let j = 0; j < H; j++) {
      const i = act[g0 + j];
      const f = act[g0 + H + j];
      const g = act[g0 + 2 * H + j];
      const o = act[g0 + 3 * H + j];
      const t = tanhC[s0 + j];
      const d = dh[s0 + j];
      const dct = dcNext[s0 + j] + d * o * (1 - t * t);
      dGates[g0 + j] = dct * g * i * (1 - i);
      dGates[g0 + H + j] = dct * c[s0 + j] * f * (1 - f);
      dGates[g0 + 2 * H + j] = dct * i * (1 - g * g);
      dGates[g0 + 3 * H + j] = d * t * o * (1 - o);
      dc[s0 + j] = dct * f;
    }
  }
};

export const gruCellForwardJs: Backend['gruCellForward'] = (xProj, hProj, h, batch, hidden, act, hNext) => {
  const H = hidden;
  for (let b = 0; b < batch; b++) {
    const g0 = b * 3 * H;
    const s0 = b * H;
    for (let j = 0; j < H; j++) {
      const r = sigmoid(xProj[g0 + j] + hProj[g0 + j]);
      const z = sigmoid(xProj[g0 + H + j] + hProj[g0 + H + j]);
      const n = Math.tanh(xProj[g0 + 2 * H + j] + r * hProj[g0 + 2 * H + j]);
      act[g0 + j] = r;
      act[g0 + H + j] = z;
      act[g0 + 2 * H + j] = n;
      hNext[s0 + j] = n + z * (h[s0 + j] - n);
    }
  }
};

export const gruCellBackwardJs: Backend['gruCellBackward'] = (
  act,
  hProj,
  h,
  dhNext,
  batch,
  hidden,
  dxProj,
  dhProj,
  dh,
) => {
  const H = hidden;
  for (let b = 0; b < batch; b++) {
    const g0 = b * 3 * H;
    const s0 = b * H;
    for (let j = 0; j < H; j++) {
      const r = act[g0 + j];
      const z = act[g0 + H + j];
      const n = act[g0 + 2 * H + j];
      const d = dhNext[s0 + j];
      const dzz = d * (h[s0 + j] - n) * z * (1 - z);
      const dzn = d * (1 - z) * (1 - n * n);
      const dzr = dzn * hProj[g0 + 2 * H + j] * r * (1 - r);
      dxProj[g0 + j] = dzr;
      dxProj[g0 + H + j] = dzz;
      dxProj[g0 + 2 * H + j] = dzn;
      dhProj[g0 + j] = dzr;
      dhProj[g0 + H + j] = dzz;
      dhProj[g0 + 2 * H + j] = dzn * r;
      dh[s0 + j] = d * z;
    }
  }
};
