import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sampleSearch } from '../../decode/greedy.js';
import { reshape, slice } from '../../ops/shape.js';
import { logSoftmax } from '../../ops/softmax.js';
import type { Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose } from '../../testing/gradcheck.js';
import { checkModule } from '../../testing/module-check.js';
import { HeedError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { type GPTConfig, resolveGPTConfig } from './config.js';
import { GPT } from './gpt.js';

const TOL = 1e-5;
const tiny: GPTConfig = { vocabSize: 7, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 };

function model(config: Partial<GPTConfig> = {}): GPT {
  return new GPT({ ...tiny, ...config }, { generator: new Generator(2) }).eval();
}

function ids(rows: number[][]) {
  return { ids: Int32Array.from(rows.flat()), shape: [rows.length, rows[0].length] as [number, number] };
}

/** Position t of [B, T, V] → [B, V]. */
function at(x: Tensor, t: number): Tensor {
  return reshape(slice(x, 1, t, t + 1), [x.shape[0], x.shape[2]]);
}

const x = ids([
  [1, 2, 3, 4, 5, 6, 0],
  [6, 5, 4, 3, 2, 1, 0],
]);

describe('GPT config and size', () => {
  it("fills in nanoGPT's CPU defaults and rejects bad configs in one line", () => {
    assert.deepEqual(resolveGPTConfig({ vocabSize: 65 }), {
      vocabSize: 65,
      blockSize: 64,
      nLayer: 4,
      nHead: 4,
      nEmbd: 128,
      dropout: 0,
      bias: true,
    });
    const cases: [unknown, RegExp][] = [
      [{ ...tiny, n_layer: 2 }, /unknown key "n_layer"/],
      [{ ...tiny, nLayer: 0 }, /config\.nLayer must be an integer >= 1, got 0/],
      [{ ...tiny, bias: 'yes' }, /config\.bias must be true or false/],
      [{ ...tiny, nHead: 3 }, /nEmbd 16 is not divisible by config\.nHead 3/],
      [{ blockSize: 8 }, /config\.vocabSize is missing/],
      [null, /config must be an object, got null/],
    ];
    for (const [config, pattern] of cases) {
      assert.throws(
        () => resolveGPTConfig(config),
        (e: unknown) => e instanceof HeedError && pattern.test(e.message) && !e.message.includes('\n'),
      );
    }
  });

  it("has nanoGPT's parameter names and, at its CPU size, 0.80M parameters", () => {
    const m = new GPT({ vocabSize: 65 });
    const names = m.namedParameters().map(([n]) => n);
    for (const n of [
      'transformer.wte.weight',
      'transformer.wpe.weight',
      'transformer.h.0.ln_1.weight',
      'transformer.h.0.attn.c_attn.weight',
      'transformer.h.0.attn.c_proj.bias',
      'transformer.h.3.mlp.c_fc.weight',
      'transformer.h.3.mlp.c_proj.weight',
      'transformer.ln_f.bias',
    ]) {
      assert.ok(names.includes(n), n);
    }
    // Per block: 2 LayerNorms 512, c_attn 49,536, c_proj 16,512, c_fc 66,048, mlp c_proj 65,664.
    assert.equal(m.numParams(false), 4 * 198_272 + 65 * 128 + 64 * 128 + 256); // 809,856
    assert.equal(m.numParams(), 801_664); // nanoGPT prints "number of parameters: 0.80M"
    assert.equal(
      new GPT({ vocabSize: 65, bias: false }).numParams(),
      801_664 - 4 * (256 + 384 + 128 + 512 + 128) - 128,
    );
  });

  it('initialises as nanoGPT: N(0, 0.02), residual projections N(0, 0.02/√(2·nLayer)), zero biases', () => {
    const m = new GPT({ vocabSize: 65 }, { generator: new Generator(3) });
    const std = (t: Tensor): number => {
      let s = 0;
      for (const v of t.data) s += v * v;
      return Math.sqrt(s / t.size);
    };
    const block = m.transformer.h.items[0];
    assert.ok(Math.abs(std(block.attn.cAttn.weight) - 0.02) < 0.001);
    assert.ok(Math.abs(std(block.mlp.cProj.weight) - 0.02 / Math.sqrt(8)) < 0.0005);
    assert.ok(Math.abs(std(block.attn.cProj.weight) - 0.02 / Math.sqrt(8)) < 0.0005);
    assert.ok(Math.abs(std(m.transformer.wte.weight) - 0.02) < 0.002);
    assert.equal(std(block.mlp.cFc.bias ?? block.mlp.cFc.weight), 0);
    assert.equal(std(block.ln1.weight), 1);
  });
});

describeEachBackend('GPT', (backend) => {
  it('forward gives logits [B, T, V] and causal attention weights [B, H, T, T] per block', () => {
    const out = model().forward(x, { needWeights: true });
    assert.deepEqual([...out.logits.shape], [2, 7, 7]);
    assert.ok(out.attention !== null);
    assert.equal(out.attention.length, 2);
    const w = out.attention[1];
    assert.deepEqual([...w.shape], [2, 2, 7, 7]);
    for (let row = 0; row < 2 * 2 * 7; row++) {
      const i = row % 7;
      let total = 0;
      for (let j = 0; j < 7; j++) {
        const value = w.data[row * 7 + j];
        if (j > i) assert.equal(value, 0, 'no weight on a later position');
        total += value;
      }
      assert.ok(Math.abs(total - 1) < 1e-5);
    }
    assert.equal(model().forward(x).attention, null);
  });

  it('rejects a sequence longer than blockSize', () => {
    assert.throws(
      () => model().forward(ids([[1, 2, 3, 4, 5, 6, 0, 1, 2]])),
      /GPT: cannot forward a sequence of length 9, blockSize is 8/,
    );
  });

  it('causal: changing a later token never changes earlier logits', () => {
    const m = model();
    const a = m.forward(x).logits;
    const b = m.forward(
      ids([
        [1, 2, 3, 4, 0, 6, 0],
        [6, 5, 4, 3, 6, 1, 0],
      ]),
    ).logits;
    for (let t = 0; t < 4; t++) assertClose(at(b, t), at(a, t), 1e-6, 1e-6, `logits at ${t}`);
    assert.ok(Math.abs(at(b, 4).data[0] - at(a, 4).data[0]) > 1e-6);
  });

  it('step() with the KV cache equals full recomputation at every step, prompt prefilled', () => {
    const m = model();
    const full = m.forward(x).logits;
    // The first three tokens as a prompt; step() runs them together with the fourth.
    let state = m.initialState(
      ids([
        [1, 2, 3],
        [6, 5, 4],
      ]),
    );
    for (let t = 3; t < 7; t++) {
      const out = m.step(Int32Array.from([x.ids[t], x.ids[7 + t]]), state);
      state = out.state;
      assert.ok(state.caches !== null && state.caches[0].key.shape[2] === t + 1);
      assertClose(out.logProbs, logSoftmax(at(full, t), -1), TOL, TOL, `log-probabilities at ${t}`);
    }
  });

  it('selectRows reorders the cache as beam search does', () => {
    const m = model();
    const after = ids([
      [6, 5, 4, 1, 2],
      [1, 2, 3, 3, 3],
      [6, 5, 4, 0, 0],
    ]);
    const full = m.forward(after).logits;
    let state = m.initialState(2);
    for (let t = 0; t < 3; t++) state = m.step(Int32Array.from([x.ids[t], x.ids[7 + t]]), state).state;
    state = m.selectRows(state, Int32Array.from([1, 0, 1]));
    for (let t = 3; t < 5; t++) {
      const out = m.step(Int32Array.from([after.ids[t], after.ids[5 + t], after.ids[10 + t]]), state);
      state = out.state;
      assertClose(out.logProbs, logSoftmax(at(full, t), -1), TOL, TOL, `log-probabilities at ${t}`);
    }
  });

  it('past blockSize, step() recomputes the last blockSize tokens as nanoGPT crops', () => {
    const m = model();
    const long = [1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4];
    let state = m.initialState(1);
    for (let t = 0; t < long.length; t++) {
      const out = m.step(Int32Array.from([long[t]]), state);
      state = out.state;
      const start = Math.max(0, t + 1 - 8);
      const window = m.forward(ids([long.slice(start, t + 1)])).logits;
      assertClose(out.logProbs, logSoftmax(at(window, t - start), -1), TOL, TOL, `step ${t}`);
      assert.equal(state.caches === null, t + 1 >= 8);
    }
  });

  it('generate: the cached and the recomputing paths sample the same tokens', () => {
    const m = model();
    const prompt = ids([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const opts = { maxTokens: 12, temperature: 0.8, topK: 4 };
    const a = m.generate(prompt, { ...opts, generator: new Generator(5) });
    const b = m.generate(prompt, { ...opts, generator: new Generator(5), cache: false });
    assert.deepEqual(a.shape, [2, 15]);
    assert.deepEqual([...a.ids], [...b.ids]);
    assert.deepEqual([...a.ids.slice(0, 3)], [1, 2, 3]);
    assert.deepEqual([...a.ids.slice(15, 18)], [4, 5, 6]);
    assert.throws(
      () => m.generate(prompt, { maxTokens: 1, temperature: 0 }),
      /temperature must be > 0, got 0/,
    );
    assert.throws(() => m.generate(prompt, { maxTokens: 1, topP: 1.5 }), /topP must be in \(0, 1\]/);
  });

  it('the generic sampling search drives it as a StepDecoder', () => {
    const m = model();
    const hyps = sampleSearch(m, m.initialState(ids([[1, 2]])), 1, {
      bos: 3,
      eos: 0,
      maxLength: 10,
      generator: new Generator(6),
    });
    assert.equal(hyps.length, 1);
    assert.ok(hyps[0].tokens.length >= 1 && hyps[0].tokens.length <= 10);
  });

  it('gradients of the loss and the attention weights (finite differences on js, float64 reference on native)', () => {
    const cfg: GPTConfig = { vocabSize: 5, blockSize: 4, nLayer: 1, nHead: 2, nEmbd: 4 };
    const input = ids([
      [1, 2, 3, 4],
      [0, 4, 1, 2],
    ]);
    const targets = Int32Array.from([2, 3, 4, 0, 4, 1, 2, -1]);
    checkModule(
      backend,
      (init) => new GPT(cfg, init),
      (m) => {
        const out = m.forward(input, { needWeights: true });
        return [m.loss(input, targets), ...(out.attention ?? [])];
      },
      [],
      { moduleSeed: 4 },
    );
  });
});
