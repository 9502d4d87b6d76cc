import { Mask } from '../tensor/mask.js';
import { HeedError } from '../util/errors.js';
import { Generator } from '../util/random.js';
import { shuffle } from './split.js';
import type { SpecialIds } from './vocab.js';

/**
 * From encoded sequences to padded batches: `padBatch` (one side), `seq2seqBatch` (source plus
 * the teacher-forcing pair of target rows), and `bucketBatches`, which groups examples of
 * similar length so little of each batch is padding.
 */

/** B sequences padded to the longest, T. Feed `ids, shape` to Embedding.forward. */
export interface PaddedBatch {
  /** Token ids [B, T], row-major, pad id after (or before) each sequence. */
  ids: Int32Array;
  shape: [number, number];
  /** Real length of each row [B]. */
  lengths: Int32Array;
  /** [B, T], true at real tokens, false at padding (attention's "allowed" convention). */
  mask: Mask;
}

/** What happens to an empty sequence, or one longer than the limit: an error, or left out. */
export type InvalidPolicy = 'error' | 'drop';

export interface PadOptions {
  /** Longest allowed sequence; longer ones are invalid (or cut, with `truncate`). */
  maxLen?: number;
  /** Cut sequences longer than maxLen to maxLen instead of treating them as invalid. Default false. */
  truncate?: boolean;
  /** Pad after the tokens ('right', the default) or before them ('left'). */
  padSide?: 'right' | 'left';
  /** Empty or over-long sequences: 'error' (the default) throws, 'drop' leaves them out. */
  invalid?: InvalidPolicy;
}

export interface PadResult extends PaddedBatch {
  /** Indices (into the input) of the sequences left out by `invalid: 'drop'`; the rows are the rest, in order. */
  dropped: number[];
}

/**
 * Pads sequences of ids into one [B, T] batch, T the longest kept length.
 * An id must be an integer in [0, 2³¹).
 */
export function padBatch(
  seqs: readonly (readonly number[])[],
  padId: number,
  options: PadOptions = {},
): PadResult {
  checkId(padId, 'padBatch: padId');
  const limit = maxLenOption(options.maxLen, 'maxLen');
  const policy = invalidOption(options.invalid);
  const kept: (readonly number[])[] = [];
  const dropped: number[] = [];
  for (let i = 0; i < seqs.length; i++) {
    let seq = seqs[i];
    if (options.truncate && seq.length > limit) seq = seq.slice(0, limit);
    const fault =
      seq.length === 0 ? 'is empty' : seq.length > limit ? `has length ${seq.length} > maxLen ${limit}` : '';
    if (fault === '') kept.push(seq);
    else if (policy === 'drop') dropped.push(i);
    else
      throw new HeedError(
        `padBatch: sequence ${i} ${fault} (pass invalid: 'drop' to leave such sequences out)`,
      );
  }
  return { ...pad(kept, padId, options.padSide ?? 'right', 'padBatch'), dropped };
}

function pad(
  seqs: readonly (readonly number[])[],
  padId: number,
  side: 'right' | 'left',
  op: string,
  mask?: Mask,
): PaddedBatch {
  if (side !== 'right' && side !== 'left')
    throw new HeedError(`${op}: padSide must be 'right' | 'left', got ${side}`);
  const b = seqs.length;
  const t = seqs.reduce((m, s) => Math.max(m, s.length), 0);
  const ids = new Int32Array(b * t).fill(padId);
  const lengths = new Int32Array(b);
  const real = mask === undefined ? new Uint8Array(b * t) : undefined;
  for (let i = 0; i < b; i++) {
    const seq = seqs[i];
    const offset = i * t + (side === 'right' ? 0 : t - seq.length);
    for (let j = 0; j < seq.length; j++) {
      const id = seq[j];
      if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
        throw new HeedError(`${op}: id ${id} at row ${i}, position ${j} is not an integer in [0, 2^31)`);
      }
      ids[offset + j] = id;
      if (real !== undefined) real[offset + j] = 1;
    }
    lengths[i] = seq.length;
  }
  return { ids, shape: [b, t], lengths, mask: mask ?? new Mask(real ?? new Uint8Array(0), [b, t]) };
}

/** One parallel example, encoded, without bos/eos. */
export interface EncodedPair {
  src: readonly number[];
  tgt: readonly number[];
}

export interface Seq2SeqOptions {
  /** Longest allowed source (before any eos is added). */
  maxSrcLen?: number;
  /** Longest allowed target (before bos/eos are added). */
  maxTgtLen?: number;
  /** A pair with an empty or over-long side: 'error' (the default) or 'drop'. */
  invalid?: InvalidPolicy;
  /** Append eos to each source, as JoeyNMT and fairseq do. Default false. */
  srcEos?: boolean;
}

