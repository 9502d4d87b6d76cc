import type { Backend, FloatArray } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import type { Mask } from '../tensor/mask.js';
import { allocate, type DType, Tensor } from '../tensor/tensor.js';
import { fmtShape, ShapeError } from '../util/errors.js';
import { asDType } from './broadcast.js';
import { gemmAt, PackedWeight } from './gemm-call.js';
import { attachOutputs } from './multi-output.js';
import { batchMajor, broadcastRows, timeMajor } from './recurrence.js';

/**
 * Seed 001's attentive GRU decoder over a whole teacher-forced target as ONE autograd node: at
 * every step t, with s = s_{t−1} the state before it,
 *   scores    e_t = score(s, keys)                      [B, Ts]  (padding → −∞)
 *   weights   α_t = softmax(e_t)                         [B, Ts]
 *   context   c_t = α_t · values                         [B, Dv]
 *   GRU       s_t = GRU(xProj_t + c_t·W_cᵀ, s)           (b_hh inside, as gruCellForward)
 * where score is 'dot' (keys [B, Ts, H]: e = keys·s) or 'additive'
 * (keys = W₂h + b [B, Ts, A]: e = v·tanh(keys + W₁s)). It is the composition of Seed001Decoder's
 * step loop (src/models/seq2seq/decoder.ts), which stays the reference; same results.
 *
 * Why one node: the composed loop runs ~15 small ops per step forward and as many backward, and
 * every parameter it touches (W_c, W_hh, W₁, v, the keys and values) gets a full-size gradient
 * per step that is then summed. Here the work that does not need s_{t−1} leaves the loop:
 * - the context's share of the GRU input is linear in α, so c_t·W_cᵀ = α_t·(values·W_cᵀ): the
 *   projection P = values·W_cᵀ [B, Ts, 3H] is one GEMM, and each step adds the small product α_t·P;
 * - the contexts c = α·values are one batched GEMM after the loop, as are their gradients;
 * - every weight gradient is one GEMM over all steps (dW_hh = Σ_t dz_tᵀ·s_{t−1}, likewise W₁, W_c).
 * Per step there remain the state's two products (s·W₁ᵀ, s·W_hhᵀ, and their transposes backward),
 * the scores, the softmax and the cell. Additive scores run fused (Backend.additiveScores): the
 * [B, Ts, A] energies of a step are never stored, and the backward recomputes them.
 */

/** How a decoder state is compared with the keys. */
export type AttentiveGruScore =
  | { kind: 'dot' }
  | {
      kind: 'additive';
      /** W₁ [A, H] (AdditiveScore.queryProj.weight). */
      queryWeight: Tensor;
      /** v as [1, A] (AdditiveScore.energy.weight). */
      energy: Tensor;
    };

export interface AttentiveGruInputs {
  /** The input's projection without the context, E·y_{t−1}·W_eᵀ + b_ih, [B, Tt, 3H]. */
  xProj: Tensor;
  /** s_0 [B, H]. */
  h0: Tensor;
  /** W_hh [3H, H]. */
  weightHh: Tensor;
  /** b_hh [3H], or null. */
  biasHh: Tensor | null;
  /** W_c [3H, Dv]: the columns of W_ih that read the context. */
  weightC: Tensor;
  /** [B, Ts, H] for 'dot', [B, Ts, A] for 'additive'. */
  keys: Tensor;
  /** [B, Ts, Dv] (may be `keys` itself). */
  values: Tensor;
  /** [B, 1, Ts] or [B, Ts], true at real source tokens; null: none masked. */
  mask: Mask | null;
  score: AttentiveGruScore;
}

export interface AttentiveGruResult {
  /** s_1 … s_Tt [B, Tt, H]. */
  hidden: Tensor;
  /** c_1 … c_Tt [B, Tt, Dv]. */
  context: Tensor;
  /** α_1 … α_Tt [B, Tt, Ts]. */
  weights: Tensor;
}

