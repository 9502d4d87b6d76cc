/**
 * Reference kernels of the fused layer normalisation (the equations are on the {@link Backend}
 * members): row statistics and sums in float64, each stored value rounded once.
 */
import type { Backend } from '../backend.js';

export const layerNormForwardJs: Backend['layerNormForward'] = (
  x,
  rows,
  cols,
  weight,
  bias,
  eps,
  y,
  mean,
  rstd,
) => {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[base + j];
    const mu = s / cols;
    let ss = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[base + j] - mu;
      ss += d * d;
    }
    const rs = 1 / Math.sqrt(ss / cols + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) {
      let v = (x[base + j] - mu) * rs;
      if (weight !== null) v *= weight[j];
      if (bias !== null) v += bias[j];
      y[base + j] = v;
    }
  }
};

export const layerNormBackwardJs: Backend['layerNormBackward'] = (
  x,
  g,
  _mean,
  rstd,
  rows,
  cols,
  weight,
  dx,
  dWeight,
  dBias,
) => {
  // dγ and dβ sum over every row: accumulate in float64 whatever the output precision.
  const dw = dWeight === null ? null : new Float64Array(cols);
  const db = dBias === null ? null : new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    // μ again in float64, as the forward summed it: a float32 `mean` is that sum rounded, which
    // would cost ulp(μ)/σ of accuracy in x̂ when the mean dwarfs the spread (native recovers the
    // rounding the same way).
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[base + j];
    const mu = s / cols;
    const rs = rstd[r];
    let sg = 0; // Σ ĝ
    let sgx = 0; // Σ ĝ·x̂
    for (let j = 0; j < cols; j++) {
      const gj = g[base + j];
      const xh = (x[base + j] - mu) * rs;
      const gh = weight === null ? gj : gj * weight[j];
      sg += gh;
      sgx += gh * xh;
      if (dw !== null) dw[j] += gj * xh;
      if (db !== null) db[j] += gj;
    }
    const a = sg / cols;
    const b = sgx / cols;
    for (let j = 0; j < cols; j++) {
      const xh = (x[base + j] - mu) * rs;
      const gh = weight === null ? g[base + j] : g[base + j] * weight[j];
      dx[base + j] = rs * (gh - a - xh * b);
    }
  }
  if (dWeight !== null && dw !== null) dWeight.set(dw);
  if (dBias !== null && db !== null) dBias.set(db);
};
