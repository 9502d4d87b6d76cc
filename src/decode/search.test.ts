import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromArray } from '../ops/creation.js';
import { logSoftmax } from '../ops/softmax.js';
import type { Tensor } from '../tensor/tensor.js';
import { Generator } from '../util/random.js';
import { beamSearch, lengthPenalty } from './beam.js';
import { greedySearch, sampleSearch, sampleToken } from './greedy.js';
import type { StepDecoder } from './types.js';

const V = 4;
const EOS = 3;
const BOS = 0;

/**
 * A toy model whose next-token distribution depends on the running sum of the tokens so far
 * (so a search that reorders rows wrongly gets different numbers), and on which source it
 * decodes. State: per row, [source, running sum].
 */
class ToyModel implements StepDecoder<Int32Array[]> {
  readonly table: Tensor;
  constructor(seed: number) {
    const gen = new Generator(seed);
    const logits = Array.from({ length: 2 * 7 * V }, () => 2 * gen.normal());
    this.table = logSoftmax(fromArray(logits, [2 * 7, V], { dtype: 'float64' }), -1);
  }
  step(tokens: Int32Array, state: Int32Array[]) {
    const next = state.map(([src, sum], r) => Int32Array.of(src, sum + tokens[r]));
    const data = new Float64Array(next.length * V);
    next.forEach(([src, sum], r) => {
      const row = (src * 7 + (sum % 7)) * V;
      data.set(this.table.data.subarray(row, row + V), r * V);
    });
    return {
      logProbs: fromArray(data, [next.length, V], { dtype: 'float64' }),
      state: next,
      attention: fromArray(
        next.map(([, s]) => s),
        [next.length, 1],
      ),
    };
  }
  selectRows(state: Int32Array[], rows: Int32Array) {
    return Array.from(rows, (r) => state[r]);
  }
  /** log p of a whole continuation for a source. */
  score(src: number, tokens: number[]): number {
    let sum = BOS;
    let lp = 0;
    for (const t of tokens) {
      lp += this.table.data[(src * 7 + (sum % 7)) * V + t];
      sum += t;
    }
    return lp;
  }
}

/** Every continuation up to maxLen that ends in EOS or runs out, with its penalised score. */
function exhaustive(model: ToyModel, src: number, maxLen: number, alpha: number) {
  const all: { tokens: number[]; score: number }[] = [];
  const walk = (prefix: number[]) => {
    for (let t = 0; t < V; t++) {
      const seq = [...prefix, t];
      if (t === EOS || seq.length === maxLen)
        all.push({ tokens: seq, score: model.score(src, seq) / lengthPenalty(seq.length, alpha) });
      else walk(seq);
    }
  };
  walk([]);
  return all.sort((a, b) => b.score - a.score);
}

const start = (n: number) => Array.from({ length: n }, (_, i) => Int32Array.of(i, 0));

describe('decoding search', () => {
  const model = new ToyModel(5);
  const opts = { bos: BOS, eos: EOS, maxLength: 5 };

  it('greedy takes the arg-max at every step and stops at EOS', () => {
    const [h0, h1] = greedySearch(model, start(2), 2, opts);
    for (const [src, h] of [
      [0, h0],
      [1, h1],
    ] as const) {
      let sum = 0;
      for (let i = 0; i < h.tokens.length; i++) {
        const row = model.table.data.subarray((src * 7 + (sum % 7)) * V, (src * 7 + (sum % 7) + 1) * V);
        assert.equal(h.tokens[i], row.indexOf(Math.max(...row)));
        sum += h.tokens[i];
      }
      assert.ok(h.tokens.at(-1) === EOS || h.tokens.length === 5);
      assert.ok(Math.abs(h.logProb - model.score(src, h.tokens)) < 1e-9);
      assert.equal(h.attention?.length, h.tokens.length);
    }
  });

  for (const alpha of [0, 1]) {
    it(`a wide beam finds the exhaustive optimum and the n-best list (α = ${alpha})`, () => {
      const res = beamSearch(model, start(2), 2, { ...opts, beamSize: 64, nBest: 3, alpha });
      for (const src of [0, 1]) {
        const truth = exhaustive(model, src, 5, alpha).slice(0, 3);
        assert.deepEqual(
          res[src].map((h) => h.tokens),
          truth.map((t) => t.tokens),
        );
        res[src].forEach((h, i) => {
          assert.ok(Math.abs(h.score - truth[i].score) < 1e-9);
        });
      }
    });
  }

  it('beam size 1 equals greedy; a wider beam never scores worse', () => {
    const greedy = greedySearch(model, start(2), 2, opts);
    const b1 = beamSearch(model, start(2), 2, { ...opts, beamSize: 1 });
    const b4 = beamSearch(model, start(2), 2, { ...opts, beamSize: 4 });
    for (const s of [0, 1]) {
      assert.deepEqual(b1[s][0].tokens, greedy[s].tokens);
      assert.ok(b4[s][0].score >= b1[s][0].score - 1e-12);
      // Attention rows follow the chosen hypothesis (the toy puts the running sum there).
      let sum = 0;
      b4[s][0].tokens.forEach((t, i) => {
        assert.equal(b4[s][0].attention?.[i][0], sum);
        sum += t;
      });
    }
  });

  it('sampling is reproducible under a seed and respects top-k', () => {
    const a = sampleSearch(model, start(2), 2, { ...opts, temperature: 0.8, generator: new Generator(1) });
    const b = sampleSearch(model, start(2), 2, { ...opts, temperature: 0.8, generator: new Generator(1) });
    assert.deepEqual(
      a.map((h) => h.tokens),
      b.map((h) => h.tokens),
    );
    const gen = new Generator(3);
    const logp = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
    for (let i = 0; i < 200; i++)
      assert.ok([0, 1].includes(sampleToken(logp, { temperature: 1, topK: 2 }, gen)));
    // top-p 0.7: the nucleus is {0, 1} (0.5 + 0.3 ≥ 0.7).
    for (let i = 0; i < 200; i++)
      assert.ok([0, 1].includes(sampleToken(logp, { temperature: 1, topP: 0.7 }, gen)));
    // Frequencies follow the distribution.
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[sampleToken(logp, { temperature: 1 }, gen)]++;
    assert.ok(Math.abs(counts[0] / 4000 - 0.5) < 0.04 && Math.abs(counts[3] / 4000 - 0.05) < 0.02);
  });

  it('rejects bad options with one-line errors', () => {
    assert.throws(
      () => beamSearch(model, start(1), 1, { ...opts, beamSize: 0 }),
      /beamSize must be a positive integer/,
    );
    assert.throws(
      () => beamSearch(model, start(1), 1, { ...opts, beamSize: 2, nBest: 3 }),
      /nBest must be an integer in \[1, beamSize = 2\]/,
    );
    assert.throws(
      () => sampleSearch(model, start(1), 1, { ...opts, temperature: 0 }),
      /temperature must be > 0/,
    );
    assert.throws(
      () => greedySearch(model, start(1), 1, { ...opts, maxLength: 0 }),
      /maxLength must be a positive integer/,
    );
  });
});
