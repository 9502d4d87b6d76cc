/**
 * Corpus BLEU (Papineni et al., 2002) exactly as sacreBLEU 2.x computes it by default
 * (`sacrebleu/metrics/bleu.py`, checked against sacreBLEU 2.6.0):
 *
 *   BLEU = BP · exp( (1/N) Σₙ log pₙ ),   pₙ = Σ_seg clipped matchesₙ / Σ_seg hypothesis n-gramsₙ
 *   BP   = 1 if c > r, else exp(1 − r/c)  (0 when c = 0)
 *
 * where the statistics are summed over the corpus before dividing (corpus BLEU is not a mean of
 * sentence BLEUs), c is the hypothesis length and r the sum over segments of the reference
 * length closest to the hypothesis length (ties → the shorter). With several references an
 * n-gram's count is clipped by its largest count in any one reference. Scores are 0–100.
 */

import { HeedError } from '../util/errors.js';
import { clippedMatches, countNgrams, maxMerge, type NgramCounts, totalCount } from './ngrams.js';
import { pyFixed, pyRstrip, pySplit } from './python-text.js';
import { formatSignature } from './signature.js';
import { checkStreams } from './streams.js';
import { type BleuTokenizerName, bleuTokenizers, parseBleuTokenizer } from './tokenizers.js';

/**
 * Smoothing of zero n-gram matches (Chen & Cherry 2014, "A Systematic Comparison of Smoothing
 * Techniques for Sentence-Level BLEU"): `exp` is their method 3, NIST's mteval-v13a smoothing and
 * sacreBLEU's default; `floor` is method 1; `add-k` is method 2; `none` leaves a zero precision
 * at zero, which makes the score 0.
 */
export type BleuSmoothing = 'exp' | 'floor' | 'add-k' | 'none';

/** sacreBLEU's `SMOOTH_DEFAULTS`: the value `floor` and `add-k` use when none is given. */
const SMOOTH_DEFAULTS: Readonly<Record<BleuSmoothing, number | null>> = {
  none: null,
  floor: 0.1,
  'add-k': 1,
  exp: null,
};

/** sacreBLEU's `my_log`: log, with log 0 floored to −9999999999 so that exp of the mean is 0. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/** Options of `corpusBleu`; every default is sacreBLEU's. */
export interface BleuOptions {
  /** Tokenizer applied to hypotheses and references after lowercasing. Default '13a'. */
  tokenize?: BleuTokenizerName;
  /** Lowercase hypotheses and references before tokenizing (signature `case:lc`). Default false. */
  lowercase?: boolean;
  /** Default 'exp'. */
  smooth?: BleuSmoothing;
  /** The value for `floor` (default 0.1) and `add-k` (default 1); ignored by the others. */
  smoothValue?: number;
  /** Largest n-gram order N. Default 4. */
  maxNgramOrder?: number;
  /**
   * Average log precisions only over the orders n for which the hypotheses have any n-gram
   * (sacreBLEU's `effective_order`; meant for sentence-level BLEU). Default false.
   */
  effectiveOrder?: boolean;
}

/** BLEU and its sufficient statistics, with sacreBLEU's `BLEUScore` fields. */
export interface BleuStatsScore {
  /** BLEU, 0–100. */
  score: number;
  /** Clipped n-gram matches per order, n = 1..N (with `add-k`, k added for n > 1, as sacreBLEU reports them). */
  counts: number[];
  /** Hypothesis n-grams per order, n = 1..N (with `add-k`, k added for n > 1). */
  totals: number[];
  /** Smoothed precisions pₙ, 0–100. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** Hypothesis length c in tokens. */
  sysLen: number;
  /** Effective reference length r in tokens. */
  refLen: number;
  /** c / r, or 0 when r = 0. */
  ratio: number;
}

/** A corpus BLEU result: the score, its statistics and the signature that reproduces it. */
export interface BleuScore extends BleuStatsScore {
  name: 'BLEU';
  /** e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:heed-0.1.0`. */
  signature: string;
}

/** The sufficient statistics of BLEU, summed over a corpus. */
export interface BleuStatistics {
  /** Clipped matches per order n = 1..N. */
  correct: readonly number[];
  /** Hypothesis n-grams per order n = 1..N. */
  total: readonly number[];
  sysLen: number;
  refLen: number;
}

interface ResolvedOptions {
  tokenize: BleuTokenizerName;
  lowercase: boolean;
  smooth: BleuSmoothing;
  smoothValue: number | null;
  maxNgramOrder: number;
  effectiveOrder: boolean;
}

