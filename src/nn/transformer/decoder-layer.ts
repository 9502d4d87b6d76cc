import { add } from '../../ops/binary.js';
import type { Mask } from '../../tensor/mask.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { AttentionMask } from '../attention/masking.js';
import { MultiHeadAttention } from '../attention/multihead.js';
import type { Dropout } from '../dropout.js';
import type { InitOptions } from '../init.js';
import type { LayerNorm } from '../layernorm.js';
import { TransformerLayerBase, type TransformerLayerConfig } from './config.js';

export interface DecoderLayerInputs {
  /** Target self-attention mask, true = allowed (or additive float), [Tt, Tt] or [B, Tt, Tt]. */
  tgtMask?: AttentionMask;
  /** Causal target self-attention (the usual decoder setting). */
  causal?: boolean;
  /** [B, Tt], true = padding. */
  tgtKeyPaddingMask?: Mask;
  /** Cross-attention mask, true = allowed, [Tt, Ts] or [B, Tt, Ts]. */
  memoryMask?: AttentionMask;
  /** [B, Ts], true = padding in the memory (the encoder output). */
  memoryKeyPaddingMask?: Mask;
}

export interface DecoderLayerOutput {
  output: Tensor;
  /** Target self-attention weights per head [B, H, Tt, Tt]. */
  selfWeights: Tensor;
  /** Cross-attention weights per head [B, H, Tt, Ts]: what each target position read. */
  crossWeights: Tensor;
}

/**
 * nn.TransformerDecoderLayer, batch first:
 *   post-norm: x = norm1(x + SA(x)); x = norm2(x + CA(x, mem)); x = norm3(x + FFN(x))
 *   pre-norm:  x = x + SA(norm1(x)); x = x + CA(norm2(x), mem); x = x + FFN(norm3(x))
 */
export class TransformerDecoderLayer extends TransformerLayerBase {
  readonly selfAttn: MultiHeadAttention;
  readonly crossAttn: MultiHeadAttention;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly dropout3: Dropout;

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
    this.crossAttn = this.addModule(
      'multihead_attn',
      new MultiHeadAttention(dModel, nhead, { dropout, bias }, init),
    );
    this.norm1 = this.makeNorm('norm1');
    this.norm2 = this.makeNorm('norm2');
    this.norm3 = this.makeNorm('norm3');
    this.dropout1 = this.makeDropout('dropout1');
    this.dropout2 = this.makeDropout('dropout2');
    this.dropout3 = this.makeDropout('dropout3');
  }

  /** tgt [B, Tt, D], memory [B, Ts, D] → { output [B, Tt, D], selfWeights, crossWeights }. */
  forward(tgt: Tensor, memory: Tensor, inputs: DecoderLayerInputs = {}): DecoderLayerOutput {
    const selfAttention = (x: Tensor) => {
      const r = this.selfAttn.forward(x, x, x, {
        mask: inputs.tgtMask,
        causal: inputs.causal,
        keyPaddingMask: inputs.tgtKeyPaddingMask,
        averageWeights: false,
      });
      return { out: this.dropout1.forward(r.context), weights: r.weights };
    };
    const crossAttention = (x: Tensor) => {
      const r = this.crossAttn.forward(x, memory, memory, {
        mask: inputs.memoryMask,
        keyPaddingMask: inputs.memoryKeyPaddingMask,
        averageWeights: false,
      });
      return { out: this.dropout2.forward(r.context), weights: r.weights };
    };
    const ff = (x: Tensor): Tensor => this.dropout3.forward(this.feedForward(x));
    let x = tgt;
    let sa: { out: Tensor; weights: Tensor };
    let ca: { out: Tensor; weights: Tensor };
    if (this.config.normFirst) {
      sa = selfAttention(this.norm1.forward(x));
      x = add(x, sa.out);
      ca = crossAttention(this.norm2.forward(x));
      x = add(x, ca.out);
      x = add(x, ff(this.norm3.forward(x)));
    } else {
      sa = selfAttention(x);
      x = this.norm1.forward(add(x, sa.out));
      ca = crossAttention(x);
      x = this.norm2.forward(add(x, ca.out));
      x = this.norm3.forward(add(x, ff(x)));
    }
    return { output: x, selfWeights: sa.weights, crossWeights: ca.weights };
  }
}
