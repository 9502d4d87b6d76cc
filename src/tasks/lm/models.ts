import { evaluate } from '../../models/classify/predict.js';
import { AttentiveRNNLM } from '../../models/lm/attentive-rnn-lm.js';
import type { RecurrentLM, RecurrentState } from '../../models/lm/recurrent-lm.js';
import { RNNLM } from '../../models/lm/rnn-lm.js';
import { GPT } from '../../models/transformer/index.js';
import type { InitOptions } from '../../nn/init.js';
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { HeedError } from '../../util/errors.js';
import type { Generator } from '../../util/random.js';
import type { LMKind } from './config.js';

/**
 * The three language models behind one interface for the task: GPT (nanoGPT's decoder-only
 * Transformer), the plain LSTM language model, and the LSTM that attends over its own past
 * hidden states (seed 000's first use of attention).
 */

/** How to sample a continuation. */
export interface SamplingOptions {
  maxTokens: number;
  /** 0 takes the most likely token at every step. */
  temperature: number;
  topK?: number;
  topP?: number;
  generator: Generator;
}

/** A continuation: the new ids and, when the model has them, what each new token attended to. */
export interface Continuation {
  ids: number[];
  /**
   * Per new token, the attention of the step that predicted it over the positions it could see
   * (of the prompt-plus-continuation sequence): GPT — the last layer's weights averaged over
   * heads, over positions 0…p (p the step's own position; given while the whole sequence fits
   * in blockSize); AttentiveRNNLM — its weights over the hidden states of positions 0…p − 1.
   */
  attention?: Float32Array[];
}

/** One attention map of a sequence: [T, T] rows = the attending position. */
export interface AttentionMap {
  title: string;
  weights: number[][];
}

export interface LMAttentionMaps {
  /** The map to draw by default. */
  main: AttentionMap;
  /** Every map (per layer and head for GPT). */
  maps: AttentionMap[];
}

export interface LanguageModelNet {
  readonly kind: LMKind;
  readonly module: Module;
  /** Mean next-token cross-entropy of inputs x [B, T] against targets y [B, T]. */
  loss(x: Int32Array, y: Int32Array, shape: [number, number]): Tensor;
  /** Continues `prompt` (≥ 1 id), in evaluation mode. */
  generate(prompt: readonly number[], o: SamplingOptions): Continuation;
  /** The attention over a sequence (at most the context length), or null when the model has none. */
  attention(ids: readonly number[]): LMAttentionMaps | null;
}

/** Builds a language model of `kind` from the model section's options; vocabSize (and GPT's blockSize) from the data. */
export function buildLanguageModel(
  kind: LMKind,
  options: Record<string, unknown>,
  vocabSize: number,
  blockSize: number,
  init?: InitOptions,
): LanguageModelNet {
  switch (kind) {
    case 'gpt':
      return new GPTNet(new GPT({ ...options, vocabSize, blockSize }, init));
    case 'rnn-lm':
      return new RecurrentNet('rnn-lm', new RNNLM({ ...options, vocabSize }, init));
    case 'attentive-rnn-lm':
      return new RecurrentNet('attentive-rnn-lm', new AttentiveRNNLM({ ...options, vocabSize }, init));
  }
}

/** Rows [T, T] of a [..., T, T] tensor's data starting at `offset`. */
function square(data: ArrayLike<number>, offset: number, t: number): number[][] {
  return Array.from({ length: t }, (_, i) => Array.from({ length: t }, (_, j) => data[offset + i * t + j]));
}

/** The mean of heads' maps [T, T]. */
function headMean(heads: readonly number[][][]): number[][] {
  return heads[0].map((row, i) =>
    row.map((_, j) => heads.reduce((s, head) => s + head[i][j], 0) / heads.length),
  );
}

class GPTNet implements LanguageModelNet {
  readonly kind = 'gpt';

  constructor(readonly module: GPT) {}

  loss(x: Int32Array, y: Int32Array, shape: [number, number]): Tensor {
    return this.module.loss({ ids: x, shape }, y);
  }

  generate(prompt: readonly number[], o: SamplingOptions): Continuation {
    const n = prompt.length;
    // GPT.generate samples with temperature > 0; temperature 0 is the argmax, i.e. top-1.
    const greedy = o.temperature === 0;
    const out = evaluate(this.module, () =>
      this.module.generate(
        { ids: Int32Array.from(prompt), shape: [1, n] },
        {
          maxTokens: o.maxTokens,
          temperature: greedy ? 1 : o.temperature,
          topK: greedy ? 1 : o.topK,
          topP: greedy ? undefined : o.topP,
          generator: o.generator,
        },
      ),
    );
    const ids = Array.from(out.ids.subarray(n));
    // The step that predicted new token i sat at position n − 1 + i; all of them but the last
    // token's own position fit one forward pass while n + maxTokens − 1 ≤ blockSize.
    const seen = n + ids.length - 1;
    if (ids.length === 0 || seen > this.module.config.blockSize) return { ids };
    const layers = this.layerMaps(Array.from(out.ids.subarray(0, seen)));
    const weights = headMean(layers[layers.length - 1]);
    const attention = ids.map((_, i) => Float32Array.from(weights[n - 1 + i].slice(0, n + i)));
    return { ids, attention };
  }

  /** Per layer, per head, the weights [T, T]. */
  private layerMaps(ids: readonly number[]): number[][][][] {
    const t = ids.length;
    const h = this.module.config.nHead;
    const attention = evaluate(this.module, () => {
      const out = this.module.forward({ ids: Int32Array.from(ids), shape: [1, t] }, { needWeights: true });
      if (out.attention === null) throw new HeedError('GPT: the forward pass returned no attention weights');
      return out.attention; // nLayer × [1, H, T, T]
    });
    return attention.map((a) => Array.from({ length: h }, (_, k) => square(a.data, k * t * t, t)));
  }

  attention(ids: readonly number[]): LMAttentionMaps {
    const layers = this.layerMaps(ids);
    const maps = layers.flatMap((heads, l) =>
      heads.map((weights, k) => ({ title: `layer ${l + 1}, head ${k + 1}`, weights })),
    );
    const last = layers[layers.length - 1];
    return {
      main: {
        title: `GPT self-attention, layer ${layers.length} averaged over ${last.length} heads`,
        weights: headMean(last),
      },
      maps,
    };
  }
}

class RecurrentNet<S extends RecurrentState> implements LanguageModelNet {
  constructor(
    readonly kind: 'rnn-lm' | 'attentive-rnn-lm',
    readonly module: RecurrentLM<S>,
  ) {}

  loss(x: Int32Array, y: Int32Array, shape: [number, number]): Tensor {
    return this.module.loss({ ids: x, shape }, y);
  }

  generate(prompt: readonly number[], o: SamplingOptions): Continuation {
    const hyp = this.module.generate(prompt, {
      maxTokens: o.maxTokens,
      temperature: o.temperature,
      topK: o.topK,
      topP: o.topP,
      generator: o.generator,
    });
    return hyp.attention === undefined ? { ids: hyp.tokens } : { ids: hyp.tokens, attention: hyp.attention };
  }

  attention(ids: readonly number[]): LMAttentionMaps | null {
    if (this.kind !== 'attentive-rnn-lm') return null;
    const t = ids.length;
    const weights = evaluate(
      this.module,
      () => this.module.forward({ ids: Int32Array.from(ids), shape: [1, t] }).weights,
    );
    if (weights === undefined) return null;
    const main = {
      title: 'AttentiveRNNLM: each step’s attention over the hidden states before it',
      weights: square(weights.data, 0, t),
    };
    return { main, maps: [main] };
  }
}
