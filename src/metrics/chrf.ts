/**
 * chrF (Popović 2015, "chrF: character n-gram F-score for automatic MT evaluation") and chrF++
 * (Popović 2017) exactly as sacreBLEU 2.x computes them (`sacrebleu/metrics/chrf.py`, checked
 * against sacreBLEU 2.6.0). With sacreBLEU's defaults: character n-grams of orders 1..6 over
 * each segment with all whitespace removed, no word n-grams, β = 2, and
 *
 *   P = (1/E) Σₙ matchₙ / hypₙ,   R = (1/E) Σₙ matchₙ / refₙ,   chrF = 100 · (1+β²) P R / (β² P + R)
 *
 * where matchₙ, hypₙ, refₙ are summed over the corpus first and the sums run over the E
 * "effective" orders with hypₙ > 0 and refₙ > 0 (signature `eff:yes`). With `epsSmoothing` the
 * score is instead the mean over all orders of the per-order F, with 1e-16 standing in for an
 * undefined precision, recall or F (chrF++.py's, Moses' and NLTK's smoothing; `eff:no`).
 */

import { HeedError } from '../util/errors.js';
import { clippedMatches, countNgrams, type NgramCounts, totalCount } from './ngrams.js';
import { codePoints, pyFixed, pySplit } from './python-text.js';
import { formatSignature } from './signature.js';
import { checkStreams } from './streams.js';

/** Options of `corpusChrf`; every default is sacreBLEU's. */
export interface ChrfOptions {
  /** Largest character n-gram order. Default 6. */
  charOrder?: number;
  /** Largest word n-gram order; 2 gives chrF++. Default 0. */
  wordOrder?: number;
  /** Recall is weighted β times as much as precision. Default 2. */
  beta?: number;
  /** Lowercase hypotheses and references (signature `case:lc`). Default false. */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (signature `space:yes`). Default false. */
  whitespace?: boolean;
  /** chrF++.py-style epsilon smoothing instead of effective-order averaging. Default false. */
  epsSmoothing?: boolean;
}

/** A chrF result. */
export interface ChrfScore {
  /** `chrF2`, or `chrF2++` with word order 2 (sacreBLEU's `chrF{β}` + one `+` per word order). */
  name: string;
  /** chrF, 0–100. */
  score: number;
  /**
   * Corpus statistics: for each character order 1..charOrder, then each word order
   * 1..wordOrder, the triple [hypothesis n-grams, reference n-grams, matches], flattened.
   */
  stats: number[];
  /** e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:heed-0.1.0`. */
  signature: string;
}

interface ResolvedChrf {
  charOrder: number;
  wordOrder: number;
  beta: number;
  lowercase: boolean;
  whitespace: boolean;
  epsSmoothing: boolean;
}

function resolveOptions(opts: ChrfOptions): ResolvedChrf {
  const o: ResolvedChrf = {
    charOrder: opts.charOrder ?? 6,
    wordOrder: opts.wordOrder ?? 0,
    beta: opts.beta ?? 2,
    lowercase: opts.lowercase ?? false,
    whitespace: opts.whitespace ?? false,
    epsSmoothing: opts.epsSmoothing ?? false,
  };
  if (!Number.isInteger(o.charOrder) || o.charOrder < 0) {
    throw new HeedError(`chrf: charOrder must be a non-negative integer, got ${o.charOrder}`);
  }
  if (!Number.isInteger(o.wordOrder) || o.wordOrder < 0) {
    throw new HeedError(`chrf: wordOrder must be a non-negative integer, got ${o.wordOrder}`);
  }
  if (o.charOrder + o.wordOrder === 0) throw new HeedError('chrf: charOrder + wordOrder must be at least 1');
  if (!(o.beta > 0)) throw new HeedError(`chrf: beta must be positive, got ${o.beta}`);
  return o;
}

/** string.punctuation, which chrF++'s word splitter peels off word ends. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/**
 * sacreBLEU's `_remove_punctuation` for chrF++ word n-grams: split on whitespace, then split one
 * punctuation character off the end of a word, or else off its start (so `(hi)` → `(hi`, `)`).
 */
function chrfWords(sent: string): string[] {
  const words: string[] = [];
  for (const w of pySplit(sent)) {
    const cps = codePoints(w);
    if (cps.length === 1) {
      words.push(w);
    } else if (PUNCTUATION.has(cps[cps.length - 1]!)) {
      words.push(cps.slice(0, -1).join(''), cps[cps.length - 1]!);
    } else if (PUNCTUATION.has(cps[0]!)) {
      words.push(cps[0]!, cps.slice(1).join(''));
    } else {
      words.push(w);
    }
  }
  return words;
}

