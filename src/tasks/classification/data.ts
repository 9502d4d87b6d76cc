import { formatProblem, type LabelledExample, type LoadProblem, readLabelled } from '../../data/loaders.js';
import { splitIndices } from '../../data/split.js';
import { CharTokenizer } from '../../data/tokenizers/char.js';
import type { Tokenizer } from '../../data/tokenizers/tokenizer.js';
import { WordTokenizer } from '../../data/tokenizers/word.js';
import { Vocab } from '../../data/vocab.js';
import { HeedError } from '../../util/errors.js';
import { type ClassificationData, type ClassificationTokenizerConfig, formatOf } from './config.js';

/** The examples of a classification run, split, with the label set. */
export interface ClassificationSplits {
  train: LabelledExample[];
  valid: LabelledExample[];
  test: LabelledExample[];
  /** Every label seen in any part, sorted: index = class id. */
  labels: string[];
  /** Lines left out as malformed, over all files. */
  problems: LoadProblem[];
}

/** Reads one labelled file as the data section describes it (format, field names). */
export function readExamples(
  path: string,
  d: ClassificationData,
): { examples: LabelledExample[]; problems: LoadProblem[] } {
  const format = formatOf(path, d.format, 'config.data');
  const { examples, problems } = readLabelled(path, {
    format,
    textField: d.textField,
    labelField: d.labelField,
  });
  if (examples.length === 0) {
    const why = problems.length > 0 ? ` (first problem: ${formatProblem(problems[0])})` : '';
    throw new HeedError(`${path}: no usable labelled examples${why}`);
  }
  return { examples, problems };
}

/**
 * The train/valid/test examples: one file split at random (seeded by `seed`, the run's seed, so
 * the split is the same whenever the config is), or explicit files, with the validation part
 * held out of train at random when no valid file is given.
 */
export function loadSplits(d: ClassificationData, seed: number): ClassificationSplits {
  const problems: LoadProblem[] = [];
  const read = (path: string): LabelledExample[] => {
    const r = readExamples(path, d);
    problems.push(...r.problems);
    return r.examples;
  };
  let parts: { train: LabelledExample[]; valid: LabelledExample[]; test: LabelledExample[] };
  if (d.path !== undefined) {
    parts = pick(read(d.path), d.split.valid, d.split.test, seed);
  } else if (d.train !== undefined && d.test !== undefined) {
    const test = read(d.test);
    if (d.valid !== undefined) parts = { train: read(d.train), valid: read(d.valid), test };
    else parts = { ...pick(read(d.train), d.split.valid, 0, seed), test };
  } else {
    throw new HeedError('config.data needs path, or train and test files');
  }
  const labels = sortedLabels([...parts.train, ...parts.valid, ...parts.test]);
  if (labels.length < 2) throw new HeedError(`config.data: the examples have one label only (${labels[0]})`);
  for (const [name, part] of Object.entries(parts)) {
    if (part.length === 0) throw new HeedError(`config.data: the ${name} part is empty`);
  }
  return { ...parts, labels, problems };
}

function pick(
  items: LabelledExample[],
  valid: number,
  test: number,
  seed: number,
): { train: LabelledExample[]; valid: LabelledExample[]; test: LabelledExample[] } {
  const idx = splitIndices(items.length, { valid, test, seed });
  const at = (ids: number[]) => ids.map((i) => items[i]);
  return { train: at(idx.train), valid: at(idx.valid), test: at(idx.test) };
}

/** Distinct labels sorted as readLabelled sorts them (numerically when all are numbers). */
export function sortedLabels(examples: readonly LabelledExample[]): string[] {
  const list = [...new Set(examples.map((e) => e.label))];
  if (list.every((l) => /^-?\d+(\.\d+)?$/.test(l))) return list.sort((a, b) => Number(a) - Number(b));
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The tokenizer a data section asks for. */
export function buildTokenizer(c: ClassificationTokenizerConfig): Tokenizer {
  if (c.kind === 'char') {
    return new CharTokenizer({ lowercase: c.lowercase, normalize: c.normalize, unit: 'codepoint' });
  }
  return new WordTokenizer({
    lowercase: c.lowercase,
    normalize: c.normalize,
    punctuation: c.punctuation ?? 'split',
  });
}

/** A text as the model reads it: its tokens (as written) and their ids. */
export interface EncodedText {
  tokens: string[];
  ids: number[];
}

/** The tokens of a text, the first `maxLength` of them. */
export function tokenizeText(text: string, tokenizer: Tokenizer, maxLength: number | undefined): string[] {
  const tokens = tokenizer.tokenize(text);
  return maxLength !== undefined && tokens.length > maxLength ? tokens.slice(0, maxLength) : tokens;
}

/** Tokens → ids. A text with no tokens becomes a single <unk>, so the model has something to read. */
export function encodeTokens(tokens: string[], vocab: Vocab): EncodedText {
  if (tokens.length === 0) return { tokens: [vocab.specials.unk], ids: [vocab.unkId] };
  return { tokens, ids: vocab.encode(tokens) };
}

/** The vocabulary of the training texts' tokens, as the data section's vocab options say. */
export function buildVocab(tokenized: readonly (readonly string[])[], d: ClassificationData): Vocab {
  return Vocab.build(tokenized, { minFreq: d.vocab.minFreq, maxSize: d.vocab.maxSize });
}
