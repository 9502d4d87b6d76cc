import { HeedError } from '../util/errors.js';
import {
  expectObject,
  expectString,
  expectStringArray,
  expectVersion,
  readJsonFile,
  show,
  writeJsonFile,
} from './validate.js';

/** The strings of the four special tokens; their ids are always pad 0, bos 1, eos 2, unk 3. */
export interface SpecialTokens {
  pad: string;
  bos: string;
  eos: string;
  unk: string;
}

export const defaultSpecials: Readonly<SpecialTokens> = Object.freeze({
  pad: '<pad>',
  bos: '<bos>',
  eos: '<eos>',
  unk: '<unk>',
});

/** The ids of the special tokens, as batching needs them (a Vocab is one). */
export interface SpecialIds {
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
}

export interface VocabBuildOptions {
  /** Tokens seen fewer times are left out (they encode as unk). Default 1: keep everything. */
  minFreq?: number;
  /** Largest vocabulary size, the four specials included (torchtext's max_tokens). Default: no limit. */
  maxSize?: number;
  /** Special-token strings; any left out take the defaults `<pad>`, `<bos>`, `<eos>`, `<unk>`. */
  specials?: Partial<SpecialTokens>;
}

export interface EncodeOptions {
  /** Prepend bos. Default false. */
  addBos?: boolean;
  /** Append eos. Default false. */
  addEos?: boolean;
  /** An out-of-vocabulary token becomes unk ('unk', the default) or is an error ('error'). */
  unknown?: 'unk' | 'error';
}

export interface DecodeOptions {
  /** Leave out pad, bos and eos (unk stays: it stands for a real token). Default false. */
  stripSpecial?: boolean;
  /** Stop at the first eos, as when reading a generated sequence (JoeyNMT's cut_at_eos). Default false. */
  cutAtEos?: boolean;
}

/** The JSON form of a vocabulary: every token in id order, the specials first. */
export interface VocabJSON {
  kind: 'vocab';
  version: 1;
  specials: SpecialTokens;
  tokens: string[];
}

const VERSION = 1;

/**
 * A token ↔ id table. Ids 0..3 are pad, bos, eos, unk (so padding is id 0, as Embedding's
 * paddingIdx expects); the other tokens follow by frequency, most frequent first, ties broken by
 * the token string in code-unit order, so the same counts always give the same ids whatever
 * order the data came in.
 */
export class Vocab implements SpecialIds {
  readonly padId = 0;
  readonly bosId = 1;
  readonly eosId = 2;
  readonly unkId = 3;
  readonly specials: Readonly<SpecialTokens>;
  private readonly itos: readonly string[];
  private readonly stoi: Map<string, number>;

  /**
   * A vocabulary over `tokens` in id order; the first four must be the specials, in order.
   * Use `Vocab.build` to count tokens, or `Vocab.fromTokens` for a fixed list.
   */
  constructor(tokens: readonly string[], specials: Partial<SpecialTokens> = {}) {
    this.specials = Object.freeze(resolveSpecials(specials));
    const order = specialList(this.specials);
    for (let i = 0; i < order.length; i++) {
      if (tokens[i] !== order[i]) {
        throw new HeedError(
          `Vocab: token ${i} must be the special ${show(order[i])}, got ${show(tokens[i])}`,
        );
      }
    }
    this.itos = Object.freeze([...tokens]);
    this.stoi = new Map();
    for (let i = 0; i < tokens.length; i++) {
      if (this.stoi.has(tokens[i])) throw new HeedError(`Vocab: token ${show(tokens[i])} appears twice`);
      this.stoi.set(tokens[i], i);
    }
  }

