import type { AttentionHeadLayout, AttentionMaskLayout, AttentionParams, FloatArray } from '../backend.js';

/**
 * The reference fused attention kernels (see {@link AttentionParams}): plain loops, one query row
 * at a time, accumulating in float64. The forward is FlashAttention's online softmax
 * (Dao et al. 2022, Algorithm 1) with a key block of one: a running maximum m, sum l and output
 * o, rescaled by exp(m − m') whenever the maximum grows, so no row of scores is ever stored.
 * The backward recomputes each weight from the saved log-sum-exp (FlashAttention-2, Algorithm 2),
 * or reads it from the forward's weights when given. Heads may sit anywhere in their arrays
 * (AttentionLayout). Extra memory: O(dv) for the forward, one head's dk and dv in float64 for
 * the backward.
 */

type Tensor4 = 'q' | 'k' | 'v' | 'out';

/**
 * Offset of row i of head b of q, k, v or out (their gradients share it): the layout's when
 * given (see {@link AttentionHeadLayout}), else contiguous [bh, t, width].
 */
function rowAt(p: AttentionParams, which: Tensor4, b: number, i: number): number {
  const l = p.layout;
  if (l === undefined || l === null) {
    const t = which === 'q' || which === 'out' ? p.tq : p.tk;
    const width = which === 'q' || which === 'k' ? p.d : p.dv;
    return (b * t + i) * width;
  }
  const h: AttentionHeadLayout = l[which];
  return h.offset + Math.floor(b / l.heads) * h.strideB + (b % l.heads) * h.strideH + i * h.strideT;
}

/** Offset of head b's mask rows (layout on {@link AttentionMaskLayout}). */
function maskBase(m: AttentionMaskLayout, b: number): number {
  return Math.floor(b / m.heads) * m.strideB + (b % m.heads) * m.strideH;
}

/** scale·q_i·k_j, or −∞ when key j is blocked for query i (causal bound, then the mask). */
function score(p: AttentionParams, b: number, i: number, j: number): number {
  if (p.causal && j > i) return Number.NEGATIVE_INFINITY;
  const m = p.mask;
  if (m !== null && m.data[maskBase(m, b) + i * m.strideQ + j] === 0) return Number.NEGATIVE_INFINITY;
  const { d, q, k } = p;
  const qo = rowAt(p, 'q', b, i);
  const ko = rowAt(p, 'k', b, j);
  let s = 0;
  for (let x = 0; x < d; x++) s += q[qo + x] * k[ko + x];
  return s * p.scale;
}

export function attentionForwardJs(
  p: AttentionParams,
  out: FloatArray,
  lse: FloatArray,
  weights: FloatArray | null = null,
): void {
  const { bh, tq, tk, dv, v } = p;
  const o = new Float64Array(dv);
  for (let b = 0; b < bh; b++) {
    for (let i = 0; i < tq; i++) {
      let m = Number.NEGATIVE_INFINITY;
      let l = 0;
      o.fill(0);
      for (let j = 0; j < tk; j++) {
        const s = score(p, b, i, j);
        if (s === Number.NEGATIVE_INFINITY) continue;
        const vo = rowAt(p, 'v', b, j);
        if (s > m) {
          // A new maximum: rescale what was summed against the old one (exp(−∞) = 0 at first).
          const c = Math.exp(m - s);
          l = l * c + 1;
          for (let x = 0; x < dv; x++) o[x] = o[x] * c + v[vo + x];
          m = s;
        } else {
          const e = Math.exp(s - m);
          l += e;
          for (let x = 0; x < dv; x++) o[x] += e * v[vo + x];
        }
      }
      const row = b * tq + i;
      const oo = rowAt(p, 'out', b, i);
      if (l > 0 || Number.isNaN(l)) {
        for (let x = 0; x < dv; x++) out[oo + x] = o[x] / l;
        lse[row] = m + Math.log(l);
      } else {
        // No allowed key: zero output and L = −∞, which the backward reads as "no gradient".
        for (let x = 0; x < dv; x++) out[oo + x] = 0;
        lse[row] = Number.NEGATIVE_INFINITY;
      }
      if (weights !== null) {
        // w_ij = exp(s_ij − lse_i): a second pass over the row's scores (0 where blocked).
        const l = lse[row];
        for (let j = 0; j < tk; j++) {
          const s = score(p, b, i, j);
          weights[row * tk + j] =
            s === Number.NEGATIVE_INFINITY || l === Number.NEGATIVE_INFINITY ? 0 : Math.exp(s - l);
        }
      }
    }
  }
}

export function attentionBackwardJs(
  p: AttentionParams,
  out: FloatArray,
  lse: FloatArray,
  gradOut: FloatArray,
  dq: FloatArray,
  dk: FloatArray,
  dv: FloatArray,
  weights: FloatArray | null = null,
  gradWeights: FloatArray | null = null,
): void {
  const { bh, tq, tk, d, dv: nv, scale, q, k, v } = p;
  if (gradWeights !== null && weights === null) {
    throw new Error('attentionBackward: gradWeights needs the weights');
  }
  /** p_ij: the saved weight, or recomputed from the log-sum-exp. */
  const weight = (b: number, i: number, j: number, lseI: number): number => {
    if (weights !== null) return weights[(b * tq + i) * tk + j];
    const s = score(p, b, i, j);
    return s === Number.NEGATIVE_INFINITY ? 0 : Math.exp(s - lseI);
  };
  const dqRow = new Float64Array(d);
  const dkHead = new Float64Array(tk * d);
  const dvHead = new Float64Array(tk * nv);
  for (let b = 0; b < bh; b++) {
    dkHead.fill(0);
    dvHead.fill(0);
    for (let i = 0; i < tq; i++) {
      const row = b * tq + i;
      const qo = rowAt(p, 'q', b, i);
      const go = rowAt(p, 'out', b, i);
      dqRow.fill(0);
      const lseI = lse[row];
      if (lseI !== Number.NEGATIVE_INFINITY) {
        let dI = 0; // D_i = dO_i · O_i (+ Σ_j p_ij·gW_ij)
        for (let x = 0; x < nv; x++) dI += gradOut[go + x] * out[go + x];
        if (gradWeights !== null)
          for (let j = 0; j < tk; j++) dI += weight(b, i, j, lseI) * gradWeights[row * tk + j];
        for (let j = 0; j < tk; j++) {
          const pij = weight(b, i, j, lseI);
          if (pij === 0) continue;
          const ko = rowAt(p, 'k', b, j);
          const vo = rowAt(p, 'v', b, j);
          let dp = 0; // dP_ij = dO_i · v_j
          for (let x = 0; x < nv; x++) {
            dvHead[j * nv + x] += pij * gradOut[go + x];
            dp += gradOut[go + x] * v[vo + x];
          }
          if (gradWeights !== null) dp += gradWeights[row * tk + j];
          const ds = pij * (dp - dI) * scale;
          for (let x = 0; x < d; x++) {
            dqRow[x] += ds * k[ko + x];
            dkHead[j * d + x] += ds * q[qo + x];
          }
        }
      }
      for (let x = 0; x < d; x++) dq[qo + x] = dqRow[x];
    }
    for (let j = 0; j < tk; j++) {
      dk.set(dkHead.subarray(j * d, (j + 1) * d), rowAt(p, 'k', b, j));
      dv.set(dvHead.subarray(j * nv, (j + 1) * nv), rowAt(p, 'v', b, j));
    }
  }
}
