import { HeedError } from '../../util/errors.js';

/**
 * Learning byte-pair-encoding merges (Sennrich, Haddow & Birch 2016, "Neural Machine Translation
 * of Rare Words with Subword Units", Algorithm 1). Each word starts as its characters with an
 * end-of-word marker on the last one (`lower` → `l o w e r</w>`, as subword-nmt writes it); the
 * most frequent adjacent pair of symbols, counted over the corpus with word frequencies, is
 * merged into a new symbol, and again, until the budget is spent. Merges never cross words.
 *
 * Ties between equally frequent pairs go to the pair whose (left, right) strings come first in
 * code-unit order, so the merges depend only on the word counts, never on input order.
 *
 * Bookkeeping (as subword-nmt's learn_bpe.py, which keeps an index from pairs to words): pair
 * counts live in a map and a max-heap; merging a pair rewrites only the words that contain it,
 * taking their old pairs out of the counts and putting their new ones in. The heap is lazy:
 * a pair whose count went down is corrected when it reaches the top; a pair whose count went up
 * (only pairs holding the new symbol can) is pushed again. One merge therefore costs time in
 * proportion to the words it touches, not to the corpus.
 */

export interface LearnOptions {
  /** Stop after this many merges. */
  numMerges: number;
  /** Stop once this many distinct symbols exist (alphabet plus merged symbols). */
  maxSymbols: number;
  /** Stop when the best pair occurs fewer times than this. */
  minFrequency: number;
  /** Appended to the last character of each word. */
  endOfWord: string;
}

export interface Learned {
  /** The initial symbols, in code-unit order. */
  alphabet: string[];
  /** The merges, rank 0 first. */
  merges: [string, string][];
}

// Pair keys are left * SLOTS + right: exact in a double for up to SLOTS symbols.
const SLOTS = 2 ** 22;

/** Learns merges from word counts (word → occurrences in the corpus). */
export function learnMerges(wordCounts: ReadonlyMap<string, number>, opts: LearnOptions): Learned {
  const symbols: string[] = [];
  const symbolIds = new Map<string, number>();
  const intern = (s: string): number => {
    let id = symbolIds.get(s);
    if (id === undefined) {
      id = symbols.length;
      if (id >= SLOTS) throw new HeedError(`BPE: more than ${SLOTS} symbols`);
      symbols.push(s);
      symbolIds.set(s, id);
    }
    return id;
  };

  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [word, count] of wordCounts) {
    const chars = Array.from(word);
    if (chars.length === 0) continue;
    chars[chars.length - 1] += opts.endOfWord;
    words.push(chars.map(intern));
    freqs.push(count);
  }
  const alphabet = [...symbols].sort(byCodeUnits);

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>(); // may list words that no longer hold the pair
  const add = (key: number, f: number, wi: number): void => {
    pairCounts.set(key, (pairCounts.get(key) ?? 0) + f);
    let where = pairWords.get(key);
    if (where === undefined) {
      where = new Set();
      pairWords.set(key, where);
    }
    where.add(wi);
  };
  const remove = (key: number, f: number): void => {
    const c = (pairCounts.get(key) ?? 0) - f;
    if (c > 0) pairCounts.set(key, c);
    else pairCounts.delete(key);
  };
  for (let wi = 0; wi < words.length; wi++) {
    const w = words[wi];
    for (let j = 0; j + 1 < w.length; j++) add(w[j] * SLOTS + w[j + 1], freqs[wi], wi);
  }

  const heap = new PairHeap(symbols);
  for (const [key, count] of pairCounts) heap.push(key, count);

  const merges: [string, string][] = [];
  const seen = new Set<number>();
  while (merges.length < opts.numMerges && symbols.length < opts.maxSymbols) {
    const top = heap.pop();
    if (top === undefined) break;
    const actual = pairCounts.get(top.key) ?? 0;
    if (actual === 0) continue;
    if (actual !== top.count) {
      heap.push(top.key, actual); // stale: its count fell since it was pushed
      continue;
    }
    if (actual < opts.minFrequency) break;

    const a = Math.floor(top.key / SLOTS);
    const b = top.key % SLOTS;
    // Two routes can spell the same symbol (ab+c, a+bc); a pair is listed once, at its first rank.
    if (!seen.has(top.key)) merges.push([symbols[a], symbols[b]]);
    seen.add(top.key);
    const merged = intern(symbols[a] + symbols[b]);

    const before = new Map<number, number>();
    const note = (key: number): void => {
      if (!before.has(key)) before.set(key, pairCounts.get(key) ?? 0);
    };
    for (const wi of pairWords.get(top.key) ?? []) {
      const w = words[wi];
      if (!holdsPair(w, a, b)) continue;
      const f = freqs[wi];
      for (let j = 0; j + 1 < w.length; j++) {
        const key = w[j] * SLOTS + w[j + 1];
        note(key);
        remove(key, f);
      }
      const nw = mergePair(w, a, b, merged);
      words[wi] = nw;
      for (let j = 0; j + 1 < nw.length; j++) {
        const key = nw[j] * SLOTS + nw[j + 1];
        note(key);
        add(key, f, wi);
      }
    }
    pairWords.delete(top.key);
    for (const [key, old] of before) {
      const now = pairCounts.get(key) ?? 0;
      if (now > old) heap.push(key, now);
    }
  }
  return { alphabet, merges };
}

function holdsPair(w: readonly number[], a: number, b: number): boolean {
  for (let j = 0; j + 1 < w.length; j++) if (w[j] === a && w[j + 1] === b) return true;
  return false;
}

/** Replaces each (a, b), scanning left to right without overlap (`a a a` with (a, a) → `aa a`). */
function mergePair(w: readonly number[], a: number, b: number, merged: number): number[] {
  const out: number[] = [];
  let j = 0;
  while (j < w.length) {
    if (j + 1 < w.length && w[j] === a && w[j + 1] === b) {
      out.push(merged);
      j += 2;
    } else out.push(w[j++]);
  }
  return out;
}

export function byCodeUnits(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A binary max-heap of (pair, count): higher count first, then left then right symbol in code-unit order. */
class PairHeap {
  private keys: number[] = [];
  private counts: number[] = [];

  constructor(private readonly symbols: readonly string[]) {}

  push(key: number, count: number): void {
    this.keys.push(key);
    this.counts.push(count);
    let i = this.keys.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { key: number; count: number } | undefined {
    const n = this.keys.length;
    if (n === 0) return undefined;
    const top = { key: this.keys[0], count: this.counts[0] };
    this.swap(0, n - 1);
    this.keys.pop();
    this.counts.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < this.keys.length && this.before(l, best)) best = l;
      if (r < this.keys.length && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }

  /** Does entry i come out before entry j? */
  private before(i: number, j: number): boolean {
    if (this.counts[i] !== this.counts[j]) return this.counts[i] > this.counts[j];
    const ki = this.keys[i];
    const kj = this.keys[j];
    const order =
      byCodeUnits(this.symbols[Math.floor(ki / SLOTS)], this.symbols[Math.floor(kj / SLOTS)]) ||
      byCodeUnits(this.symbols[ki % SLOTS], this.symbols[kj % SLOTS]);
    return order < 0;
  }

  private swap(i: number, j: number): void {
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
  }
}
