import assert from 'node:assert/strict';
import { it, type TestContext } from 'node:test';
import { add, mul } from '../../ops/binary.js';
import { sum } from '../../ops/reduce.js';
import type { DType, Tensor } from '../../tensor/tensor.js';
import { describeEachBackend } from '../../testing/backends.js';
import { entry, type Fixture, loadFixture, storedTensor } from '../../testing/fixtures.js';
import { assertClose } from '../../testing/gradcheck.js';
import type { Module } from '../module.js';
import { GRUCell, LSTMCell, RNNCell } from './cells.js';
import { GRU, LSTM, RNN } from './rnn.js';

/**
 * Golden tests against PyTorch 1.13 (test/fixtures, float64): parameters loaded with
 * loadStateDict, one backward over Σ output ⊙ seed for every output (h_n and c_n included), as
 * the generator did; outputs and every input and parameter gradient compared.
 */

interface Tolerance {
  atol: number;
  rtol: number;
}

const float32Tol: Tolerance = { atol: 1e-5, rtol: 1e-4 };
const float64Tol: Tolerance = { atol: 1e-10, rtol: 1e-8 };

/** Largest |got − want| / |want| over values with |want| ≥ 1e-3, and largest |got − want|. */
function errors(got: Tensor, want: Tensor): { rel: number; abs: number } {
  let rel = 0;
  let abs = 0;
  for (let i = 0; i < want.size; i++) {
    const d = Math.abs(got.data[i] - want.data[i]);
    abs = Math.max(abs, d);
    if (Math.abs(want.data[i]) >= 1e-3) rel = Math.max(rel, d / Math.abs(want.data[i]));
  }
  return { rel, abs };
}

/** Compares named results with the fixture and reports the worst errors as a diagnostic. */
function compareAll(
  t: TestContext,
  fx: Fixture,
  got: Map<string, Tensor | null>,
  section: 'outputs' | 'grads',
  tol: Tolerance,
): void {
  let rel = 0;
  let abs = 0;
  const want = fx[section];
  assert.deepEqual([...got.keys()].sort(), Object.keys(want).sort(), `${fx.case}: ${section} names`);
  for (const [key, value] of got) {
    assert.ok(value !== null, `${fx.case}: no ${key}`);
    const expected = storedTensor(entry(want, key, fx.case), 'float64');
    assertClose(value, expected, tol.atol, tol.rtol, `${fx.case} ${key}`);
    const e = errors(value, expected);
    rel = Math.max(rel, e.rel);
    abs = Math.max(abs, e.abs);
  }
  t.diagnostic(`${section}: max rel err ${rel.toExponential(2)}, max abs err ${abs.toExponential(2)}`);
}

/** Σ output ⊙ seed over every named output: the generator's loss. */
function seededLoss(fx: Fixture, outputs: Map<string, Tensor>, dtype: DType): Tensor {
  let loss: Tensor | null = null;
  for (const [key, out] of outputs) {
    const term = sum(mul(out, storedTensor(entry(fx.seedGrads, key, fx.case), dtype)));
    loss = loss === null ? term : add(loss, term);
  }
  assert.ok(loss !== null);
  return loss;
}

function loadParams(fx: Fixture, m: Module, dtype: DType): void {
  const state = new Map<string, Tensor>();
  for (const [key, s] of Object.entries(fx.params)) state.set(key, storedTensor(s, dtype));
  m.loadStateDict(state);
}

/** Runs a layer or cell fixture: forward, the seeded backward, and every comparison. */
function checkCase(
  t: TestContext,
  name: string,
  dtype: DType,
  tol: Tolerance,
  run: (fx: Fixture, inputs: Map<string, Tensor>) => { module: Module; outputs: Map<string, Tensor> },
): void {
  const fx = loadFixture(name);
  const inputs = new Map<string, Tensor>();
  for (const [key, s] of Object.entries(fx.inputs)) inputs.set(key, storedTensor(s, dtype, true));
  const { module, outputs } = run(fx, inputs);
  compareAll(t, fx, outputs, 'outputs', tol);
  seededLoss(fx, outputs, dtype).backward();
  const grads = new Map<string, Tensor | null>();
  for (const [key, x] of inputs) grads.set(`input:${key}`, x.grad);
  for (const [key, p] of module.namedParameters()) grads.set(`param:${key}`, p.grad);
  compareAll(t, fx, grads, 'grads', tol);
}