function resolveOptions(opts: BleuOptions, context: string): ResolvedOptions {
  const smooth = opts.smooth ?? 'exp';
  if (!Object.hasOwn(SMOOTH_DEFAULTS, smooth)) {
    throw new HeedError(`${context}: unknown smoothing '${smooth}'; choose one of exp, floor, add-k, none`);
  }
  const maxNgramOrder = opts.maxNgramOrder ?? 4;
  if (!Number.isInteger(maxNgramOrder) || maxNgramOrder < 1) {
    throw new HeedError(`${context}: maxNgramOrder must be a positive integer, got ${maxNgramOrder}`);
  }
  if (opts.smoothValue !== undefined && !Number.isFinite(opts.smoothValue)) {
    throw new HeedError(`${context}: smoothValue must be a finite number, got ${opts.smoothValue}`);
  }
  return {
    tokenize: parseBleuTokenizer(opts.tokenize ?? '13a', context),
    lowercase: opts.lowercase ?? false,
    smooth,
    smoothValue: opts.smoothValue ?? SMOOTH_DEFAULTS[smooth],
    maxNgramOrder,
    effectiveOrder: opts.effectiveOrder ?? false,
  };
}

/**
 * BLEU from corpus statistics: sacreBLEU's `BLEU.compute_bleu`, step for step, so that the
 * floating-point results agree too.
 *
 * - If no order has a single match the score is 0 (sacreBLEU #141), whatever the smoothing.
 * - `add-k`: k is added to the matches and the totals of every order n > 1.
 * - The loop over orders stops at the first order with no hypothesis n-grams; the orders after
 *   it keep precision 0 (score 0) unless `effectiveOrder` leaves them out of the mean.
 * - `exp`: the k-th order with zero matches gets pₙ = 100 / (2ᵏ · totalₙ), i.e. 1/2ᵏ matches.
 * - `floor`: an order with zero matches gets pₙ = 100 · value / totalₙ.
 */
export function bleuFromStatistics(
  stats: BleuStatistics,
  opts: Omit<BleuOptions, 'tokenize' | 'lowercase'> = {},
): BleuStatsScore {
  return computeBleu(stats, resolveOptions(opts, 'bleu'));
}

function computeBleu(stats: BleuStatistics, o: ResolvedOptions): BleuStatsScore {
  const order = o.maxNgramOrder;
  if (stats.correct.length !== order || stats.total.length !== order) {
    throw new HeedError(
      `bleu: statistics need ${order} counts per order, got ${stats.correct.length} matches and ${stats.total.length} totals`,
    );
  }
  const correct = [...stats.correct];
  const total = [...stats.total];
  const { sysLen, refLen } = stats;
  const ratio = refLen !== 0 ? sysLen / refLen : 0;

  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;

  const precisions = new Array<number>(order).fill(0);
  if (!correct.some((c) => c !== 0)) {
    return { score: 0, counts: correct, totals: total, precisions, bp, sysLen, refLen, ratio };
  }

  let smoothMteval = 1;
  let effOrder = order;
  for (let n = 1; n <= order; n++) {
    if (o.smooth === 'add-k' && n > 1) {
      const k = o.smoothValue ?? 1;
      correct[n - 1]! += k;
      total[n - 1]! += k;
    }
    const c = correct[n - 1]!;
    const t = total[n - 1]!;
    if (t === 0) break;
    if (o.effectiveOrder) effOrder = n;
    if (c === 0) {
      if (o.smooth === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * t);
      } else if (o.smooth === 'floor') {
        precisions[n - 1] = (100 * (o.smoothValue ?? 0.1)) / t;
      }
    } else {
      precisions[n - 1] = (100 * c) / t;
    }
  }

  let logSum = 0;
  for (const p of precisions.slice(0, effOrder)) logSum += myLog(p);
  const score = bp * Math.exp(logSum / effOrder);
  return { score, counts: correct, totals: total, precisions, bp, sysLen, refLen, ratio };
}

/** The signature sacreBLEU's `BLEUSignature` would print for these options and reference count. */
export function bleuSignature(nrefs: number, opts: BleuOptions = {}): string {
  return signatureOf(nrefs, resolveOptions(opts, 'bleu'));
}

function signatureOf(nrefs: number, o: ResolvedOptions): string {
  const def = SMOOTH_DEFAULTS[o.smooth];
  // The smoothing value is shown, to 2 decimals, only for the methods that take one.
  const smooth = def === null ? o.smooth : `${o.smooth}[${pyFixed(o.smoothValue ?? def, 2)}]`;
  return formatSignature([
    ['nrefs', nrefs],
    ['case', o.lowercase ? 'lc' : 'mixed'],
    ['eff', o.effectiveOrder ? 'yes' : 'no'],
    ['tok', o.tokenize],
    ['smooth', smooth],
  ]);
}

