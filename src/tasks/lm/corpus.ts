import { formatProblem, readPlainText } from '../../data/loaders.js';
import { CharTokenizer } from '../../data/tokenizers/char.js';
import type { Tokenizer } from '../../data/tokenizers/tokenizer.js';
import { WordTokenizer } from '../../data/tokenizers/word.js';
import { Vocab } from '../../data/vocab.js';
import { HeedError } from '../../util/errors.js';
import type { Generator } from '../../util/random.js';
import type { LMData } from './config.js';

/** A text read whole, as one string: its lines joined by newlines (blank lines kept). */
export function readText(path: string): string {
  const { lines, problems } = readPlainText(path, { skipEmpty: false });
  if (problems.length > 0) {
    throw new HeedError(
      `${formatProblem(problems[0])} (${problems.length} such lines; the text must be UTF-8)`,
    );
  }
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  if (text.trim() === '') throw new HeedError(`${path}: the text is empty`);
  return text;
}

/** The tokenizer a data section asks for. Characters are code points, as Python's list(text). */
export function buildTokenizer(d: LMData): Tokenizer {
  return d.tokenizer === 'char'
    ? new CharTokenizer({ lowercase: d.lowercase, unit: 'codepoint' })
    : new WordTokenizer({ lowercase: d.lowercase });
}

/** The token stream of a text, split into its training part and the last (validation) part. */
export interface Corpus {
  tokenizer: Tokenizer;
  vocab: Vocab;
  train: Int32Array;
  valid: Int32Array;
}

/**
 * Tokenizes the text of `d.path` and splits its token stream: the first (1 − split.valid) for
 * training, the rest for validation (nanoGPT's 90/10 split of shakespeare_char). A character
 * vocabulary holds every character of the whole text, as nanoGPT's prepare.py builds it; a word
 * vocabulary counts the training part only (minFreq, maxSize), so validation has real <unk>s.
 */
export function loadCorpus(d: LMData): Corpus {
  const tokenizer = buildTokenizer(d);
  const tokens = tokenizer.tokenize(readText(d.path));
  const nTrain = Math.round(tokens.length * (1 - d.split.valid));
  const vocab =
    d.tokenizer === 'char'
      ? Vocab.fromTokens([...new Set(tokens)].sort())
      : Vocab.build([tokens.slice(0, nTrain)], { minFreq: d.vocab?.minFreq, maxSize: d.vocab?.maxSize });
  const ids = Int32Array.from(vocab.encode(tokens));
  const corpus = { tokenizer, vocab, train: ids.subarray(0, nTrain), valid: ids.subarray(nTrain) };
  for (const part of ['train', 'valid'] as const) {
    if (corpus[part].length < d.blockSize + 1) {
      throw new HeedError(
        `config.data: the ${part} part of ${d.path} has ${corpus[part].length} tokens, fewer than blockSize + 1 = ${d.blockSize + 1}`,
      );
    }
  }
  return corpus;
}

/** B windows of a token stream: inputs x [B, T] and targets y [B, T] (x shifted left by one). */
export interface Windows {
  x: Int32Array;
  y: Int32Array;
  shape: [number, number];
}

/**
 * B random windows of blockSize + 1 tokens of `ids` (nanoGPT's get_batch): a start i uniform in
 * [0, n − T − 1], x = ids[i, i + T), y = ids[i + 1, i + T + 1). Every draw comes from `gen`.
 */
export function randomWindows(ids: Int32Array, rows: number, blockSize: number, gen: Generator): Windows {
  const t = blockSize;
  const x = new Int32Array(rows * t);
  const y = new Int32Array(rows * t);
  for (let r = 0; r < rows; r++) {
    const i = gen.int(ids.length - t);
    x.set(ids.subarray(i, i + t), r * t);
    y.set(ids.subarray(i + 1, i + t + 1), r * t);
  }
  return { x, y, shape: [rows, t] };
}
