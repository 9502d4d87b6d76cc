import assert from 'node:assert/strict';
import { it } from 'node:test';
import { noGrad } from '../autograd/engine.js';
import { withBackend } from '../backend/registry.js';
import { setFusedRnnSteps } from '../nn/rnn/fused.js';
import { type CellKind, type DirectionWeights, gateCount, runRecurrent } from '../nn/rnn/recurrent.js';
import { gruStep, lstmStep, rnnStep } from '../nn/rnn/steps.js';
import type { Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import {
  agreesWithReference,
  assertClose,
  checkOp,
  type OpFn,
  randomTensor,
  valueAndGrads,
} from '../testing/gradcheck.js';
import { ShapeError } from '../util/errors.js';
import { sum } from './reduce.js';
import { gruCellFused, lstmCellFused, rnnCellFused } from './rnn-step.js';
import { concat, reshape } from './shape.js';

/**
 * The fused step ops against the composed reference steps they replace (src/nn/rnn/steps.ts):
 * equal forward and backward (float64 on js to 1e-10; float32 on native against the float64 js
 * reference), finite-difference gradient checks, and whole layers run both ways.
 */

/** A step under test: the fused op and its composed reference as OpFns over the same inputs. */
interface StepCase {
  name: string;
  gates: number;
  /** Whether the inputs include c (LSTM). */
  cell: boolean;
  fused: OpFn;
  composed: OpFn;
  /** Run at the small sizes only (variants that exercise no kernel path the others miss). */
  smallOnly?: boolean;
}

/** Splits OpFn inputs [xProj, h, (c), W_hh, (b_hh)] (bias present when there is one more). */
function parts(xs: Tensor[], cell: boolean) {
  const [xProj, h, ...rest] = xs;
  const c = cell ? rest.shift() : undefined;
  const [weightHh, biasHh] = rest;
  return { xProj, h, c, weightHh, biasHh: biasHh ?? null };
}

function lstmCase(name: string, pick: (r: { h: Tensor; c: Tensor }) => Tensor, smallOnly = false): StepCase {
  const run =
    (step: typeof lstmCellFused): OpFn =>
    (...xs) => {
      const p = parts(xs, true);
      if (p.c === undefined) throw new Error('no c');
      return pick(step(p.xProj, p.h, p.c, p.weightHh, p.biasHh));
    };
  return { name, gates: 4, cell: true, fused: run(lstmCellFused), composed: run(lstmStep), smallOnly };
}

const cases: readonly StepCase[] = [
  lstmCase('lstm (h and c)', (r) => concat([r.h, r.c], 1)),
  // Only one output reaches the loss: the other's gradient is missing, not zero.
  lstmCase('lstm (h only)', (r) => r.h, true),
  lstmCase('lstm (c only)', (r) => r.c, true),
  {
    name: 'gru',
    gates: 3,
    cell: false,
    fused: (...xs) => {
      const p = parts(xs, false);
      return gruCellFused(p.xProj, p.h, p.weightHh, p.biasHh);
    },
    composed: (...xs) => {
      const p = parts(xs, false);
      return gruStep(p.xProj, p.h, p.weightHh, p.biasHh);
    },
  },
  ...(['tanh', 'relu'] as const).map(
    (act): StepCase => ({
      name: `rnn-${act}`,
      gates: 1,
      cell: false,
      fused: (...xs) => {
        const p = parts(xs, false);
        return rnnCellFused(p.xProj, p.h, p.weightHh, p.biasHh, act);
      },
      composed: (...xs) => {
        const p = parts(xs, false);
        return rnnStep(p.xProj, p.h, p.weightHh, p.biasHh, act);
      },
    }),
  ),
];

/** Random step inputs; W_hh is scaled like PyTorch's init (U(±1/√H)) so gates stay in range. */
function stepInputs(c: StepCase, batch: number, hidden: number, bias: boolean, seed: number): Tensor[] {
  const width = c.gates * hidden;
  const k = 1 / Math.sqrt(hidden);
  return [
    randomTensor([batch, width], seed, -2, 2),
    randomTensor([batch, hidden], seed + 1),
    ...(c.cell ? [randomTensor([batch, hidden], seed + 2, -2, 2)] : []),
    randomTensor([width, hidden], seed + 3, -k, k),
    ...(bias ? [randomTensor([width], seed + 4, -k, k)] : []),
  ];
}

/**
 * Fused equals composed: on js both in float64 to 1e-10; on native the float32 fused op against
 * the float64 composed reference on js, and against its own float64 js run.
 */
function assertMatchesComposed(backend: string, c: StepCase, inputs: readonly Tensor[]): void {
  if (backend === 'js') {
    const got = valueAndGrads(c.fused, inputs, 'float64');
    const ref = valueAndGrads(c.composed, inputs, 'float64');
    assertClose(got.out, ref.out, 1e-10, 1e-10, 'output');
    ref.grads.forEach((r, i) => {
      const g = got.grads[i];
      assert.ok(g !== null && r !== null, `gradient ${i} present`);
      assertClose(g, r, 1e-10, 1e-10, `gradient of input ${i}`);
    });
    return;
  }
  const ref = withBackend('js', () => valueAndGrads(c.composed, inputs, 'float64'));
  const got = valueAndGrads(c.fused, inputs, 'float32');
  assert.equal(got.out.dtype, 'float32');
  assertClose(got.out, ref.out, 1e-5, 1e-4, 'output');
  ref.grads.forEach((r, i) => {
    const g = got.grads[i];
    assert.ok(g !== null && r !== null, `gradient ${i} present`);
    assertClose(g, r, 1e-5, 1e-4, `gradient of input ${i}`);
  });
  agreesWithReference(c.fused, inputs);
}

/** Nodes (tensors with a gradFn) reachable from `t`. */
function countNodes(t: Tensor): number {
  const seen = new Set<Tensor>([t]);
  const stack = [t];
  let nodes = 0;
  for (let x = stack.pop(); x !== undefined; x = stack.pop()) {
    if (x.gradFn === null) continue;
    nodes++;
    for (const input of x.gradFn.inputs) {
      if (!seen.has(input)) {
        seen.add(input);
        stack.push(input);
      }
    }
  }
  return nodes;
}

/**
 * A two-layer bidirectional recurrence with ragged lengths through the functional core, its
 * outputs (and final states) joined into one tensor. Inputs: x [3, 4, 3], h0 [4, 3, H], (c0),
 * then per layer and direction W_ih, W_hh, b_ih, b_hh.
 */
function layer(kind: CellKind, hidden: number, xs: Tensor[]): Tensor {
  const [x, h0, ...rest] = xs;
  const c0 = kind === 'lstm' ? rest.shift() : undefined;
  const weights: DirectionWeights[][] = [0, 1].map((l) =>
    [0, 1].map((d) => {
      const k = 4 * (2 * l + d);
      return { weightIh: rest[k], weightHh: rest[k + 1], biasIh: rest[k + 2], biasHh: rest[k + 3] };
    }),
  );
  const r = runRecurrent(
    {
      label: 'layer',
      kind,
      nonlinearity: 'tanh',
      inputSize: 3,
      hiddenSize: hidden,
      weights,
      dropout: 0,
      training: false,
    },
    x,
    { lengths: [4, 2, 3], h0, c0 },
  );
  const outs = [r.output, r.hN, ...(r.cN === null ? [] : [r.cN])].map((t) => reshape(t, [-1]));
  return concat(outs, 0);
}

function layerInputs(kind: CellKind, hidden: number, seed: number): Tensor[] {
  const rows = gateCount[kind] * hidden;
  const k = 1 / Math.sqrt(hidden);
  const shapes: number[][] = [[3, 4, 3], [4, 3, hidden], ...(kind === 'lstm' ? [[4, 3, hidden]] : [])];
  const out = shapes.map((s, i) => randomTensor(s, seed + i));
  for (let l = 0; l < 2; l++) {
    for (let d = 0; d < 2; d++) {
      const inSize = l === 0 ? 3 : 2 * hidden;
      for (const s of [[rows, inSize], [rows, hidden], [rows], [rows]]) {
        out.push(randomTensor(s, seed + out.length, -k, k));
      }
    }
  }
  return out;
}

/** Runs `fn` with the layers on the fused (true) or composed (false) steps. */
function withFused<T>(on: boolean, fn: () => T): T {
  setFusedRnnSteps(on);
  try {
    return fn();
  } finally {
    setFusedRnnSteps(true);
  }
}

describeEachBackend('fused RNN step ops', (backend) => {
  // Odd sizes leave partial SIMD vectors; 1001×33 is past the native kernels' threading
  // thresholds forward and backward, with the thread ranges splitting a row.
  const sizes: readonly [number, number][] = [
    [1, 1],
    [3, 3],
    [1, 17],
    [17, 33],
    [33, 5],
    [40, 128],
    [1001, 33],
  ];
  for (const c of cases) {
    it(`${c.name}: equals the composed step forward and backward, with and without b_hh`, () => {
      for (const [batch, hidden] of c.smallOnly ? sizes.slice(0, 4) : sizes) {
        for (const bias of [true, false]) {
          const seed = 100 * batch + hidden + (bias ? 7 : 0);
          try {
            assertMatchesComposed(backend, c, stepInputs(c, batch, hidden, bias, seed));
          } catch (e) {
            throw new Error(`B=${batch} H=${hidden} bias=${bias}: ${(e as Error).message}`);
          }
        }
      }
    });

    it(`${c.name}: finite-difference gradients`, () => {
      for (const [batch, hidden] of [
        [1, 1],
        [2, 3],
        [3, 2],
      ] as const) {
        checkOp(backend, c.fused, stepInputs(c, batch, hidden, true, 11 * batch + hidden));
      }
      checkOp(backend, c.fused, stepInputs(c, 2, 2, false, 5));
    });
  }

  it('saturated gates (|pre-activation| up to 30) still match the composed step', () => {
    for (const c of cases) {
      const inputs = stepInputs(c, 5, 7, true, 71);
      const wide = [randomTensor(inputs[0].shape, 72, -30, 30), ...inputs.slice(1)];
      assertMatchesComposed(backend, c, wide);
    }
  });

  it('an LSTM step is one node plus two output handles (the composed step records many more)', () => {
    const [xProj, h, c, w, b] = stepInputs(cases[0], 2, 3, true, 81).map((t) => t.requireGrad());
    const fused = lstmCellFused(xProj, h, c, w, b);
    const composed = lstmStep(xProj, h, c, w, b);
    const fusedNodes = countNodes(concat([fused.h, fused.c], 1)) - 1;
    const composedNodes = countNodes(concat([composed.h, composed.c], 1)) - 1;
    assert.equal(fusedNodes, 3);
    assert.ok(composedNodes >= 12, `composed step records ${composedNodes} nodes`);
    const [gx, gh, gw, gb] = stepInputs(cases[3], 2, 3, true, 82).map((t) => t.requireGrad());
    assert.equal(countNodes(gruCellFused(gx, gh, gw, gb)), 1);
  });

  it('a second backward over the same graph accumulates the same gradients again', () => {
    const inputs = stepInputs(cases[0], 3, 4, true, 91).map((t) => t.requireGrad());
    const [xProj, h, c, w, b] = inputs;
    const r = lstmCellFused(xProj, h, c, w, b);
    const loss = sum(concat([r.h, r.c], 1));
    loss.backward();
    const first = inputs.map((t) => Float64Array.from(t.grad?.data ?? []));
    loss.backward();
    inputs.forEach((t, i) => {
      const g = t.grad;
      assert.ok(g !== null);
      for (let j = 0; j < g.size; j++) {
        assert.ok(
          Math.abs(g.data[j] - 2 * first[i][j]) <= 1e-12 * (1 + Math.abs(g.data[j])),
          `input ${i}[${j}]`,
        );
      }
    });
  });

  it('records nothing without grad mode or when no input requires gradients', () => {
    const [xProj, h, c, w, b] = stepInputs(cases[0], 2, 3, true, 95).map((t) => t.requireGrad());
    const r = noGrad(() => lstmCellFused(xProj, h, c, w, b));
    assert.equal(r.h.gradFn, null);
    assert.equal(r.c.requiresGrad, false);
    const plain = stepInputs(cases[3], 2, 3, true, 96);
    assert.equal(gruCellFused(plain[0], plain[1], plain[2], plain[3]).gradFn, null);
  });

  it('wrong shapes are a ShapeError naming the op and the shapes', () => {
    const [xProj, h, c, w, b] = stepInputs(cases[0], 2, 3, true, 97);
    const oneLine = (re: RegExp) => (e: unknown) =>
      e instanceof ShapeError && re.test(e.message) && !e.message.includes('\n');
    assert.throws(
      () => lstmCellFused(reshape(xProj, [4, 6]), h, c, w, b),
      oneLine(/^lstmCellFused: xProj has shape \[4, 6\], expected \[2, 12\] \(h is \[2, 3\]\)$/),
    );
    assert.throws(
      () => gruCellFused(xProj, h, w, b),
      oneLine(/^gruCellFused: xProj has shape \[2, 12\], expected \[2, 9\]/),
    );
    assert.throws(
      () => lstmCellFused(xProj, h, reshape(c, [3, 2]), w, b),
      oneLine(/^lstmCellFused: c has shape \[3, 2\], expected \[2, 3\]/),
    );
    assert.throws(
      () => rnnCellFused(reshape(h, [6]), h, w, b),
      oneLine(/^rnnCellFused: xProj has shape \[6\]/),
    );
  });

  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    it(`${kind}: a two-layer bidirectional layer with lengths is the same on fused and composed steps`, () => {
      for (const hidden of [3, 20]) {
        const inputs = layerInputs(kind, hidden, 200 + hidden);
        const fn: OpFn = (...xs) => layer(kind, hidden, xs);
        const c: StepCase = {
          name: kind,
          gates: gateCount[kind],
          cell: kind === 'lstm',
          fused: (...xs) => withFused(true, () => fn(...xs)),
          composed: (...xs) => withFused(false, () => fn(...xs)),
        };
        assertMatchesComposed(backend, c, inputs);
      }
    });
  }
});
