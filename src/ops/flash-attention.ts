import { attach } from '../autograd/engine.js';
import type { AttentionMaskLayout, AttentionParams } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import type { Mask } from '../tensor/mask.js';
import { allocate, allocateUninit, shapeSize, Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../util/errors.js';
import { asDType, broadcastShapes, padShape, promote } from './broadcast.js';
import { attachOutputs } from './multi-output.js';
import { expand } from './shape.js';

export interface FlashAttentionOptions {
  /** Query i sees keys 0..i (top-left aligned, as PyTorch's `is_causal`); combines with `mask`. */
  causal?: boolean;
  /** The factor on q·kᵀ (default 1/√D). */
  scale?: number;
  /** true = attention ALLOWED (heed's convention); broadcasts against the scores [..., Tq, Tk]. */
  mask?: Mask;
}

/**
 * Scaled dot-product attention as one fused op (FlashAttention, Dao et al. 2022):
 *   flashAttention(q, k, v) = softmax(q·kᵀ·scale, masked)·v
 * q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv] (leading axes broadcast) → [..., Tq, Dv].
 *
 * The same function as the context of the composed attention (`composedAttention` in
 * src/nn/attention/sdpa.ts, which stays the reference), but the [..., Tq, Tk] scores are never
 * stored: the kernels work through tiles with an online softmax and keep only the row
 * log-sum-exp L [..., Tq]. A query whose keys are all masked
 * gets a zero output and zero gradients, never NaN. {@link flashAttentionWithWeights} also
 * returns the weights.
 *
 * Backward (FlashAttention-2, Algorithm 2): recomputes the weights tile by tile from L.
 * Saves q, k, v, the output and L (and the weights when {@link keepsWeights} says so, which the
 * backward then reads instead).
 */
export function flashAttention(q: Tensor, k: Tensor, v: Tensor, options: FlashAttentionOptions = {}): Tensor {
  return runFlash('flashAttention', q, k, v, options, false).context;
}

/** The context and the attention weights. */
export interface AttentionWithWeights {
  context: Tensor;
  weights: Tensor;
}

/**
 * {@link flashAttention} that also returns the attention weights, as one node:
 *   W = softmax(q·kᵀ·scale, masked),  context = W·v
 * → { context [..., Tq, Dv], weights [..., Tq, Tk] }: the same function as the composition
 * `attend(mul(matmul(q, k, { transB: true }), scale), v, mask)` that scaledDotProductAttention
 * keeps as its reference, which holds three [..., Tq, Tk] arrays through the backward (scores,
 * scaled scores, weights) and allocates three more in it. This holds one, the weights, written by
 * the forward kernel; the backward reads them instead of recomputing them and allocates no
 * [..., Tq, Tk] array at all. The weights may get a gradient of their own (a loss on them):
 *   dS = W ⊙ (G·vᵀ + G_W − rowsum(W ⊙ (G·vᵀ + G_W))).
 * Saves q, k, v, the output, L and the weights.
 */
export function flashAttentionWithWeights(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: FlashAttentionOptions = {},
): AttentionWithWeights {
  const r = runFlash('flashAttentionWithWeights', q, k, v, options, true);
  if (r.weights === null) throw new HeedError('flashAttentionWithWeights: no weights'); // unreachable
  return { context: r.context, weights: r.weights };
}

function runFlash(
  op: string,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: FlashAttentionOptions,
  withWeights: boolean,
): { context: Tensor; weights: Tensor | null } {
  if (
    q.ndim < 2 ||
    k.ndim < 2 ||
    v.ndim < 2 ||
    k.shape[k.ndim - 1] !== q.shape[q.ndim - 1] ||
    k.shape[k.ndim - 2] !== v.shape[v.ndim - 2]
  ) {
    throw new ShapeError(
      `${op}: expected q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv]; got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}`,
    );
  }
  const tq = q.shape[q.ndim - 2];
  const d = q.shape[q.ndim - 1];
  const tk = k.shape[k.ndim - 2];
  const dv = v.shape[v.ndim - 1];
  const batch = broadcastShapes(
    op,
    broadcastShapes(op, q.shape.slice(0, -2), k.shape.slice(0, -2)),
    v.shape.slice(0, -2),
  );
  const scale = options.scale ?? 1 / Math.sqrt(d);
  if (!Number.isFinite(scale)) throw new HeedError(`${op}: scale must be finite, got ${scale}`);
  const bh = shapeSize(batch);
  const mask = options.mask === undefined ? null : attentionMaskLayout(op, options.mask, batch, tq, tk);

  // Inputs whose leading axes are broadcast are expanded (the expand carries the gradient back).
  const fit = (t: Tensor): Tensor =>
    t.ndim - 2 === batch.length && t.shape.every((n, i) => i >= batch.length || n === batch[i])
      ? t
      : expand(t, [...batch, ...t.shape.slice(-2)]);
  const [qe, ke, ve] = [fit(q), fit(k), fit(v)];
  const dtype = promote(promote(qe.dtype, ke.dtype), ve.dtype);
  const be = backendFor(dtype);
  const p: AttentionParams = {
    bh,
    tq,
    tk,
    d,
    dv,
    scale,
    causal: options.causal ?? false,
    q: asDType(qe, dtype).data,
    k: asDType(ke, dtype).data,
    v: asDType(ve, dtype).data,
    mask,
  };
  // The kernels write every row of out and L, and every weight (0 where blocked).
  const out = allocateUninit(dtype, bh * tq * dv);
  const lse = allocateUninit(dtype, bh * tq); // L: the row log-sum-exp, −∞ for a fully masked row
  const w = withWeights || keepsWeights(bh, tq, tk) ? allocateUninit(dtype, bh * tq * tk) : null;
  be.attentionForward(p, out, lse, w);
  const context = new Tensor(out, [...batch, tq, dv]);
  const inputs = [qe, ke, ve];
  /** dq, dk, dv from the context's gradient (null: none reached it) and the weights'. */
  const grads = (g: Tensor | null, gw: Tensor | null): Tensor[] => {
    // Overwritten in full by the backward.
    const dq = allocateUninit(dtype, bh * tq * d);
    const dk = allocateUninit(dtype, bh * tk * d);
    const dvOut = allocateUninit(dtype, bh * tk * dv);
    const gd = g === null ? allocate(dtype, bh * tq * dv) : asDType(g, dtype).data;
    be.attentionBackward(p, out, lse, gd, dq, dk, dvOut, w, gw === null ? null : asDType(gw, dtype).data);
    return [new Tensor(dq, qe.shape), new Tensor(dk, ke.shape), new Tensor(dvOut, ve.shape)];
  };
  if (!withWeights) return { context: attach(context, op, inputs, (g) => grads(g, null)), weights: null };
  if (w === null) throw new HeedError(`${op}: no weights`); // unreachable: allocated above
  const weights = new Tensor(w, [...batch, tq, tk]);
  const [c, wt] = attachOutputs(op, [context, weights], ['context', 'weights'], inputs, ([g, gw]) =>
    grads(g, gw),
  );
  return { context: c, weights: wt };
}

/**
 * Whether the fused op keeps the weights of a problem for its backward even when they are not
 * asked for: up to the limit {@link setKeptWeightsLimit} sets, by default none. The backward
 * then reads them instead of recomputing them (four tile products instead of five, and no exp).
 * That is faster for the kernels alone, but in training writing the [..., Tq, Tk] array and
 * reading it back from memory costs more: GPT's steps (B·H 48, T 64: 786 KB a layer) took
 * 1–2% longer keeping them, at 1 and at 2 threads (BENCHMARKS.md).
 */
export function keepsWeights(bh: number, tq: number, tk: number): boolean {
  return bh * tq * tk <= keptWeightsMax;
}

let keptWeightsMax = 0;

/**
 * Sets the largest problem, in weights, whose weights the fused ops keep ({@link keepsWeights});
 * 0 keeps none. Returns the previous limit. Lets tests run both backward paths.
 */
export function setKeptWeightsLimit(max: number): number {
  const previous = keptWeightsMax;
  keptWeightsMax = max;
  return previous;
}

/**
 * A boolean mask's layout over the flattened heads ({@link AttentionMaskLayout}). Masks whose
 * batch axes are kept in one leading run and broadcast in the rest, or the reverse (every mask
 * multi-head attention builds: [Tq, Tk], [B, 1, 1, Tk], [B, 1, Tq, Tk], [B, H, Tq, Tk]) are read
 * in place; any other is expanded to [BH, Tq or 1, Tk] bytes.
 */
export function attentionMaskLayout(
  op: string,
  mask: Mask,
  batch: readonly number[],
  tq: number,
  tk: number,
): AttentionMaskLayout {
  const target = [...batch, tq, tk];
  const rank = target.length;
  const ms = padShape(mask.shape, Math.max(rank, mask.shape.length));
  if (ms.length > rank || ms.some((n, i) => n !== 1 && n !== target[i])) {
    throw new ShapeError(
      `${op}: mask ${fmtShape(mask.shape)} does not broadcast against the scores ${fmtShape(target)}`,
    );
  }
  const mq = ms[rank - 2];
  const block = mq * tk; // mask bytes per head it holds
  const strideQ = mq === 1 ? 0 : tk;
  // Batch axes that matter (size > 1), each kept by the mask or broadcast; two runs at most.
  const axes = batch.map((n, i) => ({ n, kept: ms[i] === n })).filter((a) => a.n > 1);
  let cut = 0;
  while (cut < axes.length && axes[cut].kept === axes[0].kept) cut++;
  const inner = axes.slice(cut);
  const inPlace = ms[rank - 1] === tk && inner.every((a) => a.kept === inner[0].kept);
  if (inPlace) {
    const outerKept = cut > 0 && axes[0].kept;
    const innerKept = inner.length > 0 && inner[0].kept;
    return {
      data: mask.data,
      heads: inner.reduce((h, a) => h * a.n, 1),
      strideB: outerKept ? block : 0,
      strideH: innerKept ? block : 0,
      strideQ,
    };
  }
  return { data: expandMask(mask, ms, [...batch, mq, tk]), heads: 1, strideB: block, strideH: 0, strideQ };
}

/** The bytes of `mask` (padded shape `ms`) broadcast to `shape`, row-major. */
function expandMask(mask: Mask, ms: readonly number[], shape: readonly number[]): Uint8Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  for (let i = rank - 1, acc = 1; i >= 0; i--) {
    strides[i] = ms[i] === 1 ? 0 : acc;
    acc *= ms[i];
  }
  const out = new Uint8Array(shapeSize(shape));
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = mask.data[src];
    for (let i = rank - 1; i >= 0; i--) {
      src += strides[i];
      if (++idx[i] < shape[i]) break;
      src -= idx[i] * strides[i];
      idx[i] = 0;
    }
  }
  return out;
}
