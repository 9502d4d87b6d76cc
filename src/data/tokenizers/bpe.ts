import { HeedError } from '../../util/errors.js';
import {
  expectObject,
  expectOneOf,
  expectString,
  expectStringArray,
  expectVersion,
  readJsonFile,
  show,
  writeJsonFile,
} from '../validate.js';
import { learnMerges } from './bpe-train.js';
import type { BpeTokenizerJSON, Tokenizer } from './tokenizer.js';
import { parseWordOptions, WordTokenizer, type WordTokenizerOptions } from './word.js';

export interface BpeTrainOptions extends WordTokenizerOptions {
  /**
   * Target number of symbols: the alphabet (characters seen, with and without the end marker)
   * plus one per merge, as subword-nmt's --total-symbols. The Vocab adds its 4 specials on top.
   * Give this or `numMerges`.
   */
  vocabSize?: number;
  /** Number of merges to learn. Give this or `vocabSize`. */
  numMerges?: number;
  /** Stop when the most frequent pair occurs fewer times (subword-nmt's --min-frequency). Default 2. */
  minFrequency?: number;
  /** Marker appended to each word's last symbol. Default '</w>'. */
  endOfWord?: string;
}

const CACHE_LIMIT = 100_000;

/**
 * Byte-pair encoding (Sennrich et al. 2016) over the words of a WordTokenizer (punctuation split
 * by default). `tokenize` splits text into words, then each word into subwords by applying the
 * learned merges in rank order; a word's last subword carries the end marker
 * (`lowest` → `low`, `est</w>`), so `detokenize` restores the words exactly and then joins them
 * by the word tokenizer's rules. Characters never seen in training stay single symbols (a Vocab
 * maps them to unk).
 */