/** Character n-grams of orders 1..charOrder, then word n-grams of orders 1..wordOrder. */
function segmentNgrams(sent: string, o: ResolvedChrf): NgramCounts[] {
  const line = o.lowercase ? sent.toLowerCase() : sent;
  // sacreBLEU removes whitespace with `''.join(line.split())` and indexes code points.
  const chars = codePoints(o.whitespace ? line : pySplit(line).join(''));
  const out: NgramCounts[] = [];
  for (let n = 1; n <= o.charOrder; n++) out.push(countNgrams(chars, n, ''));
  if (o.wordOrder > 0) {
    const words = chrfWords(line);
    for (let n = 1; n <= o.wordOrder; n++) out.push(countNgrams(words, n, ' '));
  }
  return out;
}

/**
 * The F score of flattened [hyp, ref, match] statistics: sacreBLEU's `CHRF._compute_f_score`,
 * in the same order of operations.
 */
export function chrfFromStatistics(stats: readonly number[], opts: ChrfOptions = {}): number {
  const o = resolveOptions(opts);
  const order = o.charOrder + o.wordOrder;
  if (stats.length !== 3 * order) {
    throw new HeedError(`chrf: statistics need ${3 * order} numbers (3 per order), got ${stats.length}`);
  }
  const eps = 1e-16;
  const factor = o.beta ** 2;
  let score = 0;
  let effectiveOrder = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i]!;
    const nRef = stats[3 * i + 1]!;
    const nMatch = stats[3 * i + 2]!;
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder += 1;
    }
  }
  if (o.epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) {
    avgPrec = 0;
    avgRec = 0;
  } else {
    avgPrec /= effectiveOrder;
    avgRec /= effectiveOrder;
  }
  if (avgPrec + avgRec === 0) return 0;
  return 100 * (((1 + factor) * avgPrec * avgRec) / (factor * avgPrec + avgRec));
}

/**
 * One segment's statistics against its references: those of the reference with the highest F
 * (the first on a tie), as sacreBLEU's `_compute_segment_statistics`. An order the reference has
 * no n-grams of counts no hypothesis n-grams either ("don't count hits if no reference exists").
 */
function segmentStatistics(hyp: NgramCounts[], refs: readonly NgramCounts[][], o: ResolvedChrf): number[] {
  let best: number[] = [];
  let bestF = -1;
  for (const ref of refs) {
    const stats: number[] = [];
    hyp.forEach((h, i) => {
      const r = ref[i]!;
      stats.push(r.size > 0 ? totalCount(h) : 0, totalCount(r), clippedMatches(h, r));
    });
    const f = chrfFromStatistics(stats, o);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

/** The signature sacreBLEU's `CHRFSignature` would print. */
export function chrfSignature(nrefs: number, opts: ChrfOptions = {}): string {
  const o = resolveOptions(opts);
  return formatSignature([
    ['nrefs', nrefs],
    ['case', o.lowercase ? 'lc' : 'mixed'],
    ['eff', o.epsSmoothing ? 'no' : 'yes'],
    ['nc', o.charOrder],
    ['nw', o.wordOrder],
    ['space', o.whitespace ? 'yes' : 'no'],
  ]);
}

/**
 * Corpus chrF of `hypotheses` against one or more reference streams, as sacreBLEU's
 * `CHRF(...).corpus_score(hypotheses, references)`.
 *
 * @param hypotheses one string per segment.
 * @param references one array per reference stream, each aligned with `hypotheses`.
 */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  opts: ChrfOptions = {},
): ChrfScore {
  const o = resolveOptions(opts);
  checkStreams('chrf', hypotheses, references);
  const order = o.charOrder + o.wordOrder;
  const stats = new Array<number>(3 * order).fill(0);
  hypotheses.forEach((hyp, seg) => {
    const refs = references.map((stream) => segmentNgrams(stream[seg]!, o));
    segmentStatistics(segmentNgrams(hyp, o), refs, o).forEach((v, i) => {
      stats[i]! += v;
    });
  });
  return {
    name: `chrF${o.beta}${'+'.repeat(o.wordOrder)}`,
    score: chrfFromStatistics(stats, o),
    stats,
    signature: chrfSignature(references.length, o),
  };
}

/** chrF of one hypothesis against its references (sacreBLEU's `sentence_chrf`). */
export function sentenceChrf(
  hypothesis: string,
  references: readonly string[],
  opts: ChrfOptions = {},
): ChrfScore {
  return corpusChrf(
    [hypothesis],
    references.map((r) => [r]),
    opts,
  );
}

/** The line sacreBLEU prints for a chrF score with width 2: `chrF2 = 54.32`. */
export function formatChrf(s: ChrfScore): string {
  return `${s.name} = ${pyFixed(s.score, 2)}`;
}
