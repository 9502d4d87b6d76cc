import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { Generator } from '../util/random.js';
import { bucketBatches, bucketBatchIndices, padBatch, seq2seqBatch } from './batching.js';
import { Vocab } from './vocab.js';

describe('padBatch', () => {
  it('pads on the right, with lengths and a real-token mask', () => {
    const b = padBatch([[5, 6, 7], [8], [9, 10]], 0);
    assert.deepEqual(b.shape, [3, 3]);
    assert.deepEqual([...b.ids], [5, 6, 7, 8, 0, 0, 9, 10, 0]);
    assert.deepEqual([...b.lengths], [3, 1, 2]);
    assert.deepEqual(b.mask.shape, [3, 3]);
    assert.deepEqual(b.mask.toArray(), [
      [true, true, true],
      [true, false, false],
      [true, true, false],
    ]);
    assert.deepEqual(b.dropped, []);
  });

  it('pads on the left', () => {
    const b = padBatch([[5, 6, 7], [8]], 1, { padSide: 'left' });
    assert.deepEqual([...b.ids], [5, 6, 7, 1, 1, 8]);
    assert.deepEqual([...b.mask.data], [1, 1, 1, 0, 0, 1]);
  });

  it('treats empty and over-long sequences as errors, or drops them and says which', () => {
    const seqs = [[1, 2], [], [3, 4, 5, 6], [7]];
    assert.throws(
      () => padBatch(seqs, 0),
      (e: unknown) => e instanceof HeedError && /sequence 1 is empty/.test(e.message),
    );
    assert.throws(
      () => padBatch([[1, 2, 3]], 0, { maxLen: 2 }),
      (e: unknown) => e instanceof HeedError && /sequence 0 has length 3 > maxLen 2/.test(e.message),
    );
    const b = padBatch(seqs, 0, { maxLen: 3, invalid: 'drop' });
    assert.deepEqual(b.dropped, [1, 2]);
    assert.deepEqual(b.shape, [2, 2]);
    assert.deepEqual([...b.ids], [1, 2, 7, 0]);
    const cut = padBatch([[3, 4, 5, 6]], 0, { maxLen: 3, truncate: true });
    assert.deepEqual([...cut.ids], [3, 4, 5]);
  });

  it('rejects ids that are not non-negative integers', () => {
    assert.throws(
      () => padBatch([[1, 2.5]], 0),
      (e: unknown) => e instanceof HeedError && /id 2.5 at row 0, position 1/.test(e.message),
    );
    assert.throws(() => padBatch([[1]], -1), HeedError);
  });
});

describe('seq2seqBatch', () => {
  const vocab = Vocab.fromTokens(['a', 'b', 'c']); // a=4 b=5 c=6

  it('shifts the target for teacher forcing: input bos + y, output y + eos', () => {
    const batch = seq2seqBatch(
      [
        { src: [4, 5, 6], tgt: [6, 5] },
        { src: [4], tgt: [4, 4, 4] },
      ],
      vocab,
    );
    assert.deepEqual(batch.src.shape, [2, 3]);
    assert.deepEqual([...batch.src.ids], [4, 5, 6, 4, 0, 0]);
    assert.deepEqual(batch.tgtIn.shape, [2, 4]);
    assert.deepEqual([...batch.tgtIn.ids], [1, 6, 5, 0, 1, 4, 4, 4]);
    assert.deepEqual([...batch.tgtOut.ids], [6, 5, 2, 0, 4, 4, 4, 2]);
    assert.deepEqual([...batch.tgtIn.lengths], [3, 4]);
    assert.deepEqual([...batch.tgtOut.mask.data], [1, 1, 1, 0, 1, 1, 1, 1]);
    assert.equal(batch.nTokens, 7);
    assert.deepEqual(batch.dropped, []);
  });

  it('can append eos to the source, and drops invalid pairs on request', () => {
    const pairs = [
      { src: [4, 5], tgt: [6] },
      { src: [], tgt: [6] },
      { src: [4], tgt: [5, 5, 5, 5] },
    ];
    assert.throws(
      () => seq2seqBatch(pairs, vocab),
      (e: unknown) => e instanceof HeedError && /pair 1 has an empty source/.test(e.message),
    );
    const batch = seq2seqBatch(pairs, vocab, { maxTgtLen: 3, invalid: 'drop', srcEos: true });
    assert.deepEqual(batch.dropped, [1, 2]);
    assert.deepEqual([...batch.src.ids], [4, 5, 2]);
    assert.deepEqual([...batch.tgtIn.ids], [1, 6]);
    assert.deepEqual([...batch.tgtOut.ids], [6, 2]);
  });
});

