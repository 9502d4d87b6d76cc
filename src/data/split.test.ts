import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { Generator } from '../util/random.js';
import { shuffle, splitIndices, trainValidTestSplit } from './split.js';

const items = Array.from({ length: 1000 }, (_, i) => `example ${i}`);

describe('trainValidTestSplit', () => {
  it('is disjoint and covering, with the requested sizes', () => {
    const { train, valid, test } = trainValidTestSplit(items, { valid: 0.1, test: 0.2, seed: 3 });
    assert.deepEqual([train.length, valid.length, test.length], [700, 100, 200]);
    const all = [...train, ...valid, ...test];
    assert.equal(new Set(all).size, items.length);
    assert.deepEqual([...all].sort(), [...items].sort());
  });

  it('is reproducible under a seed and changes with it', () => {
    const a = trainValidTestSplit(items, { seed: 7 });
    assert.deepEqual(trainValidTestSplit(items, { seed: 7 }), a);
    assert.notDeepEqual(trainValidTestSplit(items, { seed: 8 }).valid, a.valid);
    assert.deepEqual(trainValidTestSplit(items), trainValidTestSplit(items, { seed: 0 }));
    assert.deepEqual(trainValidTestSplit(items, { generator: new Generator(7) }), a);
  });

  it('rounds small splits and allows empty parts', () => {
    const idx = splitIndices(15, { valid: 0.1, test: 0 });
    assert.deepEqual([idx.train.length, idx.valid.length, idx.test.length], [13, 2, 0]);
    assert.deepEqual(trainValidTestSplit([], {}), { train: [], valid: [], test: [] });
  });

  it('validates the fractions', () => {
    const oneLine = (pattern: RegExp) => (e: unknown) => e instanceof HeedError && pattern.test(e.message);
    assert.throws(
      () => trainValidTestSplit(items, { valid: -0.1 }),
      oneLine(/valid must be a fraction in \[0, 1\), got -0.1/),
    );
    assert.throws(() => trainValidTestSplit(items, { test: 1 }), oneLine(/test must be a fraction/));
    assert.throws(() => trainValidTestSplit(items, { test: Number.NaN }), oneLine(/test must be a fraction/));
    assert.throws(
      () => trainValidTestSplit(items, { valid: 0.5, test: 0.5 }),
      oneLine(/valid \+ test must be below 1/),
    );
    assert.throws(
      () => trainValidTestSplit([1, 2], { valid: 0.4, test: 0.4 }),
      oneLine(/2 items leave none for training/),
    );
  });
});

describe('shuffle', () => {
  it('permutes a copy, reproducibly', () => {
    const input = Array.from({ length: 50 }, (_, i) => i);
    const frozen = Object.freeze([...input]);
    const a = shuffle(frozen, new Generator(1));
    assert.deepEqual(frozen, input);
    assert.notDeepEqual(a, input);
    assert.deepEqual(
      [...a].sort((x, y) => x - y),
      input,
    );
    assert.deepEqual(shuffle(frozen, new Generator(1)), a);
  });
});
