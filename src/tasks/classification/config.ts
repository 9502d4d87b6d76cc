import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { resolveAttentiveClassifierConfig } from '../../models/classify/attentive-classifier.js';
import {
  resolveLogisticRegressionBowConfig,
  resolveNaiveBayesConfig,
} from '../../models/classify/bag-of-words.js';
import { HeedError } from '../../util/errors.js';
import { type Infer, v, validate } from '../../util/validate.js';
import type { RunConfig } from '../run-config.js';
import { modelMessage, parseTrainingSection, type TrainingSection } from './run-support.js';

/**
 * The classification task's sections of a run config, validated:
 *
 *   "data": { "path": "data/spam/spam.jsonl.gz", "split": { "valid": 0.1, "test": 0.1 },
 *             "positiveLabel": "spam", "tokenizer": { "kind": "word", "lowercase": true },
 *             "vocab": { "minFreq": 2, "maxSize": 20000 }, "maxLength": 256 },
 *   "model": { "kind": "attentive-classifier", "embedDim": 64, "hiddenSize": 64 },
 *   "training": { "batchSize": 32, "maxEpochs": 3, "evalEvery": 50, "optimizer": { … } },
 *   "eval": {}
 *
 * The data comes from one file split at random (seeded by the run's seed) or from explicit
 * train/valid/test files. The model's vocabSize and numClasses come from the data.
 */

const tokenizerSchema = v.object({
  /** 'word' (default): words and punctuation marks; 'char': characters. */
  kind: v.withDefault(v.oneOf(['word', 'char']), 'word'),
  /** Lowercase first (default true). */
  lowercase: v.withDefault(v.boolean(), true),
  /** Unicode normalisation (default 'NFC'). */
  normalize: v.withDefault(v.oneOf(['NFC', 'NFKC', 'none']), 'NFC'),
  /** Word tokenizer: punctuation as tokens ('split', default), attached ('keep') or dropped ('strip'). */
  punctuation: v.optional(v.oneOf(['split', 'keep', 'strip'])),
});

const vocabSchema = v.object({
  /** Words seen fewer times in the training texts become <unk> (default 1). */
  minFreq: v.withDefault(v.int({ min: 1 }), 1),
  /** Largest vocabulary, the four specials included (default: no limit). */
  maxSize: v.optional(v.int({ min: 5 })),
});

const fraction = v.number({ min: 0, lt: 1 });

export const classificationDataSchema = v.object({
  /** One labelled file (TSV `label<TAB>text` or JSON Lines, `.gz` read transparently), split at random. */
  path: v.optional(v.string({ nonEmpty: true })),
  /** Or explicit files: train and test, and valid (default: split.valid of train held out). */
  train: v.optional(v.string({ nonEmpty: true })),
  valid: v.optional(v.string({ nonEmpty: true })),
  test: v.optional(v.string({ nonEmpty: true })),
  /** Default: from the extension (.jsonl/.ndjson or .tsv/.tab, before any .gz). */
  format: v.optional(v.oneOf(['jsonl', 'tsv'])),
  /** JSON Lines: the fields holding the text and the label (default 'text', 'label'). */
  textField: v.withDefault(v.string({ nonEmpty: true }), 'text'),
  labelField: v.withDefault(v.string({ nonEmpty: true }), 'label'),
  /** Fractions held out for validation and test (default 0.1 each), seeded by the run's seed. */
  split: v.withDefault(
    v.object({ valid: v.withDefault(fraction, 0.1), test: v.withDefault(fraction, 0.1) }),
    {
      valid: 0.1,
      test: 0.1,
    },
  ),
  /** The class whose precision/recall/F1 are reported (default: the second of two sorted labels). */
  positiveLabel: v.optional(v.string({ nonEmpty: true })),
  tokenizer: v.withDefault(tokenizerSchema, { kind: 'word', lowercase: true, normalize: 'NFC' }),
  vocab: v.withDefault(vocabSchema, { minFreq: 1 }),
  /** Keep only the first maxLength tokens of each text (default: all). */
  maxLength: v.optional(v.int({ min: 1 })),
});

export type ClassificationData = Infer<typeof classificationDataSchema>;
export type ClassificationTokenizerConfig = Infer<typeof tokenizerSchema>;

export const classifierKinds = ['attentive-classifier', 'bow-logreg', 'naive-bayes'] as const;
export type ClassifierKind = (typeof classifierKinds)[number];