function num(fx: Fixture, key: string): number {
  const v = fx.config[key];
  assert.equal(typeof v, 'number', `${fx.case}: config.${key}`);
  return Number(v);
}

function input(inputs: Map<string, Tensor>, key: string): Tensor {
  const x = inputs.get(key);
  assert.ok(x !== undefined, `no input '${key}'`);
  return x;
}

function runLayer(dtype: DType) {
  return (fx: Fixture, inputs: Map<string, Tensor>) => {
    const config = {
      inputSize: num(fx, 'input_size'),
      hiddenSize: num(fx, 'hidden_size'),
      numLayers: num(fx, 'num_layers'),
      bidirectional: fx.config.bidirectional === true,
    };
    assert.equal(fx.config.batch_first, true);
    const lengths = fx.intInputs?.lengths?.data;
    const x = input(inputs, 'input');
    const opts = { lengths, h0: inputs.get('h0'), c0: inputs.get('c0') };
    const outputs = new Map<string, Tensor>();
    let module: Module;
    if (fx.config.module === 'LSTM') {
      const m = new LSTM(config, { dtype });
      loadParams(fx, m, dtype);
      const r = m.forward(x, opts);
      outputs.set('output', r.output).set('h_n', r.hN).set('c_n', r.cN);
      module = m;
    } else {
      const m =
        fx.config.module === 'GRU'
          ? new GRU(config, { dtype })
          : new RNN(
              { ...config, nonlinearity: fx.config.nonlinearity === 'relu' ? 'relu' : 'tanh' },
              { dtype },
            );
      loadParams(fx, m, dtype);
      const r = m.forward(x, { lengths, h0: opts.h0 });
      outputs.set('output', r.output).set('h_n', r.hN);
      module = m;
    }
    return { module, outputs };
  };
}

function runCell(dtype: DType) {
  return (fx: Fixture, inputs: Map<string, Tensor>) => {
    const sizes = [num(fx, 'input_size'), num(fx, 'hidden_size')] as const;
    const x = input(inputs, 'input');
    const h0 = input(inputs, 'h0');
    const outputs = new Map<string, Tensor>();
    let module: Module;
    if (fx.config.module === 'LSTMCell') {
      const m = new LSTMCell(...sizes, {}, { dtype });
      loadParams(fx, m, dtype);
      const r = m.forward(x, h0, input(inputs, 'c0'));
      outputs.set('h1', r.h).set('c1', r.c);
      module = m;
    } else {
      const m =
        fx.config.module === 'GRUCell'
          ? new GRUCell(...sizes, {}, { dtype })
          : new RNNCell(...sizes, {}, { dtype });
      loadParams(fx, m, dtype);
      outputs.set('h1', m.forward(x, h0));
      module = m;
    }
    return { module, outputs };
  };
}

const layerCases = [
  'rnn_tanh_2layer_bidir_lengths',
  'lstm_2layer_bidir_lengths',
  'gru_2layer_bidir_lengths',
  'lstm_1layer_unidir',
];
const cellCases = ['rnncell', 'lstmcell', 'grucell'];

describeEachBackend('recurrent layers and cells match PyTorch', (backend) => {
  for (const name of layerCases) {
    it(`${name} (float32)`, (t) => checkCase(t, name, 'float32', float32Tol, runLayer('float32')));
  }
  for (const name of cellCases) {
    it(`${name} (float32)`, (t) => checkCase(t, name, 'float32', float32Tol, runCell('float32')));
  }
  if (backend === 'js') {
    // float64 runs on js only: it shows the math is PyTorch's to rounding, not just to float32.
    for (const name of layerCases) {
      it(`${name} (float64)`, (t) => checkCase(t, name, 'float64', float64Tol, runLayer('float64')));
    }
    for (const name of cellCases) {
      it(`${name} (float64)`, (t) => checkCase(t, name, 'float64', float64Tol, runCell('float64')));
    }
  }
});
