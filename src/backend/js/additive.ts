import type { Backend } from '../backend.js';

/** The reference of {@link Backend.additiveScores}: one energy row at a time, summed in double. */
export const additiveScoresJs: Backend['additiveScores'] = (q, k, v, batch, tq, tk, dim, scores) => {
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < tq; i++) {
      const q0 = (b * tq + i) * dim;
      for (let j = 0; j < tk; j++) {
        const k0 = (b * tk + j) * dim;
        let s = 0;
        for (let a = 0; a < dim; a++) s += v[a] * Math.tanh(q[q0 + a] + k[k0 + a]);
        scores[(b * tq + i) * tk + j] = s;
      }
    }
  }
};

/** The reference of {@link Backend.additiveScoresBackward}: the energies recomputed, gradients added. */
export const additiveScoresBackwardJs: Backend['additiveScoresBackward'] = (
  q,
  k,
  v,
  g,
  batch,
  tq,
  tk,
  dim,
  dq,
  dk,
  dv,
) => {
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < tq; i++) {
      const q0 = (b * tq + i) * dim;
      for (let j = 0; j < tk; j++) {
        const k0 = (b * tk + j) * dim;
        const gs = g[(b * tq + i) * tk + j];
        for (let a = 0; a < dim; a++) {
          const t = Math.tanh(q[q0 + a] + k[k0 + a]);
          const e = gs * v[a] * (1 - t * t);
          dq[q0 + a] += e;
          dk[k0 + a] += e;
          dv[a] += gs * t;
        }
      }
    }
  }
};
