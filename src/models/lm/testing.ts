import assert from 'node:assert/strict';
import { logSoftmax } from '../../ops/softmax.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Generator } from '../../util/random.js';
import { trainAdam } from '../classify/testing.js';
import type { RecurrentLM, RecurrentState } from './recurrent-lm.js';

/** Helpers of the language-model tests (not exported from the package index). */

/** Row [b, t] of a [B, T, V] tensor. */
export function row3(x: Tensor, b: number, t: number): Float32Array | Float64Array {
  const [, tt, v] = x.shape;
  return x.data.subarray((b * tt + t) * v, (b * tt + t + 1) * v);
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

export function randomIds(b: number, t: number, vocab: number, seed: number): Int32Array {
  const gen = new Generator(seed);
  return Int32Array.from({ length: b * t }, () => gen.int(vocab));
}

/**
 * Runs `step` over ids [B, T] column by column and checks each step's log-probabilities
 * against the parallel forward's log-softmax (and, through `onStep`, anything else).
 */
export function checkIncremental<S extends RecurrentState>(
  m: RecurrentLM<S>,
  ids: Int32Array,
  shape: [number, number],
  onStep: (t: number, attention: Tensor | undefined) => void = () => {},
): void {
  const [b, t] = shape;
  const parallel = logSoftmax(m.forward({ ids, shape }).logits, -1); // [B, T, V]
  let state = m.initialState(b);
  for (let s = 0; s < t; s++) {
    const tokens = Int32Array.from({ length: b }, (_, r) => ids[r * t + s]);
    const out = m.step(tokens, state);
    state = out.state;
    const v = out.logProbs.shape[1];
    for (let r = 0; r < b; r++) {
      const d = maxDiff(out.logProbs.data.subarray(r * v, (r + 1) * v), row3(parallel, r, s));
      assert.ok(d < 1e-5, `row ${r}, step ${s}: incremental and parallel log-probs differ by ${d}`);
    }
    onStep(s, out.attention);
  }
}

/** "the cat sat. " three times, as character ids. */
export function repeatedString(): { ids: number[]; vocab: number } {
  const text = 'the cat sat. '.repeat(3);
  const chars = [...new Set(text)];
  return { ids: [...text].map((ch) => chars.indexOf(ch)), vocab: chars.length };
}

/** Trains `m` on one string and checks that greedy generation from its first token reproduces it. */
export function checkMemorises<S extends RecurrentState>(m: RecurrentLM<S>, steps: number, lr: number): void {
  const { ids } = repeatedString();
  const n = ids.length - 1;
  const input = { ids: ids.slice(0, n), shape: [1, n] };
  const loss = trainAdam(m.parameters(), () => m.loss(input, ids.slice(1)), steps, lr);
  assert.ok(loss < 0.05, `final loss ${loss}`);
  const { tokens } = m.generate([ids[0]], { maxTokens: n, temperature: 0 });
  assert.deepEqual(tokens, ids.slice(1));
}
