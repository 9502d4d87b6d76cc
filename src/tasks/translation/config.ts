import { existsSync } from 'node:fs';
import {
  type ResolvedAttentionSeq2SeqConfig,
  type ResolvedSeq2SeqConfig,
  resolveAttentionSeq2SeqConfig,
  resolveSeq2SeqConfig,
} from '../../models/seq2seq/index.js';
import { type ResolvedTransformerConfig, resolveTransformerConfig } from '../../models/transformer/index.js';
import { HeedError } from '../../util/errors.js';
import { type Infer, showValue, type Validator, v, validate } from '../../util/validate.js';
import { parseTrainingSection, type TrainingSection } from '../classification/run-support.js';
import type { RunConfig } from '../run-config.js';

/**
 * The translation task's sections of a run config, validated:
 *
 *   "data":  { "kind": "tsv", "train": "data/en-fr/train.tsv.gz", "valid": …, "test": …,
 *              "maxLength": 60,
 *              "srcTokenizer": { "kind": "bpe", "vocabSize": 6000 }, "tgtTokenizer": { … },
 *              "srcVocab": { "minFreq": 1 }, "tgtVocab": { "maxSize": 8000 } }
 *        or { "kind": "dates", "trainSize": 20000, "validSize": 500, "testSize": 2000 }
 *   "model": { "kind": "seq2seq" | "attention-seq2seq" | "transformer", …that model's config }
 *   "training": TrainerConfig keys + "batchSize" (examples) or "maxTokens", "labelSmoothing"
 *   "eval":  { "beamSize": 1, "alpha": 0, "maxLength": …, "validBleuSize": 200, "batchSize": 64 }
 *
 * Vocabulary sizes come from the data, so the model section may not set them. Every problem is
 * one HeedError line naming the key, e.g. `configs/x.json: config.data.kind must be 'tsv' |
 * 'dates', got "csv" (a string)`.
 */

const normalize = v.withDefault(v.oneOf(['NFC', 'NFKC', 'none']), 'NFC');
const lowercase = v.withDefault(v.boolean(), false);
const punctuation = v.withDefault(v.oneOf(['split', 'keep', 'strip']), 'split');

const charTokenizer = v.object({
  kind: v.oneOf(['char']),
  lowercase,
  normalize,
  /** 'grapheme' (default): what a reader sees as one character; 'codepoint': Python's list(text). */
  unit: v.withDefault(v.oneOf(['grapheme', 'codepoint']), 'grapheme'),
});

const wordTokenizer = v.object({
  kind: v.oneOf(['word']),
  lowercase,
  normalize,
  punctuation,
});

const bpeTokenizer = v.object({
  kind: v.oneOf(['bpe']),
  lowercase,
  normalize,
  punctuation,
  /** Symbols to learn (alphabet + merges), on the training side of the data. Give this or numMerges. */
  vocabSize: v.optional(v.int({ min: 1 })),
  numMerges: v.optional(v.int({ min: 0 })),
  /** Stop merging when the best pair is rarer (default 2). */
  minFrequency: v.withDefault(v.int({ min: 1 }), 2),
});

export type TokenizerSpec =
  | Infer<typeof charTokenizer>
  | Infer<typeof wordTokenizer>
  | Infer<typeof bpeTokenizer>;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A tokenizer section: its `kind` picks the schema the rest is checked against. */
const tokenizerSpec: Validator<TokenizerSpec> = {
  expected: "an object with kind 'char' | 'word' | 'bpe'",
  parse(value, path) {
    if (!isRecord(value)) throw new HeedError(`${path} must be an object, got ${showValue(value)}`);
    const schemas: Record<string, Validator<TokenizerSpec>> = {
      char: charTokenizer,
      word: wordTokenizer,
      bpe: bpeTokenizer,
    };
    const kind = value.kind;
    const schema = typeof kind === 'string' && Object.hasOwn(schemas, kind) ? schemas[kind] : undefined;
    if (schema === undefined) {
      throw new HeedError(`${path}.kind must be 'char' | 'word' | 'bpe', got ${showValue(kind)}`);
    }
    const spec = schema.parse(value, path);
    if (spec.kind === 'bpe' && (spec.vocabSize === undefined) === (spec.numMerges === undefined)) {
      throw new HeedError(`${path}: a 'bpe' tokenizer needs exactly one of vocabSize and numMerges`);
    }
    return spec;
  },
};

