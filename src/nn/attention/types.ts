import type { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * What every attention variant returns: the context vectors and the weights that made them.
 * Weights are always returned, never stashed on the module, so plots and the explorer read them
 * from here.
 */
export interface AttentionResult {
  /** Weighted sums of the values: [B, Tq, Dv] (or [B, Dv] for a single query). */
  context: Tensor;
  /** Softmax-normalised attention weights: [B, Tq, Tk] (or [B, Tk]); rows sum to 1, or to 0 when every key is masked. */
  weights: Tensor;
}

/**
 * The one signature of every attention variant in heed:
 *   (query [B, Tq, Dq], keys [B, Tk, Dk], values [B, Tk, Dv], mask?) → { context, weights }.
 *
 * Mask convention, everywhere in heed: a boolean `mask` says where attention is ALLOWED
 * (true = this query may attend to this key), as PyTorch's F.scaled_dot_product_attention;
 * it broadcasts against the scores [B, Tq, Tk] (so [B, 1, Tk] masks padded keys). A query whose
 * keys are all masked gets zero weights and a zero context, never NaN. (Only an option named
 * `keyPaddingMask` marks the opposite — true = padding, ignored — as its name says.)
 */
export interface Attention {
  forward(query: Tensor, keys: Tensor, values: Tensor, mask?: Mask): AttentionResult;
}