/** A batch for training an encoder–decoder with teacher forcing. */
export interface Seq2SeqBatch {
  /** Sources [B, S]. */
  src: PaddedBatch;
  /** Decoder input bos + y [B, T] (T = longest target + 1). */
  tgtIn: PaddedBatch;
  /** Decoder target y + eos [B, T]: position t is what the decoder should predict after reading tgtIn[.., ≤t]. Same lengths and mask as tgtIn. */
  tgtOut: PaddedBatch;
  /** Number of real target positions Σ(|y| + 1): the denominator of a per-token loss. */
  nTokens: number;
  /** Indices (into the input) of the pairs left out by `invalid: 'drop'`. */
  dropped: number[];
}

/**
 * Pads parallel pairs for teacher forcing: decoder input = bos + y, decoder target = y + eos,
 * both padded with padId on the right (use `ignoreIndex: padId` in crossEntropy). Source and
 * target share the special ids, as every heed Vocab does (pad 0, bos 1, eos 2).
 */
export function seq2seqBatch(
  pairs: readonly EncodedPair[],
  specials: SpecialIds,
  options: Seq2SeqOptions = {},
): Seq2SeqBatch {
  const { padId, bosId, eosId } = specials;
  for (const [name, id] of [
    ['padId', padId],
    ['bosId', bosId],
    ['eosId', eosId],
  ] as const) {
    checkId(id, `seq2seqBatch: ${name}`);
  }
  const maxSrc = maxLenOption(options.maxSrcLen, 'maxSrcLen');
  const maxTgt = maxLenOption(options.maxTgtLen, 'maxTgtLen');
  const policy = invalidOption(options.invalid);
  const kept: EncodedPair[] = [];
  const dropped: number[] = [];
  for (let i = 0; i < pairs.length; i++) {
    const { src, tgt } = pairs[i];
    const fault =
      src.length === 0
        ? 'has an empty source'
        : tgt.length === 0
          ? 'has an empty target'
          : src.length > maxSrc
            ? `has source length ${src.length} > maxSrcLen ${maxSrc}`
            : tgt.length > maxTgt
              ? `has target length ${tgt.length} > maxTgtLen ${maxTgt}`
              : '';
    if (fault === '') kept.push(pairs[i]);
    else if (policy === 'drop') dropped.push(i);
    else
      throw new HeedError(`seq2seqBatch: pair ${i} ${fault} (pass invalid: 'drop' to leave such pairs out)`);
  }
  const src = pad(
    kept.map((p) => (options.srcEos ? [...p.src, eosId] : p.src)),
    padId,
    'right',
    'seq2seqBatch',
  );
  const tgtIn = pad(
    kept.map((p) => [bosId, ...p.tgt]),
    padId,
    'right',
    'seq2seqBatch',
  );
  const tgtOut = pad(
    kept.map((p) => [...p.tgt, eosId]),
    padId,
    'right',
    'seq2seqBatch',
    tgtIn.mask,
  );
  const nTokens = tgtIn.lengths.reduce((n, l) => n + l, 0);
  return { src, tgtIn, tgtOut, nTokens, dropped };
}

export interface BucketOptions {
  /** Examples per batch. Give this or `maxTokens`. */
  batchSize?: number;
  /**
   * Padded tokens per batch: a batch holds as many examples as fit in rows × longest ≤ maxTokens
   * (an example longer than maxTokens gets a batch of its own). Give this or `batchSize`.
   */
  maxTokens?: number;
  /** Shuffle examples before pooling and the batch order after. Default true. */
  shuffle?: boolean;
  /** Sort by length within pools (bucketing). False gives plain consecutive batches. Default true. */
  sort?: boolean;
  /**
   * Examples per sorting pool. Default: enough for 100 batches (torchtext's BucketIterator pool):
   * 100 × batchSize, or with maxTokens 100 × maxTokens / mean length.
   */
  poolSize?: number;
  /** Seed of a fresh Generator. Default 0. */
  seed?: number;
  /** Draw from this generator instead (advances it: pass the same one each epoch for new orders). */
  generator?: Generator;
}

/**
 * Groups example indices into batches of similar length (torchtext's BucketIterator, JoeyNMT's
 * token batching): shuffle all examples, cut them into large pools, sort each pool by length,
 * cut each sorted pool into batches, then shuffle the order of the batches. Sorting inside pools
 * rather than over the whole set keeps batches random from epoch to epoch while padding stays
 * small. Deterministic for a given seed.
 */
