import assert from 'node:assert/strict';
import { it } from 'node:test';
import { add, mul } from '../../ops/binary.js';
import { fromArray } from '../../ops/creation.js';
import { sum } from '../../ops/reduce.js';
import { concat, reshape, slice } from '../../ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { assertClose, checkOp, randomTensor } from '../../testing/gradcheck.js';
import { HeedError, ShapeError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { GRUCell, LSTMCell, RNNCell } from './cells.js';
import { type CellKind, type DirectionWeights, gateCount, runRecurrent } from './recurrent.js';
import { GRU, LSTM, RNN } from './rnn.js';

type Layer = RNN | LSTM | GRU;
type Variant = 'rnn-tanh' | 'rnn-relu' | 'lstm' | 'gru';
const variants: readonly Variant[] = ['rnn-tanh', 'rnn-relu', 'lstm', 'gru'];

interface Shape {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  bidirectional?: boolean;
}

function makeLayer(v: Variant, shape: Shape, seed: number): Layer {
  const init = { generator: new Generator(seed) };
  if (v === 'lstm') return new LSTM(shape, init);
  if (v === 'gru') return new GRU(shape, init);
  return new RNN({ ...shape, nonlinearity: v === 'rnn-relu' ? 'relu' : 'tanh' }, init);
}

/** A forward pass with the same options for every kind; cN is null except for an LSTM. */
function forward(
  m: Layer,
  x: Tensor,
  opts: { lengths?: number[]; h0?: Tensor; c0?: Tensor } = {},
): { output: Tensor; hN: Tensor; cN: Tensor | null } {
  if (m instanceof LSTM) return m.forward(x, opts);
  const r = m.forward(x, { lengths: opts.lengths, h0: opts.h0 });
  return { ...r, cN: null };
}

function f32(x: Tensor, requiresGrad = false): Tensor {
  return fromArray(x.data, x.shape, { requiresGrad });
}

/** x[b, t0:t1] keeping both axes: [1, t1 − t0, ...]. */
function window(x: Tensor, b: number, t0: number, t1: number): Tensor {
  return slice(slice(x, 0, b, b + 1), 1, t0, t1);
}

describeEachBackend('RNN, LSTM, GRU layers', (backend) => {
  it('parameter names and shapes are PyTorch’s', () => {
    const m = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
    const names = m.namedParameters().map(([k, p]) => `${k} [${p.shape.join(', ')}]`);
    const expected: string[] = [];
    for (const l of [0, 1]) {
      for (const sfx of ['', '_reverse']) {
        const inSize = l === 0 ? 3 : 8;
        expected.push(
          `weight_ih_l${l}${sfx} [16, ${inSize}]`,
          `weight_hh_l${l}${sfx} [16, 4]`,
          `bias_ih_l${l}${sfx} [16]`,
          `bias_hh_l${l}${sfx} [16]`,
        );
      }
    }
    assert.deepEqual(names, expected);
    const noBias = new GRU({ inputSize: 2, hiddenSize: 3, bias: false });
    assert.deepEqual(
      noBias.namedParameters().map(([k]) => k),
      ['weight_ih_l0', 'weight_hh_l0'],
    );
    // Initialised U(±1/√H).
    for (const p of m.parameters()) assert.ok(p.data.every((v) => Math.abs(v) <= 0.5));
  });

  for (const v of variants) {
    it(`${v}: each direction equals its cell unrolled (forward, and reverse over reversed time)`, () => {
      const [B, T, I, H] = [2, 4, 3, 5];
      const m = makeLayer(v, { inputSize: I, hiddenSize: H, bidirectional: true }, 11);
      const x = f32(randomTensor([B, T, I], 12));
      const h0 = f32(randomTensor([2, B, H], 13));
      const c0 = f32(randomTensor([2, B, H], 14));
      const r = forward(m, x, { h0, c0 });
      const state = m.stateDict();
      for (const [d, sfx] of [
        [0, ''],
        [1, '_reverse'],
      ] as const) {
        const cellState = new Map<string, Tensor>();
        for (const k of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']) {
          const t = state.get(`${k}_l0${sfx}`);
          assert.ok(t !== undefined);
          cellState.set(k, t);
        }
        let h = reshape(slice(h0, 0, d, d + 1), [B, H]);
        let c = reshape(slice(c0, 0, d, d + 1), [B, H]);
        for (let s = 0; s < T; s++) {
          const t = d === 0 ? s : T - 1 - s;
          const xt = reshape(slice(x, 1, t, t + 1), [B, I]);
          if (v === 'lstm') {
            const cell = new LSTMCell(I, H);
            cell.loadStateDict(cellState);
            ({ h, c } = cell.forward(xt, h, c));
          } else {
            const cell =
              v === 'gru'
                ? new GRUCell(I, H)
                : new RNNCell(I, H, { nonlinearity: v === 'rnn-relu' ? 'relu' : 'tanh' });
            cell.loadStateDict(cellState);
            h = cell.forward(xt, h);
          }
          const out = reshape(slice(slice(r.output, 1, t, t + 1), 2, d * H, (d + 1) * H), [B, H]);
          assertClose(out, h, 1e-6, 1e-5, `output t=${t} direction ${d}`);
        }
        assertClose(reshape(slice(r.hN, 0, d, d + 1), [B, H]), h, 1e-6, 1e-5, `hN direction ${d}`);
        if (r.cN !== null)
          assertClose(reshape(slice(r.cN, 0, d, d + 1), [B, H]), c, 1e-6, 1e-5, `cN direction ${d}`);
      }
    });

    it(`${v}: a padded batch gives each sequence exactly what it gives alone`, () => {
      const [B, T, I, H, L] = [3, 5, 3, 4, 2];
      const lengths = [5, 2, 4];
      const m = makeLayer(v, { inputSize: I, hiddenSize: H, numLayers: L, bidirectional: true }, 21);
      const x = f32(randomTensor([B, T, I], 22), true);
      const h0 = f32(randomTensor([L * 2, B, H], 23));
      const c0 = f32(randomTensor([L * 2, B, H], 24));
      const r = forward(m, x, { lengths, h0, c0 });
      assert.deepEqual([...r.output.shape], [B, T, 2 * H]);
      for (let b = 0; b < B; b++) {
        const n = lengths[b];
        const alone = forward(m, window(x, b, 0, n), {
          h0: slice(h0, 1, b, b + 1),
          c0: slice(c0, 1, b, b + 1),
        });
        assertClose(window(r.output, b, 0, n), alone.output, 1e-6, 1e-5, `output of sequence ${b}`);
        assertClose(slice(r.hN, 1, b, b + 1), alone.hN, 1e-6, 1e-5, `hN of sequence ${b}`);
        if (r.cN !== null && alone.cN !== null) {
          assertClose(slice(r.cN, 1, b, b + 1), alone.cN, 1e-6, 1e-5, `cN of sequence ${b}`);
        }
        const past = window(r.output, b, n, T);
        assert.ok(
          past.data.every((value) => value === 0),
          `output past length of sequence ${b} is exactly 0`,
        );
      }
      // Padded inputs influence nothing, so their gradient is exactly zero.
      const w = f32(randomTensor([B, T, 2 * H], 25));
      sum(add(sum(mul(r.output, w)), sum(r.hN))).backward();
      const gx = x.grad;
      assert.ok(gx !== null);
      for (let b = 0; b < B; b++) {
        const pad = window(gx, b, lengths[b], T);
        assert.ok(
          pad.data.every((value) => value === 0),
          `gradient of padded input of sequence ${b}`,
        );
        if (lengths[b] > 0) assert.ok(window(gx, b, 0, lengths[b]).data.some((value) => value !== 0));
      }
    });
  }

  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    it(`${kind}: finite-difference gradients of a tiny bidirectional layer with lengths`, () => {
      checkOp(backend, (...xs) => tinyLayer(kind, xs), tinyInputs(kind, 31));
    });
  }

  it('lengths that are not integers in [1, T] are a one-line error naming position and value', () => {
    const m = new LSTM({ inputSize: 2, hiddenSize: 3 });
    const x = f32(randomTensor([3, 4, 2], 41));
    const cases: [number[], RegExp][] = [
      [[4, 0, 2], /^LSTM\(2, 3\): lengths\[1\] = 0 is not an integer in \[1, 4\]/],
      [[4, 5, 2], /^LSTM\(2, 3\): lengths\[1\] = 5 is not an integer in \[1, 4\]/],
      [[4, 2, 2.5], /^LSTM\(2, 3\): lengths\[2\] = 2\.5 is not an integer/],
      [[Number.NaN, 2, 2], /^LSTM\(2, 3\): lengths\[0\] = NaN is not an integer/],
      [[4, 2], /^LSTM\(2, 3\): 2 lengths given for a batch of 3$/],
    ];
    for (const [lengths, re] of cases) {
      assert.throws(
        () => m.forward(x, { lengths }),
        (e: unknown) => e instanceof HeedError && re.test(e.message) && !e.message.includes('\n'),
        `lengths ${lengths}`,
      );
    }
  });

  it('a wrong input size or state shape is a ShapeError naming the layer and both shapes', () => {
    const m = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2 });
    const oneLine = (re: RegExp) => (e: unknown) =>
      e instanceof ShapeError && re.test(e.message) && !e.message.includes('\n');
    assert.throws(
      () => m.forward(f32(randomTensor([2, 5, 7], 1))),
      oneLine(/^GRU\(3, 4\): input has shape \[2, 5, 7\], expected \[B, T, 3\]/),
    );
    assert.throws(
      () => m.forward(f32(randomTensor([5, 3], 1))),
      oneLine(/^GRU\(3, 4\): input has shape \[5, 3\], expected \[B, T, 3\]/),
    );
    assert.throws(
      () => m.forward(f32(randomTensor([2, 5, 3], 1)), { h0: f32(randomTensor([1, 2, 4], 2)) }),
      oneLine(/^GRU\(3, 4\): h0 has shape \[1, 2, 4\], expected \[2, 2, 4\]$/),
    );
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4 });
    assert.throws(
      () => lstm.forward(f32(randomTensor([2, 5, 3], 1)), { c0: f32(randomTensor([1, 3, 4], 2)) }),
      oneLine(/^LSTM\(3, 4\): c0 has shape \[1, 3, 4\], expected \[1, 2, 4\]$/),
    );
  });

  it('configs: unknown keys and bad values are errors', () => {
    assert.throws(
      () => new LSTM(JSON.parse('{"inputSize": 2, "hiddenSize": 3, "batchFirst": true}')),
      /^HeedError: LSTM: unknown config key 'batchFirst'; valid keys: inputSize, hiddenSize/,
    );
    assert.throws(
      () => new RNN({ inputSize: 2, hiddenSize: 0 }),
      /RNN: hiddenSize must be a positive integer, got 0/,
    );
    assert.throws(
      () => new GRU({ inputSize: 2, hiddenSize: 3, dropout: 1 }),
      /GRU: dropout must be in \[0, 1\)/,
    );
  });

  it('dropout acts between layers in training mode only', () => {
    const m = new GRU(
      { inputSize: 3, hiddenSize: 8, numLayers: 2, dropout: 0.5 },
      { generator: new Generator(5) },
    );
    const x = f32(randomTensor([2, 4, 3], 51));
    const trained = m.forward(x).output;
    m.eval();
    const a = m.forward(x).output;
    const b = m.forward(x).output;
    assertClose(a, b, 0, 0, 'eval is deterministic');
    assert.ok(
      trained.data.some((value, i) => Math.abs(value - a.data[i]) > 1e-6),
      'training differs from eval',
    );
  });

  it('a 1,000-step sequence backpropagates without a stack overflow', () => {
    const m = new RNN({ inputSize: 2, hiddenSize: 3 }, { generator: new Generator(61) });
    const x = f32(randomTensor([2, 1000, 2], 62), true);
    const { output, hN } = m.forward(x, { lengths: [1000, 999] });
    sum(add(sum(output), sum(hN))).backward();
    assert.ok(x.grad?.data.every(Number.isFinite), 'input gradient is finite');
    for (const [k, p] of m.namedParameters()) assert.ok(p.grad?.data.every(Number.isFinite), `${k} gradient`);
  });
});

