import { zeros } from '../../ops/creation.js';
import { squeeze, unsqueeze } from '../../ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../../util/errors.js';
import type { InitOptions } from '../init.js';
import { Module } from '../module.js';
import { attend } from './attend.js';
import { causalMask } from './masking.js';
import { AdditiveScore, dotScorer, GeneralScore, type Scorer, scaledDotScorer } from './scores.js';
import type { AttentionResult } from './types.js';

/**
 * Attention of an RNN over its own past (seed 000, "seeing previous hidden states to produce an
 * output"): with no encoder, step t compares its hidden state h_t (the query) with the hidden
 * states it has already produced, h_0 … h_{t−1} (keys = values), and takes their weighted sum:
 *   c_t = Σ_{s<t} softmax_s(score(h_t, h_s)) · h_s.
 * Step 0 has no past: zero weights and a zero context (no NaN).
 */
export type PastScorer = 'dot' | 'scaledDot' | Scorer;

function resolve(score: PastScorer): Scorer {
  if (score === 'dot') return dotScorer;
  if (score === 'scaledDot') return scaledDotScorer;
  return score;
}

/**
 * All steps at once (training): hiddens [B, T, H] → { context [B, T, H], weights [B, T, T] },
 * where row t of the weights covers only the columns s < t (a strictly lower-triangular mask).
 */
export function attendToPast(hiddens: Tensor, score: PastScorer = 'dot'): AttentionResult {
  if (hiddens.ndim !== 3) {
    throw new ShapeError(`attendToPast: hiddens ${fmtShape(hiddens.shape)} must be [B, T, H]`);
  }
  const t = hiddens.shape[1];
  const scores = resolve(score).forward(hiddens, hiddens); // [B, T, T]
  return attend(scores, hiddens, causalMask(t, t, -1)); // step t sees steps 0..t−1
}

/**
 * One step (generation): the current hidden state query [B, H] over the past states
 * past [B, t, H] → { context [B, H], weights [B, t] }. Equals row t of {@link attendToPast}
 * (its first t weights; the rest of that row is zero). t = 0 gives zeros.
 */
export function attendStep(query: Tensor, past: Tensor, score: PastScorer = 'dot'): AttentionResult {
  if (query.ndim !== 2 || past.ndim !== 3 || past.shape[0] !== query.shape[0]) {
    throw new ShapeError(
      `attendStep: expected query [B, H] and past [B, t, H], got ${fmtShape(query.shape)} and ${fmtShape(past.shape)}`,
    );
  }
  const [b, t, h] = past.shape;
  if (t === 0) {
    return { context: zeros([b, h], { dtype: query.dtype }), weights: zeros([b, 0], { dtype: query.dtype }) };
  }
  const scores = resolve(score).forward(unsqueeze(query, 1), past); // [B, 1, t]
  const { context, weights } = attend(scores, past);
  return { context: squeeze(context, 1), weights: squeeze(weights, 1) }; // [B, H], [B, t]
}

export type PastScoreKind = 'dot' | 'scaledDot' | 'general' | 'additive';

export interface PastAttentionConfig {
  /** How h_t is compared with h_s (default 'dot'). */
  score?: PastScoreKind;
  /** Size of the additive score's hidden layer (default: the hidden size). */
  attnDim?: number;
}

/**
 * {@link attendToPast} and {@link attendStep} with a learned score owned as a child `score`
 * ('general': `score.weight`; 'additive': `score.queryProj`, `score.keyProj`, `score.energy`).
 */
export class PastAttention extends Module {
  readonly score: Scorer;
  readonly kind: PastScoreKind;

  constructor(
    readonly hidden: number,
    config: PastAttentionConfig = {},
    init?: InitOptions,
  ) {
    super();
    this.kind = config.score ?? 'dot';
    switch (this.kind) {
      case 'dot':
        this.score = dotScorer;
        break;
      case 'scaledDot':
        this.score = scaledDotScorer;
        break;
      case 'general':
        this.score = this.addModule('score', new GeneralScore(hidden, hidden, init));
        break;
      case 'additive':
        this.score = this.addModule(
          'score',
          new AdditiveScore(hidden, hidden, config.attnDim ?? hidden, init),
        );
        break;
      default:
        throw new HeedError(`PastAttention: unknown score '${String(this.kind)}'`);
    }
  }

  /** hiddens [B, T, H] → { context [B, T, H], weights [B, T, T] }. */
  forward(hiddens: Tensor): AttentionResult {
    this.check('hiddens', hiddens);
    return attendToPast(hiddens, this.score);
  }

  /** query [B, H], past [B, t, H] → { context [B, H], weights [B, t] }. */
  step(query: Tensor, past: Tensor): AttentionResult {
    this.check('query', query);
    this.check('past', past);
    return attendStep(query, past, this.score);
  }

  private check(what: string, x: Tensor): void {
    if (x.shape[x.ndim - 1] !== this.hidden) {
      throw new ShapeError(
        `PastAttention(${this.hidden}): ${what} ${fmtShape(x.shape)} must end in ${this.hidden}`,
      );
    }
  }
}