interface Dims {
  batch: number;
  steps: number;
  srcLen: number;
  hidden: number;
  /** 3H. */
  width: number;
  /** Dv. */
  valueDim: number;
  /** H for 'dot', A for 'additive'. */
  keyDim: number;
  dtype: DType;
}

/** See the file comment. */
export function attentiveGru(inp: AttentiveGruInputs): AttentiveGruResult {
  const dims = checkDims(inp);
  const { batch, steps, srcLen, hidden, width, valueDim, keyDim, dtype } = dims;
  const be = backendFor(dtype);
  const data = (t: Tensor): FloatArray => asDType(t, dtype).data;
  const additive = inp.score.kind === 'additive' ? inp.score : null;
  const bh = batch * hidden;
  const bw = batch * width;
  const bs = batch * srcLen;
  const at = (buf: FloatArray, t: number, n: number): FloatArray => buf.subarray(t * n, (t + 1) * n);

  const keys = data(inp.keys);
  const values = data(inp.values);
  const wC = data(inp.weightC);
  const wHh = data(inp.weightHh);
  const bHh = inp.biasHh === null ? null : data(inp.biasHh);
  const wQ = additive === null ? null : data(additive.queryWeight);
  // Both are met by the state at every step: packed once (forward, and transposed for backward).
  const packedHh = new PackedWeight(be, wHh, width, hidden, steps);
  const packedQ = wQ === null ? null : new PackedWeight(be, wQ, keyDim, hidden, steps);
  const v = additive === null ? null : data(additive.energy);
  const masked = maskedIndices(inp.mask, batch, srcLen);

  // P = values·W_cᵀ [B·Ts, 3H]; the GRU input of step t is xProj_t + α_t·P (per batch row).
  const proj = allocate(dtype, bs * width);
  gemmAt(be, values, 0, wC, 0, proj, 0, bs, width, valueDim, false, true, 0);
  const gx = timeMajor(be, data(inp.xProj), batch, steps, width, dtype); // [Tt, B, 3H]
  const hProj = allocate(dtype, steps * bw); // s_{t−1}·W_hhᵀ + b_hh
  if (bHh !== null) broadcastRows(be, bHh, hProj, steps * batch, width);
  const act = allocate(dtype, steps * bw); // [r | z | n] per step
  const hs = allocate(dtype, (steps + 1) * bh); // s_0 … s_Tt, time-major
  hs.set(data(inp.h0));
  const alphas = allocate(dtype, steps * bs); // [Tt, B, Ts]
  const qs = additive === null ? null : allocate(dtype, steps * batch * keyDim); // W₁s per step [Tt, B, A]
  for (let t = 0; t < steps; t++) {
    const s = at(hs, t, bh);
    const alpha = at(alphas, t, bs);
    if (qs !== null && packedQ !== null && v !== null) {
      const q = at(qs, t, batch * keyDim);
      packedQ.timesT(s, batch, q, 0); // W₁s [B, A]
      be.additiveScores(q, keys, v, batch, 1, srcLen, keyDim, alpha); // v·tanh(W₁s + keys) [B, Ts]
    } else {
      batchedGemm(
        be,
        batch,
        keys,
        srcLen * keyDim,
        s,
        hidden,
        alpha,
        srcLen,
        srcLen,
        1,
        keyDim,
        false,
        false,
        0,
      );
    }
    for (const i of masked) alpha[i] = Number.NEGATIVE_INFINITY;
    be.softmax(alpha, batch, srcLen, alpha, false);
    batchedGemm(
      be,
      batch,
      alpha,
      srcLen,
      proj,
      srcLen * width,
      gx,
      width,
      1,
      width,
      srcLen,
      false,
      false,
      1,
      t * bw,
    );
    packedHh.timesT(s, batch, at(hProj, t, bw), bHh === null ? 0 : 1);
    be.gruCellForward(at(gx, t, bw), at(hProj, t, bw), s, batch, hidden, at(act, t, bw), at(hs, t + 1, bh));
  }
  const hiddenOut = batchMajor(be, hs.subarray(bh), batch, steps, hidden, dtype);
  const weightsOut = batchMajor(be, alphas, batch, steps, srcLen, dtype); // [B, Tt, Ts]
  const contextOut = allocate(dtype, batch * steps * valueDim);
  batchedGemm(
    be,
    batch,
    weightsOut,
    steps * srcLen,
    values,
    srcLen * valueDim,
    contextOut,
    steps * valueDim,
    steps,
    valueDim,
    srcLen,
    false,
    false,
    0,
  );

  const outs = [
    new Tensor(hiddenOut, [batch, steps, hidden]),
    new Tensor(contextOut, [batch, steps, valueDim]),
    new Tensor(weightsOut, [batch, steps, srcLen]),
  ];
  const shared = inp.values === inp.keys;
  const inputs: Tensor[] = [inp.xProj, inp.h0, inp.weightHh, inp.weightC, inp.keys];
  if (!shared) inputs.push(inp.values);
  if (inp.biasHh !== null) inputs.push(inp.biasHh);
  if (additive !== null) inputs.push(additive.queryWeight, additive.energy);

  const attached = attachOutputs('attentiveGru', outs, ['hidden', 'context', 'weights'], inputs, (grads) => {
    const [gHidden, gContext, gWeights] = grads.map((x) => (x === null ? null : asDType(x, dtype).data));
    // dα from the weights' own gradient and from the contexts (dα_b += dc_b·values_bᵀ).
    const dAlpha = gWeights === null ? allocate(dtype, steps * bs) : gWeights.slice();
    const dValues = allocate(dtype, bs * valueDim);
    if (gContext !== null) {
      batchedGemm(
        be,
        batch,
        gContext,
        steps * valueDim,
        values,
        srcLen * valueDim,
        dAlpha,
        steps * srcLen,
        steps,
        srcLen,
        valueDim,
        false,
        true,
        1,
      );
      batchedGemm(
        be,
        batch,
        weightsOut,
        steps * srcLen,
        gContext,
        steps * valueDim,
        dValues,
        srcLen * valueDim,
        srcLen,
        valueDim,
        steps,
        true,
        false,
        0,
      );
    }
    const dAlphaT = timeMajor(be, dAlpha, batch, steps, srcLen, dtype); // [Tt, B, Ts]
    // dh_t accumulates in dOut (time-major): the hidden output's gradient, then what step t+1 sends back.
    const dOut =
      gHidden === null ? allocate(dtype, steps * bh) : timeMajor(be, gHidden, batch, steps, hidden, dtype);
    const dh0 = allocate(dtype, bh);
    const dGx = allocate(dtype, steps * bw); // of each step's GRU input (so of xProj and of α·P)
    const dHp = allocate(dtype, steps * bw); // of each step's hProj
    const dq = additive === null ? null : allocate(dtype, steps * batch * keyDim); // of W₁s, per step
    const dScores = additive === null ? allocate(dtype, steps * bs) : null; // dot: kept for dKeys
    const dKeys = allocate(dtype, bs * keyDim);
    const dv = additive === null ? null : allocate(dtype, keyDim);
    const de = allocate(dtype, bs);
    for (let t = steps - 1; t >= 0; t--) {
      const s = at(hs, t, bh);
      const dh = at(dOut, t, bh);
      const target = t > 0 ? at(dOut, t - 1, bh) : dh0; // receives ds_{t−1}
      const dGxT = at(dGx, t, bw);
      const dHpT = at(dHp, t, bw);
      // dh is overwritten by its direct part dh ⊙ z (the kernel reads each value first).
      be.gruCellBackward(at(act, t, bw), at(hProj, t, bw), s, dh, batch, hidden, dGxT, dHpT, dh);
      be.binary('add', target, [batch, hidden], dh, [batch, hidden], target, [batch, hidden]);
      packedHh.times(dHpT, batch, target, 1);
      // dα_t = (given) + P_b·dgx_b; then through the softmax to the scores.
      de.set(at(dAlphaT, t, bs));
      batchedGemm(
        be,
        batch,
        proj,
        srcLen * width,
        dGxT,
        width,
        de,
        srcLen,
        srcLen,
        1,
        width,
        false,
        false,
        1,
      );
      be.softmaxBackward(at(alphas, t, bs), de, batch, srcLen, de, false);
      if (dq !== null && dv !== null && qs !== null && packedQ !== null && v !== null) {
        // dW₁s_t = Σ_s e, dKeys += e, dv += Σ de·tanh, with e = de·v ⊙ (1 − tanh²).
        const dqT = at(dq, t, batch * keyDim);
        be.additiveScoresBackward(
          at(qs, t, batch * keyDim),
          keys,
          v,
          de,
          batch,
          1,
          srcLen,
          keyDim,
          dqT,
          dKeys,
          dv,
        );
        packedQ.times(dqT, batch, target, 1);
      } else if (dScores !== null) {
        at(dScores, t, bs).set(de);
        batchedGemm(
          be,
          batch,
          de,
          srcLen,
          keys,
          srcLen * keyDim,
          target,
          hidden,
          1,
          keyDim,
          srcLen,
          false,
          false,
          1,
        );
      }
    }
    const need = (x: Tensor | null): x is Tensor => x?.requiresGrad === true;
    const grad = (x: Tensor, buf: FloatArray): Tensor => asDType(new Tensor(buf, x.shape), x.dtype);
    const dXProj = batchMajor(be, dGx, batch, steps, width, dtype); // [B, Tt, 3H]
    // dP_b = α_bᵀ·dgx_b; then W_c and the values through P = values·W_cᵀ.
    const dP = allocate(dtype, bs * width);
    batchedGemm(
      be,
      batch,
      weightsOut,
      steps * srcLen,
      dXProj,
      steps * width,
      dP,
      srcLen * width,
      srcLen,
      width,
      steps,
      true,
      false,
      0,
    );
    const dWc = need(inp.weightC) ? allocate(dtype, width * valueDim) : null;
    if (dWc !== null) gemmAt(be, dP, 0, values, 0, dWc, 0, width, valueDim, bs, true, false, 0);
    gemmAt(be, dP, 0, wC, 0, dValues, 0, bs, valueDim, width, false, false, 1);
    if (dScores !== null) {
      // dot: dKeys_b = dE_bᵀ·S_b with S_b the states s_0 … s_{Tt−1} of row b.
      const dE = batchMajor(be, dScores, batch, steps, srcLen, dtype);
      const sPrev = batchMajor(be, hs.subarray(0, steps * bh), batch, steps, hidden, dtype);
      batchedGemm(
        be,
        batch,
        dE,
        steps * srcLen,
        sPrev,
        steps * hidden,
        dKeys,
        srcLen * keyDim,
        srcLen,
        keyDim,
        steps,
        true,
        false,
        0,
      );
    }
    if (shared) be.binary('add', dValues, [bs * valueDim], dKeys, [bs * valueDim], dValues, [bs * valueDim]);
    const sPrevRows = hs.subarray(0, steps * bh); // [Tt·B, H]
    const dWhh = need(inp.weightHh) ? allocate(dtype, width * hidden) : null;
    if (dWhh !== null)
      gemmAt(be, dHp, 0, sPrevRows, 0, dWhh, 0, width, hidden, steps * batch, true, false, 0);
    const out: (Tensor | null)[] = [
      need(inp.xProj) ? grad(inp.xProj, dXProj) : null,
      need(inp.h0) ? grad(inp.h0, dh0) : null,
      dWhh === null ? null : grad(inp.weightHh, dWhh),
      dWc === null ? null : grad(inp.weightC, dWc),
      need(inp.keys) ? grad(inp.keys, shared ? dValues : dKeys) : null,
    ];
    if (!shared) out.push(need(inp.values) ? grad(inp.values, dValues) : null);
    if (inp.biasHh !== null) {
      let db: FloatArray | null = null;
      if (need(inp.biasHh)) {
        db = allocate(dtype, width);
        be.reduce('sum', dHp, 1, steps * batch, width, db);
      }
      out.push(db === null ? null : grad(inp.biasHh, db));
    }
    if (additive !== null && dq !== null && dv !== null) {
      let dWq: FloatArray | null = null;
      if (need(additive.queryWeight)) {
        dWq = allocate(dtype, keyDim * hidden);
        gemmAt(be, dq, 0, sPrevRows, 0, dWq, 0, keyDim, hidden, steps * batch, true, false, 0);
      }
      out.push(dWq === null ? null : grad(additive.queryWeight, dWq));
      out.push(need(additive.energy) ? grad(additive.energy, dv) : null);
    }
    return out;
  });
  return { hidden: attached[0], context: attached[1], weights: attached[2] };
}

