import { add } from '../../ops/binary.js';
import type { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { AttentionMask } from '../attention/masking.js';
import { MultiHeadAttention } from '../attention/multihead.js';
import type { Dropout } from '../dropout.js';
import type { InitOptions } from '../init.js';
import type { LayerNorm } from '../layernorm.js';
import { TransformerLayerBase, type TransformerLayerConfig } from './config.js';

export interface EncoderLayerInputs {
  /** Self-attention mask, true = allowed (or additive float), [T, T] or [B, T, T]. */
  mask?: AttentionMask;
  /** [B, T], true = padding (ignored as a key). */
  keyPaddingMask?: Mask;
  /** Each position attends only to itself and earlier ones. */
  causal?: boolean;
}

export interface EncoderLayerOutput {
  output: Tensor;
  /** Self-attention weights per head [B, H, T, T]. */
  selfWeights: Tensor;
}

/**
 * nn.TransformerEncoderLayer, batch first:
 *   post-norm: x = norm1(x + SA(x)); x = norm2(x + FFN(x))
 *   pre-norm:  x = x + SA(norm1(x)); x = x + FFN(norm2(x))
 */
export class TransformerEncoderLayer extends TransformerLayerBase {
  readonly selfAttn: MultiHeadAttention;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;

  constructor(
    dModel: number,
    readonly nhead: number,
    config: TransformerLayerConfig = {},
    init?: InitOptions,
  ) {
    super(dModel, config, init);
    const { dropout, bias } = this.config;
    this.selfAttn = this.addModule(
      'self_attn',
      new MultiHeadAttention(dModel, nhead, { dropout, bias }, init),
    );
    this.norm1 = this.makeNorm('norm1');
    this.norm2 = this.makeNorm('norm2');
    this.dropout1 = this.makeDropout('dropout1');
    this.dropout2 = this.makeDropout('dropout2');
  }

  /** src [B, T, D] → { output [B, T, D], selfWeights [B, H, T, T] }. */
  forward(src: Tensor, inputs: EncoderLayerInputs = {}): EncoderLayerOutput {
    const selfAttention = (x: Tensor): { out: Tensor; weights: Tensor } => {
      const r = this.selfAttn.forward(x, x, x, { ...inputs, averageWeights: false });
      return { out: this.dropout1.forward(r.context), weights: r.weights };
    };
    let x = src;
    let sa: { out: Tensor; weights: Tensor };
    if (this.config.normFirst) {
      sa = selfAttention(this.norm1.forward(x));
      x = add(x, sa.out);
      x = add(x, this.dropout2.forward(this.feedForward(this.norm2.forward(x))));
    } else {
      sa = selfAttention(x);
      x = this.norm1.forward(add(x, sa.out));
      x = this.norm2.forward(add(x, this.dropout2.forward(this.feedForward(x))));
    }
    return { output: x, selfWeights: sa.weights };
  }
}