const vocabSchema = v.object({
  /** Tokens seen fewer times in the training side become <unk> (default 1). */
  minFreq: v.withDefault(v.int({ min: 1 }), 1),
  /** Largest vocabulary, the four specials included (default: no limit). */
  maxSize: v.optional(v.int({ min: 5 })),
});

export type VocabSpec = Infer<typeof vocabSchema>;

/** Tokenizers (default: per data kind) and vocabulary options of the two sides. */
const sideFields = {
  srcTokenizer: v.optional(tokenizerSpec),
  tgtTokenizer: v.optional(tokenizerSpec),
  srcVocab: v.withDefault(vocabSchema, { minFreq: 1 }),
  tgtVocab: v.withDefault(vocabSchema, { minFreq: 1 }),
};

const path = v.string({ nonEmpty: true });

const tsvData = v.object({
  kind: v.oneOf(['tsv']),
  /** Parallel TSV files (`source<TAB>target`, `.gz` read transparently). */
  train: path,
  valid: path,
  test: path,
  /** 0-based columns of source and target (default 0 and 1). */
  srcColumn: v.withDefault(v.int({ min: 0 }), 0),
  tgtColumn: v.withDefault(v.int({ min: 0 }), 1),
  /** Training (and validation-loss) pairs with a side longer than this many tokens are left out. */
  maxLength: v.optional(v.int({ min: 1 })),
  ...sideFields,
});

const datesData = v.object({
  kind: v.oneOf(['dates']),
  /** Synthetic date pairs (src/tasks/dates.ts), drawn under the run's seed. */
  trainSize: v.int({ min: 1 }),
  validSize: v.int({ min: 1 }),
  testSize: v.int({ min: 1 }),
  ...sideFields,
});

type TsvData = Infer<typeof tsvData>;
type DatesData = Infer<typeof datesData>;

/** The data section with each side's tokenizer resolved. */
export type DataSpec = (
  | Omit<TsvData, 'srcTokenizer' | 'tgtTokenizer'>
  | Omit<DatesData, 'srcTokenizer' | 'tgtTokenizer'>
) & {
  srcTokenizer: TokenizerSpec;
  tgtTokenizer: TokenizerSpec;
};

/** Characters for dates, words and punctuation for text. */
function defaultTokenizer(kind: 'tsv' | 'dates'): TokenizerSpec {
  return kind === 'dates'
    ? { kind: 'char', lowercase: false, normalize: 'NFC', unit: 'grapheme' }
    : { kind: 'word', lowercase: false, normalize: 'NFC', punctuation: 'split' };
}

export const modelKinds = ['seq2seq', 'attention-seq2seq', 'transformer'] as const;
export type ModelKind = (typeof modelKinds)[number];

/** The model section, validated by the model's own resolver (vocabulary sizes filled in later). */
export type ModelSpec =
  | { kind: 'seq2seq'; config: ResolvedSeq2SeqConfig }
  | { kind: 'attention-seq2seq'; config: ResolvedAttentionSeq2SeqConfig }
  | { kind: 'transformer'; config: ResolvedTransformerConfig };

const evalSchema = v.object({
  /** Beam width for the test set and `translate` (1 = greedy search). */
  beamSize: v.withDefault(v.int({ min: 1 }), 1),
  /** GNMT length-penalty exponent of beam search (0 = none). */
  alpha: v.withDefault(v.number({ min: 0 }), 0),
  /** Longest output in tokens (default: 1.5 × the longest source + 10, capped by the model). */
  maxLength: v.optional(v.int({ min: 1 })),
  /** Validation sentences decoded for BLEU at each periodic evaluation (0 = loss only). */
  validBleuSize: v.withDefault(v.int({ min: 0 }), 200),
  /** Sentences decoded together (default 64). */
  batchSize: v.withDefault(v.int({ min: 1 }), 64),
});

export type EvalSpec = Infer<typeof evalSchema>;

/** The training section: a TrainerConfig plus how batches are made and the loss's smoothing. */
export interface TranslationTraining extends Omit<TrainingSection, 'batchSize'> {
  /** Examples per batch, or … */
  batchSize?: number;
  /** … padded tokens per batch (rows × longest side), as JoeyNMT and fairseq batch. */
  maxTokens?: number;
  /** ε of label smoothing (default 0; Vaswani et al. used 0.1). */
  labelSmoothing: number;
}

export interface TranslationSetup {
  data: DataSpec;
  model: ModelSpec;
  training: TranslationTraining;
  eval: EvalSpec;
}

