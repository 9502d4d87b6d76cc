import { Generator } from '../../util/random.js';

/**
 * Test fixtures shared by the seq2seq tests (not exported from the package): token batches,
 * the reverse-copy task, token accuracy.
 */

/** A padded batch in the layout of src/data's PaddedBatch (ids, shape, lengths). */
export interface Tokens {
  ids: Int32Array;
  shape: [number, number];
  lengths: Int32Array;
}

/** Pads sequences with `pad` on the right. */
export function padRows(rows: readonly (readonly number[])[], pad = 0): Tokens {
  const t = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(rows.length * t).fill(pad);
  rows.forEach((r, b) => {
    ids.set(r, b * t);
  });
  return { ids, shape: [rows.length, t], lengths: Int32Array.from(rows, (r) => r.length) };
}

/** Column t of a [B, T] batch: the tokens every row reads at step t. */
export function column(tokens: Tokens, t: number): Int32Array {
  const [b, steps] = tokens.shape;
  return Int32Array.from({ length: b }, (_, i) => tokens.ids[i * steps + t]);
}

/** A teacher-forcing batch: tgtIn = bos + y, tgtOut = y + eos (pad 0, bos 1, eos 2). */
export function teacherBatch(pairs: readonly { src: number[]; tgt: number[] }[]) {
  return {
    src: padRows(pairs.map((p) => p.src)),
    tgtIn: padRows(pairs.map((p) => [1, ...p.tgt])),
    tgtOut: padRows(pairs.map((p) => [...p.tgt, 2])),
  };
}

/** `count` random sequences of ids in [3, vocab) and lengths in [minLen, maxLen], with their reversal. */
export function reversePairs(count: number, vocab: number, minLen: number, maxLen: number, seed: number) {
  const gen = new Generator(seed);
  return Array.from({ length: count }, () => {
    const n = minLen + gen.int(maxLen - minLen + 1);
    const src = Array.from({ length: n }, () => 3 + gen.int(vocab - 3));
    return { src, tgt: [...src].reverse() };
  });
}

/** Fraction of real target positions whose argmax logit is the target (teacher forcing). */
export function tokenAccuracy(
  logits: { data: ArrayLike<number>; shape: readonly number[] },
  tgtOut: Tokens,
): number {
  const v = logits.shape[logits.shape.length - 1];
  let right = 0;
  let total = 0;
  for (let i = 0; i < tgtOut.ids.length; i++) {
    const want = tgtOut.ids[i];
    if (want === 0) continue;
    let best = 0;
    for (let k = 1; k < v; k++) if (logits.data[i * v + k] > logits.data[i * v + best]) best = k;
    total++;
    if (best === want) right++;
  }
  return right / total;
}
