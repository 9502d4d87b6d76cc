import { attach } from '../autograd/engine.js';
import type { AttentionHeadLayout, AttentionParams } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import { allocateUninit, Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../util/errors.js';
import { asDType, promote } from './broadcast.js';
import { attentionMaskLayout, type FlashAttentionOptions, keepsWeights } from './flash-attention.js';

/**
 * Multi-head {@link flashAttention} on the layout projections produce, with the heads side by
 * side on the last axis: q [B, Tq, H·d], k [B, Tk, H·d], v [B, Tk, H·dv] → [B, Tq, H·dv], head h
 * being columns h·d … (h+1)·d − 1 (h·dv … for v and the output). The same function as
 *   merge(flashAttention(split(q), split(k), split(v)))
 * with split = reshape to [B, T, H, d] and permute to [B, H, T, d], and merge its inverse, which
 * stays the reference; but the kernels read and write every head in place (AttentionLayout), so
 * the four head copies forward and four backward never happen. `mask` broadcasts against the
 * scores [B, H, Tq, Tk]. Saves q, k, v, the output and the row log-sum-exp (and the
 * weights when {@link keepsWeights} says so).
 */
export function flashAttentionHeads(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  numHeads: number,
  options: FlashAttentionOptions = {},
): Tensor {
  const op = 'flashAttentionHeads';
  const h = numHeads;
  const ok =
    Number.isInteger(h) &&
    h > 0 &&
    q.ndim === 3 &&
    k.ndim === 3 &&
    v.ndim === 3 &&
    k.shape[0] === q.shape[0] &&
    v.shape[0] === q.shape[0] &&
    k.shape[1] === v.shape[1] &&
    k.shape[2] === q.shape[2] &&
    q.shape[2] % h === 0 &&
    v.shape[2] % h === 0;
  if (!ok) {
    throw new ShapeError(
      `${op}: expected q [B, Tq, H·d], k [B, Tk, H·d], v [B, Tk, H·dv] with H = ${numHeads}; got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}`,
    );
  }
  const [batch, tq, e] = q.shape;
  const [tk, ev] = [k.shape[1], v.shape[2]];
  const dims = { batch, heads: h, tq, tk, d: e / h, dv: ev / h };
  return runHeads(
    op,
    [q, k, v],
    [view(0, 0, tq, e, dims.d), view(1, 0, tk, e, dims.d), view(2, 0, tk, ev, dims.dv)],
    dims,
    options,
  );
}

/**
 * {@link flashAttentionHeads} for self-attention from one packed projection, as
 * nn.MultiheadAttention's in_proj makes it: qkv [B, T, 3·H·d] = [Q | K | V] on the last axis →
 * [B, T, H·d]; the same as flashAttentionHeads(...split(qkv, H·d, −1)) without the split and
 * with one gradient buffer for all three (dq, dk and dv land in their columns of it).
 */
export function flashSelfAttentionPacked(
  qkv: Tensor,
  numHeads: number,
  options: FlashAttentionOptions = {},
): Tensor {
  const op = 'flashSelfAttentionPacked';
  const h = numHeads;
  if (!(Number.isInteger(h) && h > 0 && qkv.ndim === 3 && qkv.shape[2] % (3 * h) === 0)) {
    throw new ShapeError(
      `${op}: expected qkv [B, T, 3·H·d] with H = ${numHeads}; got ${fmtShape(qkv.shape)}`,
    );
  }
  const [batch, t, w] = qkv.shape;
  const e = w / 3;
  const d = e / h;
  const dims = { batch, heads: h, tq: t, tk: t, d, dv: d };
  return runHeads(
    op,
    [qkv],
    [view(0, 0, t, w, d), view(0, e, t, w, d), view(0, 2 * e, t, w, d)],
    dims,
    options,
  );
}

interface HeadDims {
  batch: number;
  heads: number;
  tq: number;
  tk: number;
  d: number;
  dv: number;
}

/** Which input a head tensor lives in, and where (its {@link AttentionHeadLayout}). */
interface HeadView {
  input: number;
  layout: AttentionHeadLayout;
}

/** Heads of width `headWidth` starting at column `offset` of an input [B, t, width]. */
function view(input: number, offset: number, t: number, width: number, headWidth: number): HeadView {
  return { input, layout: { offset, strideB: t * width, strideH: headWidth, strideT: width } };
}

/** The fused kernels over views into `inputs`; the output is [B, Tq, H·dv]. */
function runHeads(
  op: string,
  inputs: readonly Tensor[],
  [qv, kv, vv]: readonly [HeadView, HeadView, HeadView],
  { batch, heads, tq, tk, d, dv }: HeadDims,
  options: FlashAttentionOptions,
): Tensor {
  const scale = options.scale ?? 1 / Math.sqrt(d);
  if (!Number.isFinite(scale)) throw new HeedError(`${op}: scale must be finite, got ${scale}`);
  const dtype = inputs.map((t) => t.dtype).reduce(promote);
  const data = inputs.map((t) => asDType(t, dtype).data);
  const be = backendFor(dtype);
  const bh = batch * heads;
  const ev = heads * dv;
  const mask =
    options.mask === undefined ? null : attentionMaskLayout(op, options.mask, [batch, heads], tq, tk);
  const p: AttentionParams = {
    bh,
    tq,
    tk,
    d,
    dv,
    scale,
    causal: options.causal ?? false,
    q: data[qv.input],
    k: data[kv.input],
    v: data[vv.input],
    mask,
    layout: {
      heads,
      q: qv.layout,
      k: kv.layout,
      v: vv.layout,
      out: { offset: 0, strideB: tq * ev, strideH: dv, strideT: ev },
    },
  };
  const out = allocateUninit(dtype, batch * tq * ev); // every row is written (0 when fully masked)
  const lse = allocateUninit(dtype, bh * tq); // L: the row log-sum-exp, −∞ for a fully masked row
  // Weights kept for the backward (see keepsWeights; none by default) are written in full.
  const w = keepsWeights(bh, tq, tk) ? allocateUninit(dtype, bh * tq * tk) : null;
  be.attentionForward(p, out, lse, w);
  return attach(new Tensor(out, [batch, tq, ev]), op, inputs, (g) => {
    // The views tile each input, and the backward writes every row of dq, dk and dv.
    const grads = inputs.map((t) => allocateUninit(dtype, t.size));
    be.attentionBackward(
      p,
      out,
      lse,
      asDType(g, dtype).data,
      grads[qv.input],
      grads[kv.input],
      grads[vv.input],
      w,
    );
    return inputs.map((t, i) => asDType(new Tensor(grads[i], t.shape), t.dtype));
  });
}
