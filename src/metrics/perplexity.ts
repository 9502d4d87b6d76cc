/**
 * Perplexity of a language model on held-out tokens: PPL = exp(−(1/T) Σₜ log p(xₜ | x<ₜ)), the
 * exponential of the mean negative log-likelihood per token. Log-likelihoods are in nats (natural
 * log), which is what `crossEntropy` returns; a loss in bits would need 2^x instead. A token
 * given probability 0 makes the perplexity +Infinity.
 */

import { HeedError } from '../util/errors.js';

/** Perplexity from the mean NLL per token in nats (e.g. a mean cross-entropy loss): exp(meanNll). */
export function perplexityFromMeanNll(meanNll: number): number {
  if (Number.isNaN(meanNll)) throw new HeedError('perplexity: mean NLL is NaN');
  if (meanNll < 0)
    throw new HeedError(`perplexity: mean NLL must be ≥ 0 (it is −log of a probability), got ${meanNll}`);
  return Math.exp(meanNll);
}

/**
 * Perplexity from the NLL summed over `tokenCount` tokens, in nats: exp(totalNll / tokenCount).
 * Summing per-batch totals and dividing once weights every token equally, which averaging
 * per-batch means does not when batches differ in size.
 */
export function perplexityFromTotalNll(totalNll: number, tokenCount: number): number {
  if (!Number.isInteger(tokenCount) || tokenCount <= 0) {
    throw new HeedError(`perplexity: token count must be a positive integer, got ${tokenCount}`);
  }
  if (Number.isNaN(totalNll)) throw new HeedError('perplexity: total NLL is NaN');
  if (totalNll < 0) throw new HeedError(`perplexity: total NLL must be ≥ 0, got ${totalNll}`);
  return Math.exp(totalNll / tokenCount);
}

/** Perplexity from the log-probability (nats) the model gave each token: exp(−mean log p). */
export function perplexityFromLogProbs(logProbs: readonly number[]): number {
  if (logProbs.length === 0) throw new HeedError('perplexity: no token log-probabilities given');
  let total = 0;
  logProbs.forEach((lp, i) => {
    if (!(lp <= 0))
      throw new HeedError(`perplexity: log-probability ${i} is ${lp}; a log-probability must be ≤ 0`);
    total -= lp;
  });
  return perplexityFromTotalNll(total, logProbs.length);
}
