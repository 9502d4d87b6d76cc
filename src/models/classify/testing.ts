import type { Parameter } from '../../nn/parameter.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Generator } from '../../util/random.js';

/** Helpers of the model tests (not exported from the package index). */

/**
 * A minimal Adam loop (Kingma & Ba 2015, Algorithm 1) for the models' overfitting tests, kept
 * here so the model tests do not depend on the optimizer package: `steps` full-batch updates of
 * `params` on `loss()`, returning the last loss value.
 */
export function trainAdam(
  params: readonly Parameter[],
  loss: () => Tensor,
  steps: number,
  lr: number,
): number {
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  const m = params.map((p) => new Float64Array(p.size));
  const v = params.map((p) => new Float64Array(p.size));
  let last = Number.NaN;
  for (let t = 1; t <= steps; t++) {
    for (const p of params) p.grad = null;
    const l = loss();
    last = l.item();
    l.backward();
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    params.forEach((p, i) => {
      const g = p.grad?.data;
      if (g === undefined) return;
      for (let j = 0; j < p.size; j++) {
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * g[j];
        v[i][j] = beta2 * v[i][j] + (1 - beta2) * g[j] * g[j];
        p.data[j] -= (lr * (m[i][j] / c1)) / (Math.sqrt(v[i][j] / c2) + eps);
      }
    });
  }
  return last;
}

/** The keyword of {@link keywordTask}. */
export const KEYWORD = 7;

/**
 * The toy keyword task: sequences of 3–8 tokens from 1..11 without 7; half of them get one 7
 * at a random position and class 1. `at` is the position of the 7 (−1 in negatives).
 */
export function keywordTask(n: number, seed: number): { seqs: number[][]; labels: number[]; at: number[] } {
  const gen = new Generator(seed);
  const seqs: number[][] = [];
  const labels: number[] = [];
  const at: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = 3 + gen.int(6);
    const seq = Array.from({ length: len }, () => {
      const t = 1 + gen.int(10);
      return t >= KEYWORD ? t + 1 : t; // 1..11 without 7
    });
    const positive = i % 2 === 1;
    const pos = positive ? gen.int(len) : -1;
    if (positive) seq[pos] = KEYWORD;
    seqs.push(seq);
    labels.push(positive ? 1 : 0);
    at.push(pos);
  }
  return { seqs, labels, at };
}
