import { gelu, relu } from '../../ops/unary.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Dropout } from '../dropout.js';
import type { InitOptions } from '../init.js';
import { LayerNorm } from '../layernorm.js';
import { Linear } from '../linear.js';
import { Module } from '../module.js';

/** The activations a Transformer's feed-forward block may use. */
export type Activation = 'relu' | 'gelu';

/** Options of a Transformer layer, with PyTorch's defaults. */
export interface TransformerLayerConfig {
  /** Width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** Feed-forward activation (default 'relu'). */
  activation?: Activation;
  /** LayerNorm ε (default 1e-5). */
  layerNormEps?: number;
  /** Pre-norm (x + f(norm(x))) instead of post-norm (norm(x + f(x))); default false. */
  normFirst?: boolean;
  /** Biases in the linear layers and LayerNorms (default true). */
  bias?: boolean;
}

export function resolveLayerConfig(c: TransformerLayerConfig): Required<TransformerLayerConfig> {
  return {
    dimFeedforward: c.dimFeedforward ?? 2048,
    dropout: c.dropout ?? 0.1,
    activation: c.activation ?? 'relu',
    layerNormEps: c.layerNormEps ?? 1e-5,
    normFirst: c.normFirst ?? false,
    bias: c.bias ?? true,
  };
}

/**
 * What encoder and decoder layers share: the position-wise feed-forward block
 * FFN(x) = W₂·dropout(act(W₁x + b₁)) + b₂ (Vaswani et al. §3.3) and the residual wiring,
 * registered as PyTorch names them (`linear1`, `dropout`, `linear2`, `normN`, `dropoutN`).
 */
export abstract class TransformerLayerBase extends Module {
  readonly config: Required<TransformerLayerConfig>;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;

  protected constructor(
    readonly dModel: number,
    config: TransformerLayerConfig,
    protected readonly init?: InitOptions,
  ) {
    super();
    this.config = resolveLayerConfig(config);
    const { dimFeedforward, dropout, bias } = this.config;
    this.linear1 = this.addModule('linear1', new Linear(dModel, dimFeedforward, { bias }, init));
    this.dropout = this.addModule('dropout', new Dropout(dropout));
    this.linear2 = this.addModule('linear2', new Linear(dimFeedforward, dModel, { bias }, init));
  }

  protected makeNorm(name: string): LayerNorm {
    return this.addModule(
      name,
      new LayerNorm(this.dModel, { eps: this.config.layerNormEps, elementwiseAffine: true }, this.init),
    );
  }

  protected makeDropout(name: string): Dropout {
    return this.addModule(name, new Dropout(this.config.dropout));
  }

  /** FFN(x), before its residual dropout. */
  protected feedForward(x: Tensor): Tensor {
    const h = this.linear1.forward(x);
    const a = this.config.activation === 'gelu' ? gelu(h) : relu(h);
    return this.linear2.forward(this.dropout.forward(a));
  }
}
