import { greedySearch, sampleSearch } from '../../decode/greedy.js';
import type { Hypothesis, StepDecoder, StepOutput } from '../../decode/types.js';
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import type { InitOptions } from '../../nn/init.js';
import { Module } from '../../nn/module.js';
import { GRU, LSTM, type RecurrentConfig, RNN } from '../../nn/rnn/rnn.js';
import { zeros } from '../../ops/creation.js';
import { type Indices, indexSelect } from '../../ops/indexing.js';
import { type CrossEntropyOptions, crossEntropy } from '../../ops/loss.js';
import { reshape } from '../../ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../../util/errors.js';
import type { Generator } from '../../util/random.js';
import { evaluate } from '../classify/predict.js';
import type { CellType, ResolvedRNNLMConfig } from './config.js';

/** Token ids [B, T] row-major, as `padBatch` returns them (right padding is harmless: the model is causal). */
export interface TokenBatch {
  ids: Indices;
  shape: readonly number[];
}

export interface LMOutput {
  /** Next-token logits [B, T, V]: row t scores the token after position t. */
  logits: Tensor;
  /** Attention of each step over the earlier ones [B, T, T], for models that attend. */
  weights?: Tensor;
}

/** The recurrent state of R rows: hidden (and LSTM cell) state of every layer. */
export interface RecurrentState {
  /** [L, R, H]. */
  h: Tensor;
  /** [L, R, H] for an LSTM; null otherwise. */
  c: Tensor | null;
}

export interface GenerateOptions {
  /** Most tokens to produce. */
  maxTokens: number;
  /** Stop after producing this id. */
  eos?: number;
  /** Divides the log-probabilities before sampling; 0 takes the most likely token (default 1). */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Sample only within the smallest set of tokens whose probability reaches p (nucleus). */
  topP?: number;
  /** The random stream (default: heed's seeded default generator). */
  generator?: Generator;
}

/** One of the three recurrent stacks. */
export type RecurrentStack = RNN | LSTM | GRU;

/** The recurrent layers of a cell type, unidirectional. */
export function makeRecurrent(cell: CellType, config: RecurrentConfig, init?: InitOptions): RecurrentStack {
  switch (cell) {
    case 'lstm':
      return new LSTM(config, init);
    case 'gru':
      return new GRU(config, init);
    case 'rnn':
      return new RNN(config, init);
    default:
      throw new HeedError(`unknown cell '${String(cell)}' (expected 'lstm' | 'gru' | 'rnn')`);
  }
}

/** Runs a stack from an optional state: x [B, T, I] → output [B, T, H] and the final state. */
export function runStack(
  rnn: RecurrentStack,
  x: Tensor,
  state?: RecurrentState,
): { output: Tensor; state: RecurrentState } {
  if (rnn instanceof LSTM) {
    const { output, hN, cN } = rnn.forward(x, { h0: state?.h, c0: state?.c ?? undefined });
    return { output, state: { h: hN, c: cN } };
  }
  const { output, hN } = rnn.forward(x, { h0: state?.h });
  return { output, state: { h: hN, c: null } };
}

/**
 * What the recurrent language models share: embedding → dropout → RNN/LSTM/GRU stack, the loss,
 * sampling-based generation, and the {@link StepDecoder} plumbing of the recurrent state.
 * Subclasses add what reads the hidden states (an output layer, attention over the past).
 *
 * Parameters: `embedding.weight`, `rnn.weight_ih_l0`, … (PyTorch's names), then the subclass's.
 */
export abstract class RecurrentLM<S extends RecurrentState> extends Module implements StepDecoder<S> {
  readonly embedding: Embedding;
  readonly rnn: RecurrentStack;
  readonly dropout: Dropout;

  protected constructor(
    protected readonly base: ResolvedRNNLMConfig,
    init: InitOptions | undefined,
  ) {
    super();
    this.embedding = this.addModule('embedding', new Embedding(base.vocabSize, base.embedDim, {}, init));
    this.rnn = this.addModule(
      'rnn',
      makeRecurrent(
        base.cell,
        {
          inputSize: base.embedDim,
          hiddenSize: base.hiddenSize,
          numLayers: base.numLayers,
          dropout: base.numLayers > 1 ? base.dropout : 0,
        },
        init,
      ),
    );
    this.dropout = this.addModule('dropout', new Dropout(base.dropout));
  }

