import { existsSync } from 'node:fs';
import { resolveAttentiveRNNLMConfig, resolveRNNLMConfig } from '../../models/lm/config.js';
import { resolveGPTConfig } from '../../models/transformer/index.js';
import { HeedError } from '../../util/errors.js';
import { type Infer, v, validate } from '../../util/validate.js';
import { modelMessage, parseTrainingSection, type TrainingSection } from '../classification/run-support.js';
import type { RunConfig } from '../run-config.js';

/**
 * The language-model task's sections of a run config, validated:
 *
 *   "data":  { "path": "data/moby-dick/moby-dick.txt.gz", "tokenizer": "char",
 *              "split": { "valid": 0.1 }, "blockSize": 64 },
 *   "model": { "kind": "gpt", "nLayer": 4, "nHead": 4, "nEmbd": 128, "dropout": 0 },
 *   "training": { "batchSize": 12, "maxSteps": 2000, "evalEvery": 250, "optimizer": { … } },
 *   "eval":  { "evalBatches": 20, "sampleTokens": 500, "temperature": 0.8, "prompt": "\n" }
 *
 * As nanoGPT's shakespeare_char: the text is one stream of tokens whose last `split.valid` part
 * is held out; training draws random windows of blockSize + 1 tokens (inputs and the targets
 * one to the right). The model's vocabSize (and GPT's blockSize) come from the data.
 */

export const lmDataSchema = v.object({
  /** A plain-text file (UTF-8; `.gz` read transparently). */
  path: v.string({ nonEmpty: true }),
  /** 'char' (default): one token per character, as nanoGPT's shakespeare_char; 'word': words and punctuation. */
  tokenizer: v.withDefault(v.oneOf(['char', 'word']), 'char'),
  /** Lowercase the text first (default false). */
  lowercase: v.withDefault(v.boolean(), false),
  /** The last `valid` fraction of the token stream is the validation text (default 0.1). */
  split: v.withDefault(v.object({ valid: v.number({ gt: 0, lt: 1 }) }), { valid: 0.1 }),
  /** Context length: tokens per training window (default 64). */
  blockSize: v.withDefault(v.int({ min: 1 }), 64),
  /** Word tokenizer: rarer words become <unk> (default minFreq 1, no size limit). */
  vocab: v.optional(
    v.object({
      minFreq: v.withDefault(v.int({ min: 1 }), 1),
      maxSize: v.optional(v.int({ min: 5 })),
    }),
  ),
});

export type LMData = Infer<typeof lmDataSchema>;

export const lmEvalSchema = v.object({
  /** Batches of fixed random validation windows averaged for the validation loss (default 20). */
  evalBatches: v.withDefault(v.int({ min: 1 }), 20),
  /** Tokens of the sample generated at the end of training (default 200; 0: none). */
  sampleTokens: v.withDefault(v.int({ min: 0 }), 200),
  /** Sampling temperature of that sample (default 0.8; 0 takes the most likely token). */
  temperature: v.withDefault(v.number({ min: 0 }), 0.8),
  /** Sample among the k most likely tokens only (default: all). */
  topK: v.optional(v.int({ min: 1 })),
  /** Nucleus sampling: the smallest set of tokens whose probability reaches p (default: off). */
  topP: v.optional(v.number({ gt: 0, max: 1 })),
  /** The text the sample continues (default a newline, as nanoGPT's sample.py). */
  prompt: v.withDefault(v.string({ nonEmpty: true }), '\n'),
});

export type LMEval = Infer<typeof lmEvalSchema>;

export const lmKinds = ['gpt', 'rnn-lm', 'attentive-rnn-lm'] as const;
export type LMKind = (typeof lmKinds)[number];

export interface LMModelSection {
  kind: LMKind;
  /** The model's own options (its config without vocabSize, and for GPT without blockSize). */
  options: Record<string, unknown>;
}

export interface LMSetup {
  data: LMData;
  model: LMModelSection;
  training: TrainingSection;
  eval: LMEval;
}

/** Validates the task's sections of a run config; every problem is one line naming the key. */
export function parseLMConfig(config: RunConfig, opts: { checkFiles?: boolean } = {}): LMSetup {
  const source = config.source;
  const data = validate(lmDataSchema, config.data, source, 'config.data');
  if ((opts.checkFiles ?? true) && !existsSync(data.path)) {
    throw new HeedError(`${source}: config.data.path: file not found: ${data.path}`);
  }
  if (data.vocab !== undefined && data.tokenizer === 'char') {
    throw new HeedError(
      `${source}: config.data.vocab applies to the word tokenizer (a char vocabulary keeps every character)`,
    );
  }
  const model = parseModelSection(config.model, data.blockSize, source);
  const training = parseTrainingSection(config.training, config.output, source);
  return { data, model, training, eval: validate(lmEvalSchema, config.eval, source, 'config.eval') };
}

function parseModelSection(
  section: Record<string, unknown>,
  blockSize: number,
  source: string,
): LMModelSection {
  const { kind, ...options } = section;
  const found = lmKinds.find((k) => k === kind);
  if (found === undefined) {
    throw new HeedError(
      `${source}: config.model.kind must be ${lmKinds.map((k) => `'${k}'`).join(' | ')}, got ${JSON.stringify(kind) ?? 'nothing'}`,
    );
  }
  if ('vocabSize' in options)
    throw new HeedError(`${source}: config.model.vocabSize is set from the data; leave it out`);
  if (found === 'gpt' && 'blockSize' in options) {
    throw new HeedError(`${source}: config.model.blockSize is config.data.blockSize; set it there`);
  }
  // Check the options now (with a stand-in vocabulary size) so a typo fails before the data loads.
  try {
    const probe = { ...options, vocabSize: 1 };
    if (found === 'gpt') resolveGPTConfig({ ...probe, blockSize }, 'model');
    else if (found === 'rnn-lm') resolveRNNLMConfig(probe);
    else resolveAttentiveRNNLMConfig(probe);
  } catch (e) {
    if (e instanceof HeedError) throw new HeedError(`${source}: ${modelMessage(e.message)}`);
    throw e;
  }
  return { kind: found, options };
}