/** Lengths 1..60, drawn at random: a varied-length set. */
function variedLengths(n: number, seed: number): number[] {
  const gen = new Generator(seed);
  return Array.from({ length: n }, () => 1 + gen.int(60));
}

function paddingFraction(batches: number[][], lengths: number[]): number {
  let padded = 0;
  let real = 0;
  for (const batch of batches) {
    const longest = Math.max(...batch.map((i) => lengths[i]));
    padded += longest * batch.length;
    for (const i of batch) real += lengths[i];
  }
  return 1 - real / padded;
}

describe('bucketBatches', () => {
  const lengths = variedLengths(2000, 1);

  it('covers every example once', () => {
    for (const opts of [{ batchSize: 32 }, { maxTokens: 500 }, { batchSize: 7, shuffle: false }]) {
      const batches = bucketBatchIndices(lengths, { ...opts, seed: 2 });
      assert.deepEqual(
        batches.flat().sort((a, b) => a - b),
        lengths.map((_, i) => i),
      );
    }
  });

  it('pads far less than random batches', () => {
    const bucketed = paddingFraction(bucketBatchIndices(lengths, { batchSize: 32, seed: 3 }), lengths);
    const random = paddingFraction(
      bucketBatchIndices(lengths, { batchSize: 32, seed: 3, sort: false }),
      lengths,
    );
    assert.ok(random > 0.3, `random batches pad ${random}`);
    assert.ok(bucketed < random / 5, `bucketed ${bucketed} vs random ${random}`);
  });

  it('is deterministic under a seed, and differs between seeds', () => {
    const a = bucketBatchIndices(lengths, { batchSize: 32, seed: 5 });
    assert.deepEqual(bucketBatchIndices(lengths, { batchSize: 32, seed: 5 }), a);
    assert.notDeepEqual(bucketBatchIndices(lengths, { batchSize: 32, seed: 6 }), a);
    // A shared generator gives a new order each epoch, reproducibly.
    const gen = new Generator(5);
    const epoch1 = bucketBatchIndices(lengths, { batchSize: 32, generator: gen });
    const epoch2 = bucketBatchIndices(lengths, { batchSize: 32, generator: gen });
    assert.deepEqual(epoch1, a);
    assert.notDeepEqual(epoch2, epoch1);
  });

  it('keeps maxTokens batches within the padded-token budget', () => {
    const batches = bucketBatchIndices(lengths, { maxTokens: 400, seed: 1 });
    for (const b of batches) assert.ok(b.length * Math.max(...b.map((i) => lengths[i])) <= 400);
    // An example longer than the budget gets a batch of its own.
    assert.deepEqual(bucketBatchIndices([3, 50, 2], { maxTokens: 10, shuffle: false }), [[2, 0], [1]]);
  });

  it('without shuffling, sorts within pools and keeps batch order', () => {
    assert.deepEqual(bucketBatchIndices([5, 1, 4, 2, 3, 9], { batchSize: 2, poolSize: 3, shuffle: false }), [
      [1, 2],
      [0],
      [3, 4],
      [5],
    ]);
    assert.deepEqual(bucketBatchIndices([5, 1, 4], { batchSize: 2, shuffle: false, sort: false }), [
      [0, 1],
      [2],
    ]);
  });

  it('batches sequences and pairs by length, other examples by a sortKey', () => {
    const seqs = [[1, 2, 3], [1], [1, 2]];
    assert.deepEqual(bucketBatches(seqs, { batchSize: 2, shuffle: false }), [[[1], [1, 2]], [[1, 2, 3]]]);
    const pairs = [
      { src: [1], tgt: [1, 2, 3] },
      { src: [1, 2], tgt: [1] },
    ];
    assert.deepEqual(bucketBatches(pairs, { batchSize: 1, shuffle: false }), [[pairs[1]], [pairs[0]]]);
    const docs = [{ words: 'a b c' }, { words: 'a' }];
    assert.deepEqual(bucketBatches(docs, { batchSize: 1, shuffle: false, sortKey: (d) => d.words.length }), [
      [docs[1]],
      [docs[0]],
    ]);
  });

  it('validates its options', () => {
    assert.throws(() => bucketBatchIndices([1], {}), HeedError);
    assert.throws(() => bucketBatchIndices([1], { batchSize: 2, maxTokens: 5 }), HeedError);
    assert.throws(() => bucketBatchIndices([1], { batchSize: 0 }), HeedError);
  });
});
