import { dropout as dropoutOp } from '../../ops/dropout.js';
import { matmul } from '../../ops/matmul.js';
import { squeeze, unsqueeze } from '../../ops/shape.js';
import { softmax } from '../../ops/softmax.js';
import type { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, ShapeError } from '../../util/errors.js';
import type { Generator } from '../../util/random.js';
import type { InitOptions } from '../init.js';
import { Module } from '../module.js';
import { type AttentionMask, checkMaskShape, maskScores, reshapeMask } from './masking.js';
import { AdditiveScore, dotScorer, GeneralScore, type Scorer, scaledDotScorer } from './scores.js';
import type { Attention, AttentionResult } from './types.js';

export interface AttendOptions {
  /** Dropout on the attention weights before the weighted sum (default 0). */
  dropout?: number;
  /** Dropout is active only when training (default true, as the op `dropout`). */
  training?: boolean;
  generator?: Generator;
}

/**
 * The part every attention variant shares, after the scores (seed 001, phases 2 and 3):
 *   weights = softmax(mask(scores))   over the keys,
 *   context = weights · values        (the weighted sum of the values).
 * scores [..., Tq, Tk], values [..., Tk, Dv] → context [..., Tq, Dv], weights [..., Tq, Tk].
 * `mask` (true = allowed, or a float mask added to the scores) broadcasts against the scores; a
 * query with every key masked gets zero weights and a zero context.
 *
 * With dropout the context uses the dropped-out weights, but the returned `weights` are the
 * softmax itself (what a heat map should show). PyTorch's MHA returns the dropped-out ones.
 */
export function attend(
  scores: Tensor,
  values: Tensor,
  mask?: AttentionMask,
  options: AttendOptions = {},
): AttentionResult {
  if (scores.ndim < 2 || values.ndim < 2 || scores.shape[scores.ndim - 1] !== values.shape[values.ndim - 2]) {
    throw new ShapeError(
      `attend: scores ${fmtShape(scores.shape)} ([..., Tq, Tk]) and values ${fmtShape(values.shape)} ([..., Tk, Dv]) disagree on Tk`,
    );
  }
  const weights = softmax(maskScores('attend', scores, mask), -1); // [..., Tq, Tk]
  const p = options.dropout ?? 0;
  const used = p > 0 ? dropoutOp(weights, p, options.training ?? true, options.generator) : weights;
  const context = matmul(used, values); // [..., Tq, Dv]
  return { context, weights };
}

/**
 * Attention built from a score function: scores → masked softmax → weighted sum of the values.
 * Implements the one signature of heed's attention:
 *   forward(query [B, Tq, Dq], keys [B, Tk, Dk], values [B, Tk, Dv], mask?)
 *     → { context [B, Tq, Dv], weights [B, Tq, Tk] }.
 * A single query per row, query [B, Dq] (an RNN decoder's state), gives context [B, Dv] and
 * weights [B, Tk]; its mask may then be [B, Tk] (true = allowed).
 */
export class ScoredAttention<S extends Scorer = Scorer> extends Module implements Attention {
  constructor(
    readonly score: S,
    private readonly label: string,
  ) {
    super();
    if (score instanceof Module) this.addModule('score', score);
  }

  forward(query: Tensor, keys: Tensor, values: Tensor, mask?: Mask): AttentionResult {
    const single = query.ndim === 2;
    if (
      (query.ndim !== 2 && query.ndim !== 3) ||
      keys.ndim !== 3 ||
      values.ndim !== 3 ||
      keys.shape[0] !== query.shape[0] ||
      values.shape[0] !== query.shape[0] ||
      keys.shape[1] !== values.shape[1]
    ) {
      throw new ShapeError(
        `${this.label}: expected query [B, Tq, Dq] or [B, Dq], keys [B, Tk, Dk], values [B, Tk, Dv]; got ${fmtShape(query.shape)}, ${fmtShape(keys.shape)}, ${fmtShape(values.shape)}`,
      );
    }
    const [b, tk] = keys.shape;
    const q = single ? unsqueeze(query, 1) : query; // [B, Tq, Dq]
    let m = mask;
    if (m !== undefined && single && m.shape.length === 2) m = reshapeMask(m, [b, 1, tk]);
    if (m !== undefined) checkMaskShape(this.label, m.shape, [b, q.shape[1], tk]);
    const scores = this.score.forward(q, keys); // [B, Tq, Tk]
    const { context, weights } = attend(scores, values, m);
    if (!single) return { context, weights };
    return { context: squeeze(context, 1), weights: squeeze(weights, 1) }; // [B, Dv], [B, Tk]
  }
}

/** Dot-product attention (seed 001; Luong "dot"): softmax(q·Kᵀ)·V. Needs Dq = Dk. */
export class DotAttention extends ScoredAttention {
  constructor() {
    super(dotScorer, 'DotAttention');
  }
}

/** Scaled dot-product attention: softmax(q·Kᵀ/√d)·V. Needs Dq = Dk. */
export class ScaledDotAttention extends ScoredAttention {
  constructor() {
    super(scaledDotScorer, 'ScaledDotAttention');
  }
}

/** Luong "general" attention: softmax(q·W·Kᵀ)·V, W [Dq, Dk] at `score.weight`. */
export class GeneralAttention extends ScoredAttention<GeneralScore> {
  constructor(queryDim: number, keyDim: number, init?: InitOptions) {
    super(new GeneralScore(queryDim, keyDim, init), `GeneralAttention(${queryDim}, ${keyDim})`);
  }
}

/**
 * Bahdanau (additive) attention: softmax(vᵀ·tanh(W₁q + W₂K))·V, parameters under
 * `score.queryProj`, `score.keyProj`, `score.energy`.
 */
export class AdditiveAttention extends ScoredAttention<AdditiveScore> {
  constructor(queryDim: number, keyDim: number, attnDim: number, init?: InitOptions) {
    super(
      new AdditiveScore(queryDim, keyDim, attnDim, init),
      `AdditiveAttention(${queryDim}, ${keyDim}, ${attnDim})`,
    );
  }
}