/** The model section: its kind, and the options of that model (its config without the sizes the data sets). */
export interface ClassificationModelSection {
  kind: ClassifierKind;
  options: Record<string, unknown>;
}

export const classificationEvalSchema = v.object({
  /** Texts per forward pass when predicting (default 64). */
  batchSize: v.withDefault(v.int({ min: 1 }), 64),
});

export interface ClassificationSetup {
  data: ClassificationData;
  model: ClassificationModelSection;
  training: TrainingSection | null;
  eval: Infer<typeof classificationEvalSchema>;
}

/** Validates the task's sections of a run config; every problem is one line naming the key. */
export function parseClassificationConfig(
  config: RunConfig,
  opts: { checkFiles?: boolean } = {},
): ClassificationSetup {
  const source = config.source;
  const data = validate(classificationDataSchema, config.data, source, 'config.data');
  checkDataFiles(data, source, opts.checkFiles ?? true);
  if (data.tokenizer.kind === 'char' && data.tokenizer.punctuation !== undefined) {
    throw new HeedError(`${source}: config.data.tokenizer.punctuation applies to the word tokenizer only`);
  }
  const model = parseModelSection(config.model, source);
  const evalSection = validate(classificationEvalSchema, config.eval, source, 'config.eval');
  let training: TrainingSection | null = null;
  if (model.kind === 'naive-bayes') {
    if (Object.keys(config.training).length > 0) {
      throw new HeedError(
        `${source}: config.training must be {} for 'naive-bayes' (it is fitted in closed form, without a trainer)`,
      );
    }
  } else {
    training = parseTrainingSection(config.training, config.output, source);
  }
  return { data, model, training, eval: evalSection };
}

function parseModelSection(section: Record<string, unknown>, source: string): ClassificationModelSection {
  const { kind, ...options } = section;
  const found = classifierKinds.find((k) => k === kind);
  if (found === undefined) {
    throw new HeedError(
      `${source}: config.model.kind must be ${classifierKinds.map((k) => `'${k}'`).join(' | ')}, got ${JSON.stringify(kind) ?? 'nothing'}`,
    );
  }
  for (const key of ['vocabSize', 'numClasses']) {
    if (key in options) {
      throw new HeedError(`${source}: config.model.${key} is set from the data; leave it out`);
    }
  }
  // Check the options now (with stand-in sizes) so a typo fails before the data loads.
  try {
    const probe = { ...options, vocabSize: 0x7fffffff, numClasses: 2 };
    if (found === 'attentive-classifier') resolveAttentiveClassifierConfig(probe);
    else if (found === 'bow-logreg') resolveLogisticRegressionBowConfig(probe);
    else resolveNaiveBayesConfig(probe);
  } catch (e) {
    if (e instanceof HeedError) throw new HeedError(`${source}: ${modelMessage(e.message)}`);
    throw e;
  }
  return { kind: found, options };
}

function checkDataFiles(d: ClassificationData, source: string, checkFiles: boolean): void {
  const explicit = d.train !== undefined || d.valid !== undefined || d.test !== undefined;
  if (d.path !== undefined && explicit) {
    throw new HeedError(
      `${source}: config.data: give either path (split at random) or train/valid/test files, not both`,
    );
  }
  if (d.path === undefined && (d.train === undefined || d.test === undefined)) {
    throw new HeedError(`${source}: config.data needs path, or train and test (and optionally valid) files`);
  }
  if (d.path !== undefined && d.split.valid + d.split.test >= 1) {
    throw new HeedError(`${source}: config.data.split: valid + test must be below 1`);
  }
  for (const key of ['path', 'train', 'valid', 'test'] as const) {
    const file = d[key];
    if (file === undefined) continue;
    if (checkFiles && !existsSync(file))
      throw new HeedError(`${source}: config.data.${key}: file not found: ${file}`);
    formatOf(file, d.format, `${source}: config.data.${key}`);
  }
}

/** The format of a labelled file: as configured, else from its extension (before any .gz). */
export function formatOf(path: string, format: 'jsonl' | 'tsv' | undefined, what: string): 'jsonl' | 'tsv' {
  if (format !== undefined) return format;
  const ext = extname(path.replace(/\.gz$/i, '')).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  throw new HeedError(
    `${what}: cannot tell the format of ${path} from its extension; set config.data.format`,
  );
}