/** One segment's n-gram counts per order (index n − 1) and its length in tokens. */
function segmentNgrams(tokens: readonly string[], order: number): NgramCounts[] {
  const perOrder: NgramCounts[] = [];
  for (let n = 1; n <= order; n++) perOrder.push(countNgrams(tokens, n, ' '));
  return perOrder;
}

/** sacreBLEU's `_get_closest_ref_len`: the reference length nearest the hypothesis length, ties → the shorter. */
function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let closestDiff = -1;
  let closestLen = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closestLen = len;
    } else if (diff === closestDiff && len < closestLen) {
      closestLen = len;
    }
  }
  return closestLen;
}

/**
 * Corpus BLEU of `hypotheses` against one or more reference streams, as sacreBLEU's
 * `BLEU(...).corpus_score(hypotheses, references)`.
 *
 * Each segment is lowercased (if asked), right-stripped and tokenized; tokens are the
 * whitespace-separated fields of the tokenizer's output. An empty reference is kept as a
 * reference of length 0, as sacreBLEU 2.6 does (earlier 2.x releases dropped it).
 *
 * @param hypotheses one string per segment.
 * @param references one array per reference stream, each aligned with `hypotheses`
 *   (sacreBLEU's `[[ref1 of seg 1, ref1 of seg 2, ...], [ref2 of seg 1, ...]]`).
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  opts: BleuOptions = {},
): BleuScore {
  const o = resolveOptions(opts, 'bleu');
  checkStreams('bleu', hypotheses, references);
  const tokenizer = bleuTokenizers[o.tokenize];
  const preprocess = (s: string): string[] => pySplit(tokenizer(pyRstrip(o.lowercase ? s.toLowerCase() : s)));

  const order = o.maxNgramOrder;
  const correct = new Array<number>(order).fill(0);
  const total = new Array<number>(order).fill(0);
  let sysLen = 0;
  let refLen = 0;

  hypotheses.forEach((hyp, seg) => {
    const refNgrams: NgramCounts[] = [];
    const refLens: number[] = [];
    for (const stream of references) {
      const tokens = preprocess(stream[seg]!);
      refLens.push(tokens.length);
      segmentNgrams(tokens, order).forEach((counts, i) => {
        if (refNgrams[i] === undefined) refNgrams[i] = new Map(counts);
        else maxMerge(refNgrams[i]!, counts);
      });
    }
    const hypTokens = preprocess(hyp);
    sysLen += hypTokens.length;
    refLen += closestRefLen(hypTokens.length, refLens);
    segmentNgrams(hypTokens, order).forEach((counts, i) => {
      total[i]! += totalCount(counts);
      correct[i]! += clippedMatches(counts, refNgrams[i]!);
    });
  });

  const result = computeBleu({ correct, total, sysLen, refLen }, o);
  return { name: 'BLEU', ...result, signature: signatureOf(references.length, o) };
}

/**
 * Sentence-level BLEU of one hypothesis against its references, as sacreBLEU's
 * `sentence_bleu`: the corpus computation on a one-segment corpus, with `effectiveOrder` on by
 * default (a short sentence has no 4-grams). BLEU is a corpus metric; averaging this over
 * sentences does not give corpus BLEU.
 */
export function sentenceBleu(
  hypothesis: string,
  references: readonly string[],
  opts: BleuOptions = {},
): BleuScore {
  return corpusBleu(
    [hypothesis],
    references.map((r) => [r]),
    { effectiveOrder: true, ...opts },
  );
}

/**
 * The line sacreBLEU prints for a BLEU score (`BLEUScore.format` with width 2 and no signature):
 * `BLEU = 26.75 60.2/33.1/20.4/12.9 (BP = 1.000 ratio = 1.012 hyp_len = 1234 ref_len = 1219)`.
 */
export function formatBleu(s: BleuStatsScore): string {
  const prec = s.precisions.map((p) => pyFixed(p, 1)).join('/');
  return (
    `BLEU = ${pyFixed(s.score, 2)} ${prec} (BP = ${pyFixed(s.bp, 3)} ratio = ${pyFixed(s.ratio, 3)} ` +
    `hyp_len = ${s.sysLen} ref_len = ${s.refLen})`
  );
}

/** The verbose part of `formatBleu` (everything after the score), sacreBLEU's `verbose_score`. */
export function bleuVerbose(s: BleuStatsScore): string {
  return formatBleu(s).replace(/^BLEU = \S+ /, '');
}
