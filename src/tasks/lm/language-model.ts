import { join } from 'node:path';
import { tokenizerFromJSON } from '../../data/tokenizers/index.js';
import type { Tokenizer } from '../../data/tokenizers/tokenizer.js';
import { Vocab } from '../../data/vocab.js';
import { loadCheckpoint } from '../../io/checkpoint.js';
import { HeedError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { readCheckpointFile, readStoredRunConfig } from '../classification/run-support.js';
import type { RunConfig } from '../run-config.js';
import { type LMSetup, parseLMConfig } from './config.js';
import { buildLanguageModel, type LanguageModelNet } from './models.js';

/** Options of {@link LanguageModel.generate}. */
export interface GenerateOptions {
  /** Tokens to add (≥ 0). */
  maxTokens: number;
  /** Default 1; 0 takes the most likely token at every step. */
  temperature?: number;
  /** Sample among the k most likely tokens only. */
  topK?: number;
  /** Nucleus sampling: the smallest set of tokens whose probability reaches p, in (0, 1]. */
  topP?: number;
  /** Seed of the sampling stream (default 0): the same seed gives the same text. */
  seed?: number;
}

/** What {@link LanguageModel.generate} returns. */
export interface Generation {
  /** The prompt as the model read it, then the continuation (detokenized together). */
  text: string;
  /** The continuation alone. */
  continuation: string;
  /** The new tokens. */
  tokens: string[];
  /**
   * What each new token attended to, when the model has attention: one row per new token over
   * the positions of the prompt-plus-continuation sequence the step that predicted it could see.
   */
  attention?: number[][];
}

/** What the `attend` verb draws for a language model. */
export interface LMAttention {
  /** The attending positions (tokens of the text, whitespace made visible). */
  rowLabels: string[];
  /** The attended positions (the same tokens). */
  colLabels: string[];
  /** [T, T]: row i's weights over the positions. */
  weights: number[][];
  title: string;
  /** GPT: one map per layer and head. */
  maps?: { title: string; weights: number[][] }[];
}

/**
 * A trained language model with what it needs to read and write text: tokenizer, vocabulary
 * and the network. Made by the task after training, or by `loadLanguageModel` from a
 * checkpoint; both generate identically for the same seed.
 */
export class LanguageModel {
  constructor(
    /** The run config the model was trained from. */
    readonly config: RunConfig,
    readonly setup: LMSetup,
    readonly tokenizer: Tokenizer,
    readonly vocab: Vocab,
    readonly net: LanguageModelNet,
  ) {}

  /** Text → ids; a character the training text never had is an error (its embedding was never trained). */
  encode(text: string, what = 'text'): number[] {
    const tokens = this.tokenizer.tokenize(text);
    if (this.setup.data.tokenizer === 'char') {
      const unknown = tokens.find((t) => !this.vocab.has(t));
      if (unknown !== undefined) {
        throw new HeedError(
          `${what}: the character ${JSON.stringify(unknown)} never occurs in the training text`,
        );
      }
    }
    return this.vocab.encode(tokens);
  }

  /** Ids → text (special tokens left out). */
  decode(ids: readonly number[]): string {
    return this.tokenizer.detokenize(this.vocab.decode(ids, { stripSpecial: true }));
  }

  /** Continues `prompt` by up to maxTokens tokens, sampled under `seed`. */
  generate(prompt: string, opts: GenerateOptions): Generation {
    const { maxTokens } = opts;
    const temperature = opts.temperature ?? 1;
    if (!Number.isInteger(maxTokens) || maxTokens < 0) {
      throw new HeedError(`generate: maxTokens must be an integer >= 0, got ${maxTokens}`);
    }
    if (!(temperature >= 0 && Number.isFinite(temperature))) {
      throw new HeedError(`generate: temperature must be a number >= 0, got ${temperature}`);
    }
    if (opts.topK !== undefined && !(Number.isInteger(opts.topK) && opts.topK >= 1)) {
      throw new HeedError(`generate: topK must be an integer >= 1, got ${opts.topK}`);
    }
    if (opts.topP !== undefined && !(opts.topP > 0 && opts.topP <= 1)) {
      throw new HeedError(`generate: topP must be in (0, 1], got ${opts.topP}`);
    }
    const seed = opts.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new HeedError(`generate: seed must be an integer, got ${seed}`);
    const promptIds = this.encode(prompt, 'prompt');
    if (promptIds.length === 0) throw new HeedError('generate: the prompt has no tokens');
    const out =
      maxTokens === 0
        ? { ids: [] }
        : this.net.generate(promptIds, {
            maxTokens,
            temperature,
            topK: opts.topK,
            topP: opts.topP,
            generator: new Generator(seed),
          });
    const g: Generation = {
      text: this.decode([...promptIds, ...out.ids]),
      continuation: this.decode(out.ids),
      tokens: this.vocab.decode(out.ids),
    };
    if (out.attention !== undefined) g.attention = out.attention.map((row) => Array.from(row));
    return g;
  }

  /** The model's attention over the last blockSize tokens of `text`. */
  attention(text: string): LMAttention {
    const all = this.encode(text);
    if (all.length === 0) throw new HeedError('attend: the text has no tokens');
    const ids = all.slice(-this.setup.data.blockSize);
    const a = this.net.attention(ids);
    if (a === null) throw new HeedError(`attend: a plain ${this.net.kind} has no attention weights to draw`);
    const labels = this.vocab.decode(ids).map(visible);
    const cropped = ids.length < all.length ? ` (last ${ids.length} of ${all.length} tokens)` : '';
    return {
      rowLabels: labels,
      colLabels: labels,
      weights: a.main.weights,
      title: `${this.config.name}: ${a.main.title}${cropped}`,
      maps: a.maps.length > 1 ? a.maps : undefined,
    };
  }
}

/** A token as a label: whitespace drawn as a visible mark. */
function visible(token: string): string {
  return token.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥');
}

/** Loads a language-model checkpoint written by the lm task. */
export function loadLanguageModel(dir: string): LanguageModel {
  const config = readStoredRunConfig(dir, 'lm');
  const setup = parseLMConfig(config, { checkFiles: false });
  const tokenizer = tokenizerFromJSON(readCheckpointFile(dir, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  const vocab = Vocab.fromJSON(readCheckpointFile(dir, 'vocab.json'), join(dir, 'vocab.json'));
  // Initialised from a private stream (the weights are overwritten), so loading leaves the default generator alone.
  const net = buildLanguageModel(setup.model.kind, setup.model.options, vocab.size, setup.data.blockSize, {
    generator: new Generator(0),
  });
  loadCheckpoint(dir, { model: net.module });
  return new LanguageModel(config, setup, tokenizer, vocab, net);
}

/** The attention of a checkpoint's language model over `text`, for the `attend` verb. */
export function lmAttention(dir: string, text: string): LMAttention {
  return loadLanguageModel(dir).attention(text);
}