function checkDims(inp: AttentiveGruInputs): Dims {
  const op = 'attentiveGru';
  const { xProj, h0, keys, values } = inp;
  const expect = (name: string, t: Tensor, want: readonly number[]): void => {
    if (t.ndim !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new ShapeError(`${op}: ${name} has shape ${fmtShape(t.shape)}, expected ${fmtShape(want)}`);
    }
  };
  if (h0.ndim !== 2) throw new ShapeError(`${op}: h0 has shape ${fmtShape(h0.shape)}, expected [B, H]`);
  const [batch, hidden] = h0.shape;
  const width = 3 * hidden;
  if (xProj.ndim !== 3 || !(xProj.shape[1] >= 1)) {
    throw new ShapeError(`${op}: xProj has shape ${fmtShape(xProj.shape)}, expected [B, Tt, 3H] with Tt ≥ 1`);
  }
  const steps = xProj.shape[1];
  expect('xProj', xProj, [batch, steps, width]);
  if (values.ndim !== 3 || !(values.shape[1] >= 1)) {
    throw new ShapeError(
      `${op}: values has shape ${fmtShape(values.shape)}, expected [B, Ts, Dv] with Ts ≥ 1`,
    );
  }
  const [, srcLen, valueDim] = values.shape;
  expect('values', values, [batch, srcLen, valueDim]);
  expect('weightHh', inp.weightHh, [width, hidden]);
  if (inp.biasHh !== null) expect('biasHh', inp.biasHh, [width]);
  expect('weightC', inp.weightC, [width, valueDim]);
  const score = inp.score;
  const keyDim = score.kind === 'additive' ? score.queryWeight.shape[0] : hidden;
  expect('keys', keys, [batch, srcLen, keyDim]);
  if (score.kind === 'additive') {
    expect('queryWeight', score.queryWeight, [keyDim, hidden]);
    expect('energy', score.energy, [1, keyDim]);
  }
  const mask = inp.mask;
  if (mask !== null && mask.size !== batch * srcLen) {
    throw new ShapeError(
      `${op}: mask has shape ${fmtShape(mask.shape)}, expected [B, 1, Ts] = ${fmtShape([batch, 1, srcLen])}`,
    );
  }
  const all = [xProj, h0, keys, values, inp.weightHh, inp.weightC, inp.biasHh];
  if (score.kind === 'additive') all.push(score.queryWeight, score.energy);
  const dtype = all.some((t) => t !== null && t.dtype === 'float64') ? 'float64' : 'float32';
  return { batch, steps, srcLen, hidden, width, valueDim, keyDim, dtype };
}

/** The flat [B·Ts] indices the mask hides. */
function maskedIndices(mask: Mask | null, batch: number, srcLen: number): number[] {
  const out: number[] = [];
  if (mask === null) return out;
  for (let i = 0; i < batch * srcLen; i++) if (mask.data[i] === 0) out.push(i);
  return out;
}

/** `batch` products through the backend's GEMM, element i reading a, b and c at i·stride (c from cOffset). */
function batchedGemm(
  be: Backend,
  batch: number,
  a: FloatArray,
  strideA: number,
  b: FloatArray,
  strideB: number,
  c: FloatArray,
  strideC: number,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  beta: number,
  cOffset = 0,
): void {
  be.gemm({
    batch,
    m,
    n,
    k,
    transA,
    transB,
    alpha: 1,
    beta,
    a,
    aOffset: 0,
    strideA,
    b,
    bOffset: 0,
    strideB,
    c,
    cOffset,
    strideC,
  });
}