/** Validates the task's sections of a run config; every problem is one line naming the key. */
export function parseTranslationConfig(
  config: RunConfig,
  opts: { checkFiles?: boolean } = {},
): TranslationSetup {
  const source = config.source;
  const data = parseData(config.data, source);
  if (opts.checkFiles ?? true) checkFiles(data, source);
  const model = parseModel(config.model, source);
  const training = parseTraining(config.training, config, source);
  const evalSpec = validate(evalSchema, config.eval, source, 'config.eval');
  return { data, model, training, eval: evalSpec };
}

function parseData(section: Record<string, unknown>, source: string): DataSpec {
  const kind = section.kind;
  if (kind !== 'tsv' && kind !== 'dates') {
    throw new HeedError(`${source}: config.data.kind must be 'tsv' | 'dates', got ${showValue(kind)}`);
  }
  const d =
    kind === 'tsv'
      ? validate(tsvData, section, source, 'config.data')
      : validate(datesData, section, source, 'config.data');
  if (d.kind === 'tsv' && d.srcColumn === d.tgtColumn) {
    throw new HeedError(`${source}: config.data.srcColumn and tgtColumn are both ${d.srcColumn}`);
  }
  return {
    ...d,
    srcTokenizer: d.srcTokenizer ?? defaultTokenizer(kind),
    tgtTokenizer: d.tgtTokenizer ?? defaultTokenizer(kind),
  };
}

function checkFiles(d: DataSpec, source: string): void {
  if (d.kind !== 'tsv') return;
  for (const key of ['train', 'valid', 'test'] as const) {
    if (!existsSync(d[key])) throw new HeedError(`${source}: config.data.${key}: file not found: ${d[key]}`);
  }
}

/** Messages of a validator rooted at `config` re-rooted at `config.<section>`. */
function rerooted<T>(source: string, section: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    const root = `${source}: config`;
    if (e instanceof HeedError && e.message.startsWith(root)) {
      throw new HeedError(`${root}.${section}${e.message.slice(root.length)}`);
    }
    throw e;
  }
}

function parseModel(section: Record<string, unknown>, source: string): ModelSpec {
  const { kind, ...options } = section;
  const found = modelKinds.find((k) => k === kind);
  if (found === undefined) {
    throw new HeedError(
      `${source}: config.model.kind must be ${modelKinds.map((k) => `'${k}'`).join(' | ')}, got ${showValue(kind)}`,
    );
  }
  for (const key of ['srcVocabSize', 'tgtVocabSize', 'padId']) {
    if (key in options)
      throw new HeedError(`${source}: config.model.${key} is set from the data; leave it out`);
  }
  // The resolvers need vocabulary sizes; any will do to check the rest (they are replaced).
  const probe = { ...options, srcVocabSize: 8, tgtVocabSize: 8 };
  return rerooted(source, 'model', (): ModelSpec => {
    switch (found) {
      case 'seq2seq':
        return { kind: found, config: resolveSeq2SeqConfig(probe, source) };
      case 'attention-seq2seq':
        return { kind: found, config: resolveAttentionSeq2SeqConfig(probe, source) };
      case 'transformer':
        return { kind: found, config: resolveTransformerConfig(probe, source) };
    }
  });
}

function parseTraining(
  section: Record<string, unknown>,
  config: RunConfig,
  source: string,
): TranslationTraining {
  const { maxTokens, labelSmoothing = 0, ...rest } = section;
  const given = (key: string) => Object.hasOwn(section, key);
  if (given('maxTokens') && given('batchSize')) {
    throw new HeedError(`${source}: config.training: give batchSize or maxTokens, not both`);
  }
  if (
    maxTokens !== undefined &&
    !(typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens >= 1)
  ) {
    throw new HeedError(
      `${source}: config.training.maxTokens must be an integer >= 1, got ${showValue(maxTokens)}`,
    );
  }
  if (!(typeof labelSmoothing === 'number' && labelSmoothing >= 0 && labelSmoothing < 1)) {
    throw new HeedError(
      `${source}: config.training.labelSmoothing must be a number >= 0 and < 1, got ${showValue(labelSmoothing)}`,
    );
  }
  // The trainer's seed defaults to the run's, so one number reproduces the whole run.
  const withSeed = given('seed') ? rest : { ...rest, seed: config.seed };
  const { trainer, batchSize } = parseTrainingSection(withSeed, config.output, source);
  return {
    trainer,
    ...(typeof maxTokens === 'number' ? { maxTokens } : { batchSize: given('batchSize') ? batchSize : 64 }),
    labelSmoothing,
  };
}