  /**
   * Counts the tokens of `sentences` (each an array of tokens) and keeps those seen at least
   * `minFreq` times, the most frequent first, up to `maxSize` entries in all.
   */
  static build(sentences: Iterable<readonly string[]>, options: VocabBuildOptions = {}): Vocab {
    const counts = new Map<string, number>();
    for (const sentence of sentences) {
      for (const token of sentence) counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    return Vocab.fromCounts(counts, options);
  }

  /** A vocabulary from token counts (the second half of `build`, for counts gathered elsewhere). */
  static fromCounts(counts: ReadonlyMap<string, number>, options: VocabBuildOptions = {}): Vocab {
    const minFreq = options.minFreq ?? 1;
    if (!Number.isInteger(minFreq) || minFreq < 1) {
      throw new HeedError(`Vocab.build: minFreq must be an integer >= 1, got ${minFreq}`);
    }
    const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
    if (maxSize !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxSize) || maxSize < 4)) {
      throw new HeedError(
        `Vocab.build: maxSize must be an integer >= 4 (it counts the 4 specials), got ${maxSize}`,
      );
    }
    const specials = resolveSpecials(options.specials ?? {});
    const reserved = new Set(specialList(specials));
    const kept = [...counts].filter(([token, n]) => n >= minFreq && !reserved.has(token));
    // Frequency descending, then the token in code-unit order: independent of input order and locale.
    kept.sort(([ta, na], [tb, nb]) => nb - na || (ta < tb ? -1 : ta > tb ? 1 : 0));
    const room = Math.min(kept.length, maxSize - reserved.size);
    const tokens = [...specialList(specials), ...kept.slice(0, room).map(([t]) => t)];
    return new Vocab(tokens, specials);
  }

  /** A vocabulary over a fixed token list (specials are put first; duplicates are errors). */
  static fromTokens(tokens: Iterable<string>, specials: Partial<SpecialTokens> = {}): Vocab {
    const resolved = resolveSpecials(specials);
    const list = specialList(resolved);
    const reserved = new Set(list);
    for (const t of tokens) if (!reserved.has(t)) list.push(t);
    return new Vocab(list, resolved);
  }

  /** Number of entries, specials included (the Embedding's numEmbeddings). */
  get size(): number {
    return this.itos.length;
  }

  /** All tokens in id order. */
  get tokens(): readonly string[] {
    return this.itos;
  }

  has(token: string): boolean {
    return this.stoi.has(token);
  }

  /** The id of a token, or unkId when it is not in the vocabulary. */
  idOf(token: string): number {
    return this.stoi.get(token) ?? this.unkId;
  }

  /** The token of an id; an id outside [0, size) is an error. */
  tokenOf(id: number): string {
    const token = Number.isInteger(id) ? this.itos[id] : undefined;
    if (token === undefined) throw new HeedError(`Vocab: id ${id} is out of range [0, ${this.size})`);
    return token;
  }

  /** Tokens → ids, optionally wrapped in bos … eos. */
  encode(tokens: readonly string[], options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    if (options.addBos) ids.push(this.bosId);
    for (let i = 0; i < tokens.length; i++) {
      const id = this.stoi.get(tokens[i]);
      if (id !== undefined) ids.push(id);
      else if (options.unknown === 'error') {
        throw new HeedError(`Vocab.encode: unknown token ${show(tokens[i])} at position ${i}`);
      } else ids.push(this.unkId);
    }
    if (options.addEos) ids.push(this.eosId);
    return ids;
  }

  /** Ids → tokens. An id outside the vocabulary is an error that names its position. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string[] {
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.size) {
        throw new HeedError(`Vocab.decode: id ${id} at position ${i} is out of range [0, ${this.size})`);
      }
      if (options.cutAtEos && id === this.eosId) break;
      if (options.stripSpecial && (id === this.padId || id === this.bosId || id === this.eosId)) continue;
      tokens.push(this.itos[id]);
    }
    return tokens;
  }

  toJSON(): VocabJSON {
    return { kind: 'vocab', version: VERSION, specials: { ...this.specials }, tokens: [...this.itos] };
  }

  /** Restores a vocabulary from `toJSON()` output; `source` names the file in error messages. */
  static fromJSON(json: unknown, source = 'vocab JSON'): Vocab {
    const o = expectObject(json, source, 'the vocabulary', ['kind', 'version', 'specials', 'tokens']);
    if (o.kind !== 'vocab') throw new HeedError(`${source}: kind must be "vocab", got ${show(o.kind)}`);
    expectVersion(o.version, VERSION, source);
    const s = expectObject(o.specials, source, 'specials', ['pad', 'bos', 'eos', 'unk']);
    const specials: SpecialTokens = {
      pad: expectString(s.pad, source, 'specials.pad'),
      bos: expectString(s.bos, source, 'specials.bos'),
      eos: expectString(s.eos, source, 'specials.eos'),
      unk: expectString(s.unk, source, 'specials.unk'),
    };
    const tokens = expectStringArray(o.tokens, source, 'tokens');
    try {
      return new Vocab(tokens, specials);
    } catch (e) {
      if (e instanceof HeedError) throw new HeedError(`${source}: ${e.message.replace(/^Vocab: /, '')}`);
      throw e;
    }
  }

  save(path: string): void {
    writeJsonFile(path, { ...this.toJSON() }, 'vocabulary');
  }

  static load(path: string): Vocab {
    return Vocab.fromJSON(readJsonFile(path, 'vocabulary'), path);
  }
}

function resolveSpecials(s: Partial<SpecialTokens>): SpecialTokens {
  const resolved: SpecialTokens = {
    pad: s.pad ?? defaultSpecials.pad,
    bos: s.bos ?? defaultSpecials.bos,
    eos: s.eos ?? defaultSpecials.eos,
    unk: s.unk ?? defaultSpecials.unk,
  };
  const list = specialList(resolved);
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i] !== 'string' || list[i].length === 0) {
      throw new HeedError(`Vocab: special tokens must be non-empty strings, got ${show(list[i])}`);
    }
    if (list.indexOf(list[i]) !== i)
      throw new HeedError(`Vocab: special token ${show(list[i])} is used twice`);
  }
  return resolved;
}

function specialList(s: SpecialTokens): string[] {
  return [s.pad, s.bos, s.eos, s.unk];
}
