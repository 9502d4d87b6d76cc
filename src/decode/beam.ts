import { noGrad } from '../autograd/engine.js';
import { HeedError } from '../util/errors.js';
import { checkSearch } from './greedy.js';
import type { Hypothesis, SearchOptions, StepDecoder } from './types.js';

export interface BeamOptions extends SearchOptions {
  /** Hypotheses kept per source (K). */
  beamSize: number;
  /** How many finished hypotheses to return per source, best first (default 1, at most K). */
  nBest?: number;
  /**
   * α of the GNMT length penalty lp(Y) = ((5 + |Y|) / 6)^α (Wu et al. 2016, as JoeyNMT): a
   * hypothesis is ranked by log p(Y) / lp(Y). 0 (the default) ranks by log p alone.
   */
  alpha?: number;
}

/** ((5 + length) / 6)^α. */
export function lengthPenalty(length: number, alpha: number): number {
  return alpha === 0 ? 1 : ((5 + length) / 6) ** alpha;
}

interface Beam {
  tokens: number[];
  logProb: number;
  attention: Float32Array[] | undefined;
}

/**
 * Beam search over `sources` inputs at once (the state holds one row per source; it is expanded
 * to sources × K rows). Every step extends each live hypothesis by every token, keeps the K best
 * continuations that do not end in EOS, and sets aside those that do as finished (scored
 * log p / lp). A source stops when it has K finished hypotheses or at maxLength, where live ones
 * are finished as they are. Returns, per source, its nBest hypotheses best first.
 */
export function beamSearch<S>(
  model: StepDecoder<S>,
  state: S,
  sources: number,
  opts: BeamOptions,
): Hypothesis[][] {
  checkSearch(opts);
  const k = opts.beamSize;
  const nBest = opts.nBest ?? 1;
  const alpha = opts.alpha ?? 0;
  if (!(Number.isInteger(k) && k >= 1))
    throw new HeedError(`beam search: beamSize must be a positive integer, got ${k}`);
  if (!(Number.isInteger(nBest) && nBest >= 1 && nBest <= k)) {
    throw new HeedError(`beam search: nBest must be an integer in [1, beamSize = ${k}], got ${nBest}`);
  }
  return noGrad(() => {
    const finished: Hypothesis[][] = Array.from({ length: sources }, () => []);
    // Live beams per source; a source starts with one empty hypothesis.
    let beams: Beam[][] = Array.from({ length: sources }, () => [
      { tokens: [], logProb: 0, attention: undefined },
    ]);
    let st = state;
    let tokens = new Int32Array(sources).fill(opts.bos);
    for (let t = 0; t < opts.maxLength; t++) {
      const out = model.step(tokens, st);
      const v = out.logProbs.shape[1];
      const lp = out.logProbs.data;
      const att = out.attention;
      const nextRows: number[] = [];
      const nextTokens: number[] = [];
      const nextSource: number[] = [];
      const nextBeams: Beam[][] = Array.from({ length: sources }, () => []);
      const last = t === opts.maxLength - 1;
      let row = 0;
      for (let s = 0; s < sources; s++) {
        const live = beams[s];
        if (live.length === 0) continue;
        const firstRow = row;
        row += live.length;
        // The best 2K continuations cover K live ones even if up to K of them end in EOS.
        const cands = topContinuations(live, lp, firstRow, v, 2 * k);
        for (const c of cands) {
          if (nextBeams[s].length >= k) break; // K live continuations: the rest are worse
          const parent = live[c.beam];
          const r = firstRow + c.beam;
          const attention = att ? [...(parent.attention ?? []), rowOf(att.data, r, att.shape[1])] : undefined;
          const beam: Beam = { tokens: [...parent.tokens, c.token], logProb: c.logProb, attention };
          if (c.token === opts.eos || last) {
            finished[s].push(finish(beam, alpha));
          } else {
            nextBeams[s].push(beam);
            nextRows.push(r);
            nextTokens.push(c.token);
            nextSource.push(s);
          }
        }
        finished[s] = finished[s].sort((a, b) => b.score - a.score).slice(0, k);
        if (settled(finished[s], nextBeams[s], nBest, alpha, opts.maxLength)) nextBeams[s] = [];
      }
      // Drop the rows of sources that stopped this step.
      const keep = nextRows.map((_, i) => i).filter((i) => nextBeams[nextSource[i]].length > 0);
      if (keep.length === 0) break;
      st = model.selectRows(
        out.state,
        Int32Array.from(keep, (i) => nextRows[i]),
      );
      tokens = Int32Array.from(keep, (i) => nextTokens[i]);
      beams = nextBeams;
    }
    return finished.map((hs) => hs.slice(0, nBest));
  });
}

/**
 * A source is done when it has nBest finished hypotheses and no live one can still beat the
 * nBest-th: log p only falls as tokens are added, so a live hypothesis can at best score
 * log p / lp(maxLength) (or log p itself when α = 0).
 */
function settled(
  done: readonly Hypothesis[],
  live: readonly Beam[],
  nBest: number,
  alpha: number,
  maxLength: number,
): boolean {
  if (live.length === 0) return true;
  if (done.length < nBest) return false;
  const bound = Math.max(...live.map((b) => b.logProb)) / lengthPenalty(maxLength, alpha);
  return bound <= done[nBest - 1].score;
}

function finish(b: Beam, alpha: number): Hypothesis {
  const h: Hypothesis = {
    tokens: b.tokens,
    logProb: b.logProb,
    score: b.logProb / lengthPenalty(b.tokens.length, alpha),
  };
  if (b.attention) h.attention = b.attention;
  return h;
}

function rowOf(data: Float32Array | Float64Array, r: number, n: number): Float32Array {
  return Float32Array.from(data.subarray(r * n, (r + 1) * n));
}

interface Candidate {
  beam: number;
  token: number;
  logProb: number;
}

/** The `count` best (beam, token) extensions by total log-probability, best first. */
function topContinuations(
  live: readonly Beam[],
  lp: Float32Array | Float64Array,
  firstRow: number,
  v: number,
  count: number,
): Candidate[] {
  const best: Candidate[] = [];
  for (let b = 0; b < live.length; b++) {
    const base = live[b].logProb;
    const off = (firstRow + b) * v;
    for (let tok = 0; tok < v; tok++) {
      const score = base + lp[off + tok];
      if (best.length === count && score <= best[count - 1].logProb) continue;
      // Insertion into a short sorted list: count is 2K, small.
      let i = best.length < count ? best.length : count - 1;
      if (best.length < count) best.push({ beam: b, token: tok, logProb: score });
      else best[i] = { beam: b, token: tok, logProb: score };
      while (i > 0 && best[i - 1].logProb < best[i].logProb) {
        [best[i - 1], best[i]] = [best[i], best[i - 1]];
        i--;
      }
    }
  }
  return best;
}
