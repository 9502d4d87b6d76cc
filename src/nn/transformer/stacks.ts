import type { Tensor } from '../../tensor/tensor.js';
import { HeedError } from '../../util/errors.js';
import type { InitOptions } from '../init.js';
import { LayerNorm } from '../layernorm.js';
import { Module } from '../module.js';
import { ModuleList } from '../module-list.js';
import type { TransformerLayerConfig } from './config.js';
import {
  type DecoderLayerCache,
  type DecoderLayerInputs,
  type IncrementalDecoderInputs,
  TransformerDecoderLayer,
} from './decoder-layer.js';
import { type EncoderLayerInputs, TransformerEncoderLayer } from './encoder-layer.js';

export interface StackConfig extends TransformerLayerConfig {
  numLayers: number;
  nhead: number;
  /** A LayerNorm after the last layer (what pre-norm stacks need; default: normFirst). */
  finalNorm?: boolean;
}

/** nn.TransformerEncoder: `layers.0…N−1` and an optional final `norm`. */
export class TransformerEncoder extends Module {
  readonly layers: ModuleList<TransformerEncoderLayer>;
  readonly norm: LayerNorm | null;

  constructor(
    readonly dModel: number,
    config: StackConfig,
    init?: InitOptions,
  ) {
    super();
    const layers = Array.from(
      { length: config.numLayers },
      () => new TransformerEncoderLayer(dModel, config.nhead, config, init),
    );
    this.layers = this.addModule('layers', new ModuleList(layers));
    const finalNorm = config.finalNorm ?? config.normFirst ?? false;
    this.norm = finalNorm
      ? this.addModule('norm', new LayerNorm(dModel, { eps: config.layerNormEps }, init))
      : null;
  }

  /** src [B, T, D] → { output [B, T, D], selfWeights: one [B, H, T, T] per layer }. */
  forward(src: Tensor, inputs: EncoderLayerInputs = {}): { output: Tensor; selfWeights: Tensor[] } {
    let x = src;
    const selfWeights: Tensor[] = [];
    for (const layer of this.layers.items) {
      const r = layer.forward(x, inputs);
      x = r.output;
      selfWeights.push(r.selfWeights);
    }
    return { output: this.norm ? this.norm.forward(x) : x, selfWeights };
  }
}

/** nn.TransformerDecoder: `layers.0…N−1` and an optional final `norm`. */
export class TransformerDecoder extends Module {
  readonly layers: ModuleList<TransformerDecoderLayer>;
  readonly norm: LayerNorm | null;

  constructor(
    readonly dModel: number,
    config: StackConfig,
    init?: InitOptions,
  ) {
    super();
    const layers = Array.from(
      { length: config.numLayers },
      () => new TransformerDecoderLayer(dModel, config.nhead, config, init),
    );
    this.layers = this.addModule('layers', new ModuleList(layers));
    const finalNorm = config.finalNorm ?? config.normFirst ?? false;
    this.norm = finalNorm
      ? this.addModule('norm', new LayerNorm(dModel, { eps: config.layerNormEps }, init))
      : null;
  }

  /**
   * tgt [B, Tt, D], memory [B, Ts, D] → { output [B, Tt, D], selfWeights and crossWeights: one
   * [B, H, Tt, ·] per layer }.
   */
  forward(
    tgt: Tensor,
    memory: Tensor,
    inputs: DecoderLayerInputs = {},
  ): { output: Tensor; selfWeights: Tensor[]; crossWeights: Tensor[] } {
    let x = tgt;
    const selfWeights: Tensor[] = [];
    const crossWeights: Tensor[] = [];
    for (const layer of this.layers.items) {
      const r = layer.forward(x, memory, inputs);
      x = r.output;
      selfWeights.push(r.selfWeights);
      crossWeights.push(r.crossWeights);
    }
    return { output: this.norm ? this.norm.forward(x) : x, selfWeights, crossWeights };
  }

  /** One cache per layer, with the memory [B, Ts, D] projected for cross-attention once. */
  initCache(memory: Tensor): DecoderLayerCache[] {
    return this.layers.items.map((layer) => layer.initCache(memory));
  }

  /**
   * Incremental decoding through every layer: tgt [B, tNew, D] and the caches of the previous
   * step → { output [B, tNew, D], weights per layer ([B, H, tNew, ·], or null with
   * `needWeights: false`), caches }. Equals the last tNew rows of `forward(tgtAll, memory,
   * { causal: true, … })`.
   */
  forwardIncremental(
    tgt: Tensor,
    caches: readonly DecoderLayerCache[],
    inputs: IncrementalDecoderInputs = {},
  ): {
    output: Tensor;
    selfWeights: (Tensor | null)[];
    crossWeights: (Tensor | null)[];
    caches: DecoderLayerCache[];
  } {
    if (caches.length !== this.layers.length) {
      throw new HeedError(
        `TransformerDecoder.forwardIncremental: ${caches.length} caches for ${this.layers.length} layers`,
      );
    }
    let x = tgt;
    const selfWeights: (Tensor | null)[] = [];
    const crossWeights: (Tensor | null)[] = [];
    const next: DecoderLayerCache[] = [];
    this.layers.items.forEach((layer, i) => {
      const r = layer.forwardIncremental(x, caches[i], inputs);
      x = r.output;
      selfWeights.push(r.selfWeights);
      crossWeights.push(r.crossWeights);
      next.push(r.cache);
    });
    return { output: this.norm ? this.norm.forward(x) : x, selfWeights, crossWeights, caches: next };
  }
}
