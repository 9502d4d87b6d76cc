import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { perplexityFromLogProbs, perplexityFromMeanNll, perplexityFromTotalNll } from './perplexity.js';

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12, `${what}: expected ${expected}, got ${actual}`);
}

describe('perplexity, worked by hand', () => {
  it('a uniform guess over 4 tokens has perplexity 4', () => {
    // NLL per token = −ln(1/4) = ln 4 → exp(ln 4) = 4.
    close(perplexityFromMeanNll(Math.log(4)), 4, 'mean');
    close(perplexityFromMeanNll(0), 1, 'certain');
  });

  it('from a total over tokens: the geometric mean of 1/p', () => {
    // p = 1/2, 1/4, 1/8: total NLL = ln 2 + ln 4 + ln 8 = 6 ln 2; / 3 tokens = 2 ln 2 → PPL = 4,
    // the geometric mean (2 · 4 · 8)^(1/3) = 64^(1/3) = 4.
    close(perplexityFromTotalNll(6 * Math.LN2, 3), 4, 'total');
    close(perplexityFromLogProbs([Math.log(1 / 2), Math.log(1 / 4), Math.log(1 / 8)]), 4, 'log-probs');
  });

  it('a token given probability 0 makes perplexity infinite', () => {
    assert.equal(perplexityFromLogProbs([Math.log(0.5), Number.NEGATIVE_INFINITY]), Number.POSITIVE_INFINITY);
  });

  it('rejects impossible inputs', () => {
    assert.throws(() => perplexityFromTotalNll(1, 0), {
      name: 'HeedError',
      message: 'perplexity: token count must be a positive integer, got 0',
    });
    assert.throws(() => perplexityFromTotalNll(1, 2.5), HeedError);
    assert.throws(() => perplexityFromMeanNll(Number.NaN), HeedError);
    assert.throws(() => perplexityFromMeanNll(-0.1), HeedError);
    assert.throws(() => perplexityFromLogProbs([]), HeedError);
    assert.throws(() => perplexityFromLogProbs([0.2]), HeedError);
  });
});