export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe';
  readonly words: WordTokenizer;
  readonly endOfWord: string;
  readonly alphabet: readonly string[];
  readonly merges: readonly (readonly [string, string])[];
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();

  /** A tokenizer from learned merges; use `BpeTokenizer.train` to learn them. */
  constructor(
    alphabet: readonly string[],
    merges: readonly (readonly [string, string])[],
    options: WordTokenizerOptions & { endOfWord?: string } = {},
  ) {
    this.endOfWord = options.endOfWord ?? '</w>';
    checkMarker(this.endOfWord);
    this.words = new WordTokenizer(options);
    this.alphabet = Object.freeze([...alphabet]);
    this.merges = Object.freeze(merges.map(([a, b]) => Object.freeze([a, b] as const)));
    // A pair listed twice keeps its first rank.
    for (let i = merges.length - 1; i >= 0; i--) this.ranks.set(pairKey(merges[i][0], merges[i][1]), i);
  }

  /** Learns merges from texts (each a sentence, line or document). */
  static train(texts: Iterable<string>, options: BpeTrainOptions): BpeTokenizer {
    const { vocabSize, numMerges } = options;
    if ((vocabSize === undefined) === (numMerges === undefined)) {
      throw new HeedError('BpeTokenizer.train: give exactly one of vocabSize and numMerges');
    }
    for (const [name, v] of [
      ['vocabSize', vocabSize],
      ['numMerges', numMerges],
    ] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
        throw new HeedError(`BpeTokenizer.train: ${name} must be a non-negative integer, got ${v}`);
      }
    }
    const minFrequency = options.minFrequency ?? 2;
    if (!Number.isInteger(minFrequency) || minFrequency < 1) {
      throw new HeedError(`BpeTokenizer.train: minFrequency must be an integer >= 1, got ${minFrequency}`);
    }
    const endOfWord = options.endOfWord ?? '</w>';
    checkMarker(endOfWord);

    const splitter = new WordTokenizer(options);
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const word of splitter.tokenize(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    for (const word of counts.keys()) {
      if (word.includes(endOfWord)) {
        throw new HeedError(
          `BpeTokenizer.train: the word ${show(word)} contains the end-of-word marker ${show(endOfWord)}; choose another endOfWord`,
        );
      }
    }
    const learned = learnMerges(counts, {
      numMerges: numMerges ?? Number.POSITIVE_INFINITY,
      maxSymbols: vocabSize ?? Number.POSITIVE_INFINITY,
      minFrequency,
      endOfWord,
    });
    if (vocabSize !== undefined && vocabSize < learned.alphabet.length) {
      throw new HeedError(
        `BpeTokenizer.train: vocabSize ${vocabSize} is smaller than the ${learned.alphabet.length} initial symbols of the training text`,
      );
    }
    return new BpeTokenizer(learned.alphabet, learned.merges, { ...splitter.options(), endOfWord });
  }

  /** Every symbol the tokenizer can output, alphabet first then merge results: a Vocab's token list. */
  symbols(): string[] {
    const out = new Set(this.alphabet);
    for (const [a, b] of this.merges) out.add(a + b);
    return [...out];
  }

  tokenize(text: string): string[] {
    return this.words.tokenize(text).flatMap((w) => this.encodeWord(w));
  }

  /**
   * One word → its subwords: start from characters (end marker on the last), then repeatedly
   * merge every occurrence of the adjacent pair with the lowest rank until no pair has a rank.
   */
  encodeWord(word: string): string[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return [...cached];
    const syms = Array.from(word);
    if (syms.length === 0) return [];
    if (word.includes(this.endOfWord)) {
      throw new HeedError(
        `BpeTokenizer: the word ${show(word)} contains the end-of-word marker ${show(this.endOfWord)}`,
      );
    }
    syms[syms.length - 1] += this.endOfWord;
    let current = syms;
    for (;;) {
      let best = Number.POSITIVE_INFINITY;
      for (let j = 0; j + 1 < current.length; j++) {
        const rank = this.ranks.get(pairKey(current[j], current[j + 1]));
        if (rank !== undefined && rank < best) best = rank;
      }
      if (best === Number.POSITIVE_INFINITY) break;
      const [a, b] = this.merges[best];
      const next: string[] = [];
      for (let j = 0; j < current.length; j++) {
        if (j + 1 < current.length && current[j] === a && current[j + 1] === b) {
          next.push(a + b);
          j++;
        } else next.push(current[j]);
      }
      current = next;
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, current);
    return [...current];
  }

  /** Subwords → words: a word ends at each subword carrying the end marker (a trailing partial word is kept). */
  decodeWords(tokens: readonly string[]): string[] {
    const words: string[] = [];
    let current = '';
    for (const tok of tokens) {
      if (tok.endsWith(this.endOfWord)) {
        words.push(current + tok.slice(0, tok.length - this.endOfWord.length));
        current = '';
      } else current += tok;
    }
    if (current !== '') words.push(current);
    return words;
  }

  detokenize(tokens: readonly string[]): string {
    return this.words.detokenize(this.decodeWords(tokens));
  }

  toJSON(): BpeTokenizerJSON {
    return {
      kind: 'bpe',
      version: 1,
      words: this.words.options(),
      endOfWord: this.endOfWord,
      alphabet: [...this.alphabet],
      merges: this.merges.map(([a, b]) => [a, b]),
    };
  }

  /** Restores a tokenizer from `toJSON()` output, checking that every merge builds on known symbols. */
  static fromJSON(json: unknown, source = 'tokenizer JSON'): BpeTokenizer {
    const o = expectObject(json, source, 'the BPE tokenizer', [
      'kind',
      'version',
      'words',
      'endOfWord',
      'alphabet',
      'merges',
    ]);
    expectOneOf(o.kind, ['bpe'], source, 'kind');
    expectVersion(o.version, 1, source);
    const w = expectObject(o.words, source, 'words', ['lowercase', 'normalize', 'punctuation']);
    const words = parseWordOptions(w, source, 'words.');
    const endOfWord = expectString(o.endOfWord, source, 'endOfWord');
    const alphabet = expectStringArray(o.alphabet, source, 'alphabet');
    const known = new Set<string>();
    for (const [i, s] of alphabet.entries()) {
      if (known.has(s)) throw new HeedError(`${source}: alphabet[${i}] ${show(s)} appears twice`);
      known.add(s);
    }
    if (!Array.isArray(o.merges)) throw new HeedError(`${source}: merges must be an array`);
    const merges: [string, string][] = [];
    const pairs = new Set<string>();
    for (const [i, m] of o.merges.entries()) {
      const pair: unknown[] = Array.isArray(m) && m.length === 2 ? m : [];
      const [a, b] = pair;
      if (typeof a !== 'string' || typeof b !== 'string' || a === '' || b === '') {
        throw new HeedError(`${source}: merges[${i}] must be a pair of non-empty strings, got ${show(m)}`);
      }
      for (const part of [a, b]) {
        if (!known.has(part)) {
          throw new HeedError(
            `${source}: merges[${i}] uses ${show(part)}, which neither the alphabet nor an earlier merge produces`,
          );
        }
      }
      if (pairs.has(pairKey(a, b))) throw new HeedError(`${source}: merges[${i}] ${show(m)} appears twice`);
      pairs.add(pairKey(a, b));
      known.add(a + b);
      merges.push([a, b]);
    }
    try {
      return new BpeTokenizer(alphabet, merges, { ...words, endOfWord });
    } catch (e) {
      if (e instanceof HeedError) throw new HeedError(`${source}: ${e.message}`);
      throw e;
    }
  }

  save(path: string): void {
    writeJsonFile(path, { ...this.toJSON() }, 'BPE tokenizer');
  }

  static load(path: string): BpeTokenizer {
    return BpeTokenizer.fromJSON(readJsonFile(path, 'BPE tokenizer'), path);
  }
}

// Symbols never hold whitespace (words are split on it), so a space separates the pair unambiguously.
function pairKey(a: string, b: string): string {
  return `${a} ${b}`;
}

function checkMarker(marker: string): void {
  if (marker.length === 0 || /\s/u.test(marker)) {
    throw new HeedError(
      `BpeTokenizer: endOfWord must be non-empty and hold no whitespace, got ${show(marker)}`,
    );
  }
}
