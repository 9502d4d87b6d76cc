import { formatProblems, type LoadProblem, readParallelTsv, wordCount } from '../../data/loaders.js';
import { BpeTokenizer } from '../../data/tokenizers/bpe.js';
import { CharTokenizer } from '../../data/tokenizers/char.js';
import type { Tokenizer } from '../../data/tokenizers/tokenizer.js';
import { WordTokenizer } from '../../data/tokenizers/word.js';
import { Vocab } from '../../data/vocab.js';
import { HeedError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { type DatePair, generateDatePairs } from '../dates.js';
import type { TaskIO } from '../task.js';
import type { DataSpec, TokenizerSpec, VocabSpec } from './config.js';

/** One sentence pair, with the group it is reported under (source-length bucket or date format). */
export interface Example {
  src: string;
  tgt: string;
  group: string;
}

export interface Corpus {
  train: Example[];
  valid: Example[];
  test: Example[];
  /** The title of the groups' table column, and the groups in display order. */
  groupTitle: string;
  groupOrder: readonly string[];
}

/**
 * Source-length buckets in words, as Bahdanau et al. (2014, Fig. 2) plot BLEU against sentence
 * length: 1–10, 11–20, …, 41–50, >50.
 */
export const LENGTH_BUCKETS = ['1-10', '11-20', '21-30', '31-40', '41-50', '>50'] as const;

export function lengthBucket(words: number): string {
  return words > 50 ? '>50' : LENGTH_BUCKETS[Math.max(0, Math.ceil(words / 10) - 1)];
}

const byLength = (src: string, tgt: string): Example => ({ src, tgt, group: lengthBucket(wordCount(src)) });

/** Reads a parallel TSV as examples grouped by source length, logging what was left out. */
export function readTsvExamples(
  path: string,
  columns: { srcColumn: number; tgtColumn: number },
  io: TaskIO,
): Example[] {
  const { pairs, problems } = readParallelTsv(path, columns);
  logProblems(path, problems, io);
  if (pairs.length === 0) throw new HeedError(`${path}: no usable sentence pairs`);
  return pairs.map((p) => byLength(p.src, p.tgt));
}

function logProblems(path: string, problems: readonly LoadProblem[], io: TaskIO): void {
  if (problems.length === 0) return;
  io.log(`${path}: ${problems.length} malformed lines left out:`);
  for (const line of formatProblems(problems, 5).split('\n')) io.log(`  ${line}`);
}

/**
 * The train/valid/test examples a data section describes. Synthetic dates are drawn under
 * `seed`; validation and test dates are calendar days that never occur in training, so the test
 * measures generalisation to unseen dates, not recall.
 */
export function loadCorpus(d: DataSpec, seed: number, io: TaskIO): Corpus {
  if (d.kind === 'tsv') {
    const columns = { srcColumn: d.srcColumn, tgtColumn: d.tgtColumn };
    return {
      train: readTsvExamples(d.train, columns, io),
      valid: readTsvExamples(d.valid, columns, io),
      test: readTsvExamples(d.test, columns, io),
      groupTitle: 'source words',
      groupOrder: LENGTH_BUCKETS,
    };
  }
  const gen = new Generator(seed);
  const asExample = (p: DatePair): Example => ({ src: p.source, tgt: p.target, group: p.format });
  const train = generateDatePairs(d.trainSize, gen);
  const seen = new Set(train.map((p) => p.target));
  const valid = unseenDates(d.validSize, gen, seen);
  const test = unseenDates(d.testSize, gen, seen);
  return {
    train: train.map(asExample),
    valid: valid.map(asExample),
    test: test.map(asExample),
    groupTitle: 'input format',
    groupOrder: [...new Set(train.map((p) => p.format))].sort(),
  };
}

/** `n` date pairs whose dates are not in `seen`. */
function unseenDates(n: number, gen: Generator, seen: ReadonlySet<string>): DatePair[] {
  const out: DatePair[] = [];
  for (let round = 0; out.length < n; round++) {
    if (round === 100) {
      throw new HeedError(
        `dates: cannot draw ${n} held-out dates: training covers ${seen.size} of the 36,525 days; lower trainSize`,
      );
    }
    for (const p of generateDatePairs(n, gen)) if (!seen.has(p.target) && out.length < n) out.push(p);
  }
  return out;
}

/** The tokenizer a spec asks for; BPE merges are learned from `texts` (the training side). */
export function buildTokenizer(spec: TokenizerSpec, texts: readonly string[]): Tokenizer {
  switch (spec.kind) {
    case 'char':
      return new CharTokenizer(spec);
    case 'word':
      return new WordTokenizer(spec);
    case 'bpe':
      return BpeTokenizer.train(texts, {
        lowercase: spec.lowercase,
        normalize: spec.normalize,
        punctuation: spec.punctuation,
        minFrequency: spec.minFrequency,
        ...(spec.vocabSize !== undefined ? { vocabSize: spec.vocabSize } : { numMerges: spec.numMerges }),
      });
  }
}

/** The vocabulary of one side's training text. */
export function buildVocab(tokenized: readonly (readonly string[])[], spec: VocabSpec): Vocab {
  return Vocab.build(tokenized, { minFreq: spec.minFreq, maxSize: spec.maxSize });
}

/** One side of the data: how text becomes ids and back. */
export interface Side {
  tokenizer: Tokenizer;
  vocab: Vocab;
}

/** A sentence pair as the model reads it (without bos/eos). */
export interface EncodedExample {
  src: number[];
  tgt: number[];
}

/**
 * Encodes pairs, leaving out those with an empty side or a side longer than `maxLength`
 * tokens; returns the kept pairs and how many were left out.
 */
export function encodePairs(
  examples: readonly Example[],
  src: Side,
  tgt: Side,
  maxLength = Number.POSITIVE_INFINITY,
): { pairs: EncodedExample[]; dropped: number } {
  const pairs: EncodedExample[] = [];
  let dropped = 0;
  for (const e of examples) {
    const s = src.tokenizer.tokenize(e.src);
    const t = tgt.tokenizer.tokenize(e.tgt);
    if (s.length === 0 || t.length === 0 || s.length > maxLength || t.length > maxLength) dropped++;
    else pairs.push({ src: src.vocab.encode(s), tgt: tgt.vocab.encode(t) });
  }
  return { pairs, dropped };
}
