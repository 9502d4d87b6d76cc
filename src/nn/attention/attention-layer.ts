import type { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, ShapeError } from '../../util/errors.js';
import type { InitOptions } from '../init.js';
import { Linear } from '../linear.js';
import { Module } from '../module.js';
import { attend } from './attend.js';
import { checkMaskShape } from './masking.js';
import { dotScores, scaledDotScores } from './scores.js';
import type { Attention, AttentionResult } from './types.js';

export interface AttentionLayerConfig {
  /** Divide the scores by √dK (default false: seed 004's plain softmax(Kᵀq)). */
  scale?: boolean;
  /** Give the three projections a bias (default false: seed 004's k = W_K·x). */
  bias?: boolean;
}

/** The projections and the attention they feed, shared by the two layers below. */
abstract class ProjectedAttention extends Module {
  readonly qProj: Linear;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly scale: boolean;

  constructor(
    protected readonly label: string,
    dQueryIn: number,
    dIn: number,
    readonly dK: number,
    readonly dV: number,
    config: AttentionLayerConfig,
    init?: InitOptions,
  ) {
    super();
    const bias = config.bias ?? false;
    this.qProj = this.addModule('qProj', new Linear(dQueryIn, dK, { bias }, init));
    this.kProj = this.addModule('kProj', new Linear(dIn, dK, { bias }, init));
    this.vProj = this.addModule('vProj', new Linear(dIn, dV, { bias }, init));
    this.scale = config.scale ?? false;
  }

  protected attendInputs(xq: Tensor, xk: Tensor, xv: Tensor, mask: Mask | undefined): AttentionResult {
    const ok = (x: Tensor, d: number): boolean => x.ndim === 3 && x.shape[2] === d;
    if (
      !ok(xq, this.qProj.inFeatures) ||
      !ok(xk, this.kProj.inFeatures) ||
      !ok(xv, this.vProj.inFeatures) ||
      xk.shape[0] !== xq.shape[0] ||
      xv.shape[0] !== xq.shape[0] ||
      xk.shape[1] !== xv.shape[1]
    ) {
      throw new ShapeError(
        `${this.label}: expected queries from [B, Tq, ${this.qProj.inFeatures}], keys from [B, Tk, ${this.kProj.inFeatures}], values from [B, Tk, ${this.vProj.inFeatures}]; got ${fmtShape(xq.shape)}, ${fmtShape(xk.shape)}, ${fmtShape(xv.shape)}`,
      );
    }
    if (mask !== undefined) checkMaskShape(this.label, mask.shape, [xq.shape[0], xq.shape[1], xk.shape[1]]);
    const q = this.qProj.forward(xq); // [B, Tq, dK]   q_j = W_Q x′_j
    const k = this.kProj.forward(xk); // [B, Tk, dK]   k_i = W_K x_i
    const v = this.vProj.forward(xv); // [B, Tk, dV]   v_i = W_V x_i
    const scores = this.scale ? scaledDotScores(q, k) : dotScores(q, k); // [B, Tq, Tk]  (Kᵀq_j per row)
    return attend(scores, v, mask); // α_:j = softmax(Kᵀq_j), c_j = V·α_:j
  }
}

/**
 * The attention layer of seed 004, "attention without RNN": C = Attn(X, X′).
 * Keys and values come from the encoder's inputs X = [x_1 … x_m] (k_i = W_K x_i, v_i = W_V x_i),
 * queries from the decoder's inputs X′ = [x′_1 … x′_t] (q_j = W_Q x′_j); then
 * α_:j = softmax(Kᵀq_j) ∈ ℝ^m and c_j = V·α_:j, one context per decoder input.
 * Parameters `qProj` (W_Q: dQueryIn → dK), `kProj` (W_K: dIn → dK), `vProj` (W_V: dIn → dV).
 * No 1/√dK scaling unless `scale: true` (the seed has none; Transformers add it).
 */
export class AttentionLayer extends ProjectedAttention implements Attention {
  constructor(
    readonly dIn: number,
    readonly dQueryIn: number,
    dK: number,
    dV: number,
    config: AttentionLayerConfig = {},
    init?: InitOptions,
  ) {
    super(`AttentionLayer(${dIn}, ${dQueryIn}, ${dK}, ${dV})`, dQueryIn, dIn, dK, dV, config, init);
  }

  /**
   * query X′ [B, Tq, dQueryIn] (decoder inputs), keys and values X [B, Tk, dIn] (encoder inputs,
   * usually the same tensor twice), mask broadcasting against [B, Tq, Tk] (true = allowed)
   * → { context C [B, Tq, dV], weights [B, Tq, Tk] }.
   */
  forward(query: Tensor, keys: Tensor, values: Tensor, mask?: Mask): AttentionResult {
    return this.attendInputs(query, keys, values, mask);
  }
}

/**
 * Self-attention (seed 004): C = Attn(X, X), queries, keys and values all from the same inputs
 * X [B, T, d], with W_Q, W_K (d → dK) and W_V (d → dV) as `qProj`, `kProj`, `vProj`.
 */
export class SelfAttention extends ProjectedAttention {
  constructor(
    readonly d: number,
    dK: number,
    dV: number,
    config: AttentionLayerConfig = {},
    init?: InitOptions,
  ) {
    super(`SelfAttention(${d}, ${dK}, ${dV})`, d, d, dK, dV, config, init);
  }

  /** x [B, T, d], mask broadcasting against [B, T, T] → { context [B, T, dV], weights [B, T, T] }. */
  forward(x: Tensor, mask?: Mask): AttentionResult {
    return this.attendInputs(x, x, x, mask);
  }
}
