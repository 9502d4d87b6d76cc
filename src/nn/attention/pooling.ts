import { reshape, squeeze } from '../../ops/shape.js';
import { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, ShapeError } from '../../util/errors.js';
import type { InitOptions } from '../init.js';
import { Linear } from '../linear.js';
import { Module } from '../module.js';
import { attend } from './attend.js';
import { lengthsMask } from './masking.js';
import type { AttentionResult } from './types.js';

/**
 * Attention pooling over an RNN's outputs, for classification (seed 000, "seeing overall output
 * from RNN cells after finishing the whole process"):
 *   scores  = outputs · w          [B, T, h] → [B, T]   (a linear layer h → 1)
 *   weights = softmax over time (padded steps masked)
 *   context = Σ_t weights_t · outputs_t                 → [B, h]
 * In the seed's words the linear layer *is* the query Q (one learned question — "how important
 * is this hidden state?" — asked of every step), the RNN outputs are the keys K, and the
 * weighted sum of those same outputs is the value V. The context is then typically
 * concatenated with the RNN's last output and fed to a classifier.
 *
 * The layer `query` (Linear(h, 1), stateDict `query.weight`) has no bias: a bias adds the same
 * constant to every step's score, which the softmax cancels, so it could never learn anything.
 */
export class AttentionPooling extends Module {
  readonly query: Linear;

  constructor(
    readonly hidden: number,
    init?: InitOptions,
  ) {
    super();
    this.query = this.addModule('query', new Linear(hidden, 1, { bias: false }, init));
  }

  /**
   * outputs [B, T, h]; `valid` marks the real steps: a Mask [B, T] (true = real token) or the
   * B sequence lengths. → { context [B, h], weights [B, T] }. A row with no real step gets zero
   * weights and a zero context.
   */
  forward(outputs: Tensor, valid?: Mask | ArrayLike<number>): AttentionResult {
    const name = `AttentionPooling(${this.hidden})`;
    if (outputs.ndim !== 3 || outputs.shape[2] !== this.hidden) {
      throw new ShapeError(`${name}: outputs ${fmtShape(outputs.shape)} must be [B, T, ${this.hidden}]`);
    }
    const [b, t] = outputs.shape;
    let mask: Mask | undefined;
    if (valid instanceof Mask) {
      if (valid.shape.length !== 2 || valid.shape[0] !== b || valid.shape[1] !== t) {
        throw new ShapeError(`${name}: mask ${fmtShape(valid.shape)} must be [B, T] = ${fmtShape([b, t])}`);
      }
      mask = new Mask(valid.data, [b, 1, t]);
    } else if (valid !== undefined) {
      if (valid.length !== b) {
        throw new ShapeError(`${name}: ${valid.length} lengths for a batch of ${b}`);
      }
      mask = new Mask(lengthsMask(valid, t).data, [b, 1, t]);
    }
    // One query for the whole sequence, so the scores are a single row per batch element.
    const scores = reshape(this.query.forward(outputs), [b, 1, t]); // [B, 1, T]
    const { context, weights } = attend(scores, outputs, mask); // [B, 1, h], [B, 1, T]
    return { context: squeeze(context, 1), weights: squeeze(weights, 1) };
  }
}
