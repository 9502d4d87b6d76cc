import { noGrad } from '../autograd/engine.js';
import { HeedError } from '../util/errors.js';
import { defaultGenerator, type Generator } from '../util/random.js';
import type { Hypothesis, SearchOptions, StepDecoder } from './types.js';

/** Options of sampling: temperature and the top-k / top-p (nucleus) filters, seeded. */
export interface SamplingOptions extends SearchOptions {
  /** Divides the logits: < 1 sharpens, > 1 flattens (default 1). */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Sample only within the smallest set of tokens whose probability reaches p. */
  topP?: number;
  generator?: Generator;
}

/**
 * Greedy decoding of `rows` sources at once: each step takes the most likely token. Rows that
 * produced EOS are dropped from the batch (selectRows), so finished sources cost nothing.
 */
export function greedySearch<S>(
  model: StepDecoder<S>,
  state: S,
  rows: number,
  opts: SearchOptions,
): Hypothesis[] {
  return decodeEachRow(model, state, rows, opts, (logp) => argmax(logp));
}

/**
 * Ancestral sampling with temperature, top-k and top-p (Holtzman et al. 2020), reproducible
 * under a seeded generator.
 */
export function sampleSearch<S>(
  model: StepDecoder<S>,
  state: S,
  rows: number,
  opts: SamplingOptions,
): Hypothesis[] {
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0)) throw new HeedError(`sampling: temperature must be > 0, got ${temperature}`);
  if (opts.topK !== undefined && !(Number.isInteger(opts.topK) && opts.topK >= 1)) {
    throw new HeedError(`sampling: topK must be a positive integer, got ${opts.topK}`);
  }
  if (opts.topP !== undefined && !(opts.topP > 0 && opts.topP <= 1)) {
    throw new HeedError(`sampling: topP must be in (0, 1], got ${opts.topP}`);
  }
  const gen = opts.generator ?? defaultGenerator;
  return decodeEachRow(model, state, rows, opts, (logp) => sampleToken(logp, { ...opts, temperature }, gen));
}

/** The shared loop of greedy and sampling: one token per active row per step. */
function decodeEachRow<S>(
  model: StepDecoder<S>,
  initial: S,
  rows: number,
  opts: SearchOptions,
  choose: (logp: Float32Array | Float64Array) => number,
): Hypothesis[] {
  checkSearch(opts);
  return noGrad(() => {
    const hyps: Hypothesis[] = Array.from({ length: rows }, () => ({ tokens: [], logProb: 0, score: 0 }));
    let active = Array.from({ length: rows }, (_, i) => i); // source index of each current row
    let tokens = new Int32Array(rows).fill(opts.bos);
    let state = initial;
    for (let t = 0; t < opts.maxLength && active.length > 0; t++) {
      const out = model.step(tokens, state);
      const v = out.logProbs.shape[1];
      const keep: number[] = [];
      const next: number[] = [];
      active.forEach((src, r) => {
        const logp = out.logProbs.data.subarray(r * v, (r + 1) * v);
        const tok = choose(logp);
        const h = hyps[src];
        h.tokens.push(tok);
        h.logProb += logp[tok];
        if (out.attention) {
          const ts = out.attention.shape[1];
          const row = Float32Array.from(out.attention.data.subarray(r * ts, (r + 1) * ts));
          if (h.attention) h.attention.push(row);
          else h.attention = [row];
        }
        if (tok !== opts.eos) {
          keep.push(r);
          next.push(tok);
        }
      });
      if (keep.length === 0) break;
      state = keep.length === active.length ? out.state : model.selectRows(out.state, Int32Array.from(keep));
      active = keep.map((r) => active[r]);
      tokens = Int32Array.from(next);
    }
    for (const h of hyps) h.score = h.logProb;
    return hyps;
  });
}

export function checkSearch(opts: SearchOptions): void {
  if (!(Number.isInteger(opts.maxLength) && opts.maxLength >= 1)) {
    throw new HeedError(`decoding: maxLength must be a positive integer, got ${opts.maxLength}`);
  }
}

export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** Draws one token from log-probabilities after temperature, top-k and top-p filtering. */
export function sampleToken(
  logp: ArrayLike<number>,
  opts: { temperature: number; topK?: number; topP?: number },
  gen: Generator,
): number {
  const n = logp.length;
  // Candidates sorted by probability, most likely first (stable by id for ties).
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logp[b] - logp[a] || a - b);
  let count = Math.min(opts.topK ?? n, n);
  const scaled = order.slice(0, count).map((i) => logp[i] / opts.temperature);
  const max = scaled[0];
  const probs = scaled.map((s) => Math.exp(s - max));
  let total = probs.reduce((p, q) => p + q, 0);
  if (opts.topP !== undefined && opts.topP < 1) {
    // Keep the smallest prefix whose mass reaches p (always at least one token).
    let mass = 0;
    for (let i = 0; i < count; i++) {
      mass += probs[i] / total;
      if (mass >= opts.topP) {
        count = i + 1;
        break;
      }
    }
    total = probs.slice(0, count).reduce((p, q) => p + q, 0);
  }
  let u = gen.uniform() * total;
  for (let i = 0; i < count; i++) {
    u -= probs[i];
    if (u < 0) return order[i];
  }
  return order[count - 1];
}