/**
 * A tiny bidirectional single-layer recurrence for the gradient check, through the functional
 * core so the weights are the check's own leaves: inputs x [2, 3, 2], h0 [2, 2, 2], (c0), then
 * per direction W_ih, W_hh, b_ih, b_hh. The outputs are joined into one tensor.
 */
function tinyLayer(kind: CellKind, xs: Tensor[]): Tensor {
  const [x, h0, ...rest] = xs;
  const c0 = kind === 'lstm' ? rest.shift() : undefined;
  const weights: DirectionWeights[] = [0, 1].map((d) => ({
    weightIh: rest[4 * d],
    weightHh: rest[4 * d + 1],
    biasIh: rest[4 * d + 2],
    biasHh: rest[4 * d + 3],
  }));
  const r = runRecurrent(
    {
      label: 'tiny',
      kind,
      nonlinearity: 'tanh',
      inputSize: 2,
      hiddenSize: 2,
      weights: [weights],
      dropout: 0,
      training: false,
    },
    x,
    { lengths: [3, 2], h0, c0 },
  );
  const parts = [r.output, r.hN, ...(r.cN === null ? [] : [r.cN])].map((t) => reshape(t, [-1]));
  return concat(parts, 0);
}

function tinyInputs(kind: CellKind, seed: number): Tensor[] {
  const rows = gateCount[kind] * 2;
  const shapes = [[2, 3, 2], [2, 2, 2], ...(kind === 'lstm' ? [[2, 2, 2]] : [])];
  for (let d = 0; d < 2; d++) shapes.push([rows, 2], [rows, 2], [rows], [rows]);
  return shapes.map((s, i) => randomTensor(s, seed + i));
}
