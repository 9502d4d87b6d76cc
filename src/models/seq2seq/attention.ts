import { attend } from '../../nn/attention/attend.js';
import { AdditiveScore, dotScores, GeneralScore } from '../../nn/attention/scores.js';
import type { AttentionResult } from '../../nn/attention/types.js';
import type { InitOptions } from '../../nn/init.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { indexSelect } from '../../ops/indexing.js';
import { matmul } from '../../ops/matmul.js';
import type { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, ShapeError } from '../../util/errors.js';
import { selectMaskRows } from './inputs.js';

/** The attention scores a recurrent decoder can use (see config.ts). */
export type SourceScoreKind = 'dot' | 'general' | 'additive';

/**
 * The encoder side of the attention, prepared once per batch so each decoder step only scores
 * its query: `keys` is what the query is compared with, `values` what the context averages.
 */
export interface SourceMemory {
  /** dot: the encoder states (projected when E_out ≠ H) [B, Ts, H]; general: K·Wᵀ [B, Ts, H]; additive: W₂K + b [B, Ts, A]. */
  keys: Tensor;
  /** The encoder states h_i (projected for dot when E_out ≠ H) [B, Ts, Dv]. */
  values: Tensor;
  /** [B, 1, Ts], true at real source tokens (padding gets weight 0). */
  mask: Mask;
}

/**
 * The decoder's attention over the encoder states, with the one signature of heed's attention
 * underneath (scores → masked softmax → weighted sum, `attend`), split in two so the work that
 * does not depend on the query is done once per sentence rather than once per step:
 *
 *   prepare(h [B, Ts, E_out], mask) → memory          (once per batch)
 *   forward(query [B, Tq, H], memory) → { context, weights }   (every step: Tq = 1)
 *
 * - 'dot' (seed 001): score(s, h) = s·h needs H = E_out. When they differ (a bidirectional
 *   encoder is 2H wide) the encoder states are projected once, h′_i = W_m h_i (`memoryProj`,
 *   Linear(E_out → H), no bias), and h′ serves as keys AND values: seed 001's keys = values =
 *   encoder states holds, and the context is H wide like the query.
 * - 'general' (Luong): score(s, h) = s·W·h with W [H, E_out] (`score.weight`, as
 *   GeneralAttention). Since s·W·h = s·(W·h), the keys are precomputed as K·Wᵀ, and each step is
 *   a plain dot product.
 * - 'additive' (Bahdanau): score(s, h) = vᵀ·tanh(W₁s + W₂h + b) (`score.queryProj`, `score.keyProj`,
 *   `score.energy`, as AdditiveAttention); W₂h + b is precomputed (`projectKeys`).
 * The parameter names are those of GeneralAttention / AdditiveAttention, so weights move between them.
 */
export class SourceAttention extends Module {
  readonly memoryProj: Linear | null;
  readonly score: GeneralScore | AdditiveScore | null;
  /** Dv: the width of the context vectors. */
  readonly contextSize: number;

  constructor(
    readonly kind: SourceScoreKind,
    readonly querySize: number,
    readonly encoderSize: number,
    attnDim: number,
    init?: InitOptions,
  ) {
    super();
    const project = kind === 'dot' && querySize !== encoderSize;
    this.memoryProj = project
      ? this.addModule('memoryProj', new Linear(encoderSize, querySize, { bias: false }, init))
      : null;
    let score: GeneralScore | AdditiveScore | null = null;
    if (kind === 'general') score = new GeneralScore(querySize, encoderSize, init);
    if (kind === 'additive') score = new AdditiveScore(querySize, encoderSize, attnDim, init);
    this.score = score === null ? null : this.addModule('score', score);
    this.contextSize = project ? querySize : encoderSize;
  }

  /** Encoder states [B, Ts, E_out] and the source mask [B, 1, Ts] → the memory every step reads. */
  prepare(encoderOutputs: Tensor, mask: Mask): SourceMemory {
    const h = encoderOutputs;
    if (h.ndim !== 3 || h.shape[2] !== this.encoderSize) {
      throw new ShapeError(
        `SourceAttention: encoder outputs ${fmtShape(h.shape)} must be [B, Ts, ${this.encoderSize}]`,
      );
    }
    if (this.score instanceof AdditiveScore) {
      return { keys: this.score.projectKeys(h), values: h, mask }; // keys [B, Ts, A]
    }
    if (this.score instanceof GeneralScore) {
      return { keys: matmul(h, this.score.weight, { transB: true }), values: h, mask }; // K·Wᵀ [B, Ts, H]
    }
    const m = this.memoryProj === null ? h : this.memoryProj.forward(h); // [B, Ts, H]
    return { keys: m, values: m, mask };
  }

  /** query [B, Tq, H] → { context [B, Tq, Dv], weights [B, Tq, Ts] }, padding weighted 0. */
  forward(query: Tensor, memory: SourceMemory): AttentionResult {
    if (query.ndim !== 3 || query.shape[2] !== this.querySize || query.shape[0] !== memory.keys.shape[0]) {
      throw new ShapeError(
        `SourceAttention: query ${fmtShape(query.shape)} must be [B, Tq, ${this.querySize}] with B = ${memory.keys.shape[0]}`,
      );
    }
    const scores =
      this.score instanceof AdditiveScore
        ? this.score.scoreProjected(query, memory.keys)
        : dotScores(query, memory.keys); // [B, Tq, Ts]
    return attend(scores, memory.values, memory.mask);
  }
}

/** The memory of the rows `rows` (repeats allowed), for beam search's reordering. */
export function selectMemoryRows(memory: SourceMemory, rows: Int32Array): SourceMemory {
  const keys = indexSelect(memory.keys, 0, rows);
  const values = memory.values === memory.keys ? keys : indexSelect(memory.values, 0, rows);
  return { keys, values, mask: selectMaskRows(memory.mask, rows) };
}