  /** The whole sequence at once (training): ids [B, T] → logits [B, T, V] (and weights). */
  abstract forward(batch: TokenBatch): LMOutput;

  /** One step for R rows: the previous tokens [R] → log-probabilities [R, V] and the new state. */
  abstract step(tokens: Int32Array, state: S): StepOutput<S>;

  /** The state of the given rows, in that order (repeats allowed). */
  abstract selectRows(state: S, rows: Int32Array): S;

  /** The state before any token, for R rows. */
  abstract initialState(rows: number): S;

  /**
   * Mean next-token cross-entropy: logits of ids [B, T] against targets [B, T] (usually the ids
   * shifted left by one). Targets equal to `ignoreIndex` (e.g. the pad id) do not count.
   */
  loss(batch: TokenBatch, targets: Indices, opts: Pick<CrossEntropyOptions, 'ignoreIndex'> = {}): Tensor {
    return crossEntropy(this.forward(batch).logits, targets, opts);
  }

  /**
   * Continues a prompt (at least one token, e.g. just BOS) with heed's decoding loop
   * (`greedySearch` at temperature 0, else `sampleSearch` with top-k / top-p): all but the last
   * prompt token are fed through {@link step} to build the state, and the last one starts the
   * search. The hypothesis holds the new tokens (ending with `eos` if produced), their log-
   * probability, and — for a model that attends — one attention row per new token, over every
   * position before the step that produced it (token i: prompt.length − 1 + i weights).
   * Runs in evaluation mode without a graph; the training mode is restored afterwards.
   */
  generate(prompt: readonly number[], opts: GenerateOptions): Hypothesis {
    const name = this.constructor.name;
    if (prompt.length === 0) throw new HeedError(`${name}.generate: the prompt needs at least one token`);
    if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 0) {
      throw new HeedError(`${name}.generate: maxTokens must be an integer ≥ 0, got ${opts.maxTokens}`);
    }
    if (opts.maxTokens === 0) return { tokens: [], logProb: 0, score: 0 };
    return evaluate(this, () => {
      let state = this.initialState(1);
      for (const id of prompt.slice(0, -1)) state = this.step(Int32Array.of(id), state).state;
      const search = {
        bos: prompt[prompt.length - 1],
        eos: opts.eos ?? -1,
        maxLength: opts.maxTokens,
        topK: opts.topK,
        topP: opts.topP,
        generator: opts.generator,
      };
      const [hyp] =
        opts.temperature === 0
          ? greedySearch(this, state, 1, search)
          : sampleSearch(this, state, 1, { ...search, temperature: opts.temperature });
      return hyp;
    });
  }

  /** Embeds ids [B, T] and runs the recurrent stack → top-layer hidden states [B, T, H]. */
  protected encode(batch: TokenBatch): Tensor {
    const { ids, shape } = batch;
    if (shape.length !== 2 || ids.length !== shape[0] * shape[1]) {
      throw new ShapeError(
        `${this.constructor.name}: ${ids.length} ids with shape ${fmtShape(shape)}, expected [B, T] filled`,
      );
    }
    const x = this.dropout.forward(this.embedding.forward(ids, shape)); // [B, T, E]
    return runStack(this.rnn, x).output; // [B, T, H]
  }

  /** Embeds tokens [R] and advances the stack one step → h_t [R, H] and the new state. */
  protected advance(tokens: Int32Array, state: RecurrentState): { h: Tensor; state: RecurrentState } {
    const r = tokens.length;
    const x = this.dropout.forward(this.embedding.forward(tokens, [r, 1])); // [R, 1, E]
    const { output, state: next } = runStack(this.rnn, x, state); // [R, 1, H]
    return { h: reshape(output, [r, this.base.hiddenSize]), state: next };
  }

  /** Zero recurrent state for R rows, in the parameters' dtype. */
  protected zeroState(rows: number): RecurrentState {
    const { numLayers, hiddenSize, cell } = this.base;
    const dtype = this.embedding.weight.dtype;
    const h = zeros([numLayers, rows, hiddenSize], { dtype });
    return { h, c: cell === 'lstm' ? zeros([numLayers, rows, hiddenSize], { dtype }) : null };
  }

  /** The recurrent state of the given rows. */
  protected selectRecurrent(state: RecurrentState, rows: Int32Array): RecurrentState {
    return {
      h: indexSelect(state.h, 1, rows),
      c: state.c === null ? null : indexSelect(state.c, 1, rows),
    };
  }
}
