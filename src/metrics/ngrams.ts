/**
 * N-gram counting shared by BLEU (word n-grams) and chrF (character and word n-grams), as
 * sacreBLEU's `metrics/helpers.py` does it with `collections.Counter`.
 */

/** Count of each n-gram of one order, keyed by its units joined with a separator. */
export type NgramCounts = Map<string, number>;

/**
 * Counts the n-grams of order `n` in `units` (words or code points). The key joins the units
 * with `sep`: a space for words (which never contain whitespace), nothing for code points (each
 * key then has exactly n code points, so joining is unambiguous).
 */
export function countNgrams(units: readonly string[], n: number, sep: string): NgramCounts {
  const counts: NgramCounts = new Map();
  for (let i = 0; i + n <= units.length; i++) {
    const key = units.slice(i, i + n).join(sep);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The total count of all n-grams in `counts`. */
export function totalCount(counts: NgramCounts): number {
  let total = 0;
  for (const c of counts.values()) total += c;
  return total;
}

/**
 * Clipped matches: Σ over hypothesis n-grams of min(hyp count, ref count), the numerator of a
 * modified n-gram precision (Papineni et al. 2002, §2.1) and of chrF's character precision.
 */
export function clippedMatches(hyp: NgramCounts, ref: NgramCounts): number {
  let matches = 0;
  for (const [key, count] of hyp) {
    const refCount = ref.get(key);
    if (refCount !== undefined) matches += Math.min(count, refCount);
  }
  return matches;
}

/** Merges reference counts in place by taking, for each n-gram, the largest count over references. */
export function maxMerge(into: NgramCounts, from: NgramCounts): void {
  for (const [key, count] of from) {
    const have = into.get(key);
    if (have === undefined || count > have) into.set(key, count);
  }
}