export function bucketBatchIndices(lengths: ArrayLike<number>, options: BucketOptions): number[][] {
  const { batchSize, maxTokens } = options;
  if ((batchSize === undefined) === (maxTokens === undefined)) {
    throw new HeedError('bucketBatches: give exactly one of batchSize and maxTokens');
  }
  for (const [name, v] of [
    ['batchSize', batchSize],
    ['maxTokens', maxTokens],
    ['poolSize', options.poolSize],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      throw new HeedError(`bucketBatches: ${name} must be a positive integer, got ${v}`);
    }
  }
  const n = lengths.length;
  for (let i = 0; i < n; i++) {
    if (!(lengths[i] >= 0))
      throw new HeedError(`bucketBatches: length ${lengths[i]} of example ${i} is not a number >= 0`);
  }
  const gen = options.generator ?? new Generator(options.seed ?? 0);
  const doShuffle = options.shuffle ?? true;
  const doSort = options.sort ?? true;

  let order = Array.from({ length: n }, (_, i) => i);
  if (doShuffle) order = shuffle(order, gen);
  let meanLength = 0;
  for (let i = 0; i < n; i++) meanLength += lengths[i] / n;
  const poolSize =
    options.poolSize ??
    (batchSize !== undefined
      ? 100 * batchSize
      : Math.max(1, Math.ceil((100 * (maxTokens ?? 0)) / Math.max(1, meanLength))));

  const batches: number[][] = [];
  for (let start = 0; start < n; start += doSort ? poolSize : n) {
    const pool = order.slice(start, doSort ? start + poolSize : n);
    if (doSort) pool.sort((a, b) => lengths[a] - lengths[b]); // stable: equal lengths keep the shuffled order
    batches.push(...cut(pool, lengths, batchSize, maxTokens));
  }
  return doShuffle ? shuffle(batches, gen) : batches;
}

function cut(pool: number[], lengths: ArrayLike<number>, batchSize?: number, maxTokens?: number): number[][] {
  const out: number[][] = [];
  if (batchSize !== undefined) {
    for (let i = 0; i < pool.length; i += batchSize) out.push(pool.slice(i, i + batchSize));
    return out;
  }
  let batch: number[] = [];
  let longest = 0;
  for (const i of pool) {
    const l = Math.max(longest, lengths[i]);
    if (batch.length > 0 && (batch.length + 1) * l > (maxTokens ?? 0)) {
      out.push(batch);
      batch = [];
      longest = 0;
    }
    batch.push(i);
    longest = Math.max(longest, lengths[i]);
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/** Sequences, or parallel pairs measured by their longer side. */
export type Measurable =
  | readonly unknown[]
  | { readonly src: readonly unknown[]; readonly tgt: readonly unknown[] };

/**
 * `bucketBatchIndices` over examples: batches of the examples themselves. Sequences and
 * {src, tgt} pairs are measured by default; other examples need a `sortKey`.
 */
export function bucketBatches<T extends Measurable>(
  examples: readonly T[],
  options: BucketOptions & { sortKey?: (ex: T) => number },
): T[][];
export function bucketBatches<T>(
  examples: readonly T[],
  options: BucketOptions & { sortKey: (ex: T) => number },
): T[][];
export function bucketBatches<T>(
  examples: readonly T[],
  options: BucketOptions & { sortKey?: (ex: T) => number },
): T[][] {
  const key = options.sortKey ?? measure;
  const lengths = examples.map((ex) => key(ex));
  return bucketBatchIndices(lengths, options).map((batch) => batch.map((i) => examples[i]));
}

function measure(ex: unknown): number {
  if (Array.isArray(ex)) return ex.length;
  if (typeof ex === 'object' && ex !== null && 'src' in ex && 'tgt' in ex) {
    const { src, tgt } = ex;
    if (Array.isArray(src) && Array.isArray(tgt)) return Math.max(src.length, tgt.length);
  }
  throw new HeedError('bucketBatches: examples are not sequences or {src, tgt} pairs; pass a sortKey');
}

function checkId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
    throw new HeedError(`${what} must be an integer in [0, 2^31), got ${id}`);
  }
}

function maxLenOption(v: number | undefined, name: string): number {
  if (v === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(v) || v < 1) throw new HeedError(`${name} must be a positive integer, got ${v}`);
  return v;
}

function invalidOption(v: InvalidPolicy | undefined): InvalidPolicy {
  const p = v ?? 'error';
  if (p !== 'error' && p !== 'drop')
    throw new HeedError(`invalid must be 'error' | 'drop', got ${String(p)}`);
  return p;
}
