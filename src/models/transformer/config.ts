import { HeedError } from '../../util/errors.js';
import { type Infer, v, validate } from '../../util/validate.js';

/**
 * The configurations of the two Transformer models, as JSON: a type with the defaults in its
 * comments, a schema, and a resolver that validates and fills in the defaults.
 */

/** The configuration of {@link Transformer}, as JSON. */
export interface TransformerConfig {
  /** Source vocabulary size (ids 0 … srcVocabSize − 1). */
  srcVocabSize: number;
  /** Target vocabulary size: the width of the logits. */
  tgtVocabSize: number;
  /** Model width d_model (default 256). */
  dModel?: number;
  /** Attention heads per layer (default 4); must divide dModel. */
  nhead?: number;
  /** Encoder layers (default 3). */
  numEncoderLayers?: number;
  /** Decoder layers (default 3). */
  numDecoderLayers?: number;
  /** Width of the feed-forward blocks (default 1024). */
  dimFeedforward?: number;
  /** Dropout on the embeddings, attention weights and every sublayer output (default 0.1). */
  dropout?: number;
  /** Longest source and longest target (positions of the sinusoidal table; default 256). */
  maxLen?: number;
  /** Pre-norm layers plus a final LayerNorm per stack (default true): trains without warm-up. */
  normFirst?: boolean;
  /** The output projection is the target embedding matrix (Vaswani et al. §3.4; default false). */
  tieEmbeddings?: boolean;
  /** Padding id of both vocabularies: zero embedding, ignored as key and as target (default 0). */
  padId?: number;
}

const positive = v.int({ min: 1 });

const transformerSchema = v.object({
  srcVocabSize: positive,
  tgtVocabSize: positive,
  dModel: v.withDefault(positive, 256),
  nhead: v.withDefault(positive, 4),
  numEncoderLayers: v.withDefault(positive, 3),
  numDecoderLayers: v.withDefault(positive, 3),
  dimFeedforward: v.withDefault(positive, 1024),
  dropout: v.withDefault(v.number({ min: 0, lt: 1 }), 0.1),
  maxLen: v.withDefault(positive, 256),
  normFirst: v.withDefault(v.boolean(), true),
  tieEmbeddings: v.withDefault(v.boolean(), false),
  padId: v.withDefault(v.int({ min: 0 }), 0),
});

/** A validated configuration with every default filled in. */
export type ResolvedTransformerConfig = Required<Infer<typeof transformerSchema>>;

/**
 * Checks a configuration (typically parsed JSON) and fills in the defaults. An unknown key, a
 * value of the wrong type or range, a dModel the heads do not divide or a padId outside a
 * vocabulary is one line of HeedError, e.g.
 * `Transformer: config.nhead must be an integer >= 1, got "4" (a string)`.
 */
export function resolveTransformerConfig(config: unknown, source = 'Transformer'): ResolvedTransformerConfig {
  const c = validate(transformerSchema, config, source);
  if (c.dModel % c.nhead !== 0) {
    throw new HeedError(`${source}: config.dModel ${c.dModel} is not divisible by config.nhead ${c.nhead}`);
  }
  if (c.dModel % 2 !== 0) {
    throw new HeedError(
      `${source}: config.dModel ${c.dModel} must be even (sinusoidal positions pair sin and cos)`,
    );
  }
  const smaller = Math.min(c.srcVocabSize, c.tgtVocabSize);
  if (c.padId >= smaller) {
    throw new HeedError(
      `${source}: config.padId ${c.padId} must be below both vocabulary sizes (${smaller})`,
    );
  }
  return c;
}

/** The configuration of {@link GPT}, as JSON; the defaults are nanoGPT's CPU shakespeare_char run. */
export interface GPTConfig {
  /** Vocabulary size V (65 for shakespeare_char; required). */
  vocabSize: number;
  /** Context length: the longest sequence the model reads (default 64). */
  blockSize?: number;
  /** Transformer blocks (default 4). */
  nLayer?: number;
  /** Attention heads per block (default 4); must divide nEmbd. */
  nHead?: number;
  /** Embedding width (default 128). */
  nEmbd?: number;
  /** Dropout on embeddings, attention weights and residual branches (default 0). */
  dropout?: number;
  /** Biases in the Linears and LayerNorms, like GPT-2 (default true); false is a bit better and faster. */
  bias?: boolean;
}

const gptSchema = v.object({
  vocabSize: positive,
  blockSize: v.withDefault(positive, 64),
  nLayer: v.withDefault(positive, 4),
  nHead: v.withDefault(positive, 4),
  nEmbd: v.withDefault(positive, 128),
  dropout: v.withDefault(v.number({ min: 0, lt: 1 }), 0),
  bias: v.withDefault(v.boolean(), true),
});

/** A validated configuration with every default filled in. */
export type ResolvedGPTConfig = Required<Infer<typeof gptSchema>>;

/**
 * Checks a configuration and fills in the defaults; an unknown key, a wrong type or range, or
 * nHead not dividing nEmbd is one line of HeedError, e.g. `GPT: config.nLayer must be an integer >= 1, got 0`.
 */
export function resolveGPTConfig(config: unknown, source = 'GPT'): ResolvedGPTConfig {
  const c = validate(gptSchema, config, source);
  if (c.nEmbd % c.nHead !== 0) {
    throw new HeedError(`${source}: config.nEmbd ${c.nEmbd} is not divisible by config.nHead ${c.nHead}`);
  }
  return c;
}
