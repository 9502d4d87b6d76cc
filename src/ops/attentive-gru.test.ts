import assert from 'node:assert/strict';
import { it } from 'node:test';
import { withBackend } from '../backend/registry.js';
import { attend } from '../nn/attention/attend.js';
import { gruStep } from '../nn/rnn/steps.js';
import { Mask } from '../tensor/mask.js';
import type { Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { assertClose, checkOp, type OpFn, randomTensor, valueAndGrads } from '../testing/gradcheck.js';
import { ShapeError } from '../util/errors.js';
import { type AttentiveGruInputs, attentiveGru } from './attentive-gru.js';
import { add } from './binary.js';
import { matmul } from './matmul.js';
import { concat, reshape, slice, squeeze, stack, unsqueeze } from './shape.js';
import { tanh } from './unary.js';

/**
 * The fused attentive GRU decoder against the step loop it replaces (Seed001Decoder's: scores,
 * masked softmax, context, c·W_cᵀ added to the input projection, gruStep), forward and backward
 * (float64 on js to 1e-10, float32 on native against the float64 reference); finite-difference
 * gradient checks of every input; a padded source; keys shared with the values; bad shapes.
 */

type Kind = 'dot' | 'additive';

/** The loop, op by op. */
function composed(inp: AttentiveGruInputs): Tensor[] {
  const [, steps] = inp.xProj.shape;
  let s = inp.h0;
  const hs: Tensor[] = [];
  const cs: Tensor[] = [];
  const ws: Tensor[] = [];
  for (let t = 0; t < steps; t++) {
    const q = unsqueeze(s, 1); // [B, 1, H]
    let scores: Tensor;
    if (inp.score.kind === 'additive') {
      const wq = unsqueeze(matmul(q, inp.score.queryWeight, { transB: true }), 2); // [B, 1, 1, A]
      const e = tanh(add(wq, unsqueeze(inp.keys, 1))); // [B, 1, Ts, A]
      scores = squeeze(matmul(e, inp.score.energy, { transB: true }), 3); // [B, 1, Ts]
    } else {
      scores = matmul(q, inp.keys, { transB: true });
    }
    const att = attend(scores, inp.values, inp.mask ?? undefined);
    const c = squeeze(att.context, 1); // [B, Dv]
    const x = add(squeeze(slice(inp.xProj, 1, t, t + 1), 1), matmul(c, inp.weightC, { transB: true }));
    s = gruStep(x, s, inp.weightHh, inp.biasHh);
    hs.push(s);
    cs.push(att.context);
    ws.push(att.weights);
  }
  return [stack(hs, 1), concat(cs, 1), concat(ws, 1)];
}

interface Case {
  kind: Kind;
  batch: number;
  steps: number;
  srcLen: number;
  hidden: number;
  valueDim: number;
  attnDim: number;
  bias: boolean;
  /** Real source lengths (a padded batch), or null for none masked. */
  lengths: number[] | null;
  /** keys and values are one tensor ('dot' with Dv = H). */
  shared: boolean;
}

function inputs(c: Case, seed: number): Tensor[] {
  const width = 3 * c.hidden;
  const k = 1 / Math.sqrt(c.hidden);
  const keyDim = c.kind === 'additive' ? c.attnDim : c.hidden;
  const xs = [
    randomTensor([c.batch, c.steps, width], seed, -1, 1),
    randomTensor([c.batch, c.hidden], seed + 1),
    randomTensor([width, c.hidden], seed + 2, -k, k),
    randomTensor([width, c.valueDim], seed + 3, -k, k),
    randomTensor([c.batch, c.srcLen, keyDim], seed + 4),
  ];
  if (!c.shared) xs.push(randomTensor([c.batch, c.srcLen, c.valueDim], seed + 5));
  if (c.bias) xs.push(randomTensor([width], seed + 6, -k, k));
  if (c.kind === 'additive')
    xs.push(randomTensor([c.attnDim, c.hidden], seed + 7), randomTensor([1, c.attnDim], seed + 8));
  return xs;
}

function maskOf(c: Case): Mask | null {
  if (c.lengths === null) return null;
  const lengths = c.lengths;
  return new Mask(
    Uint8Array.from({ length: c.batch * c.srcLen }, (_, i) =>
      i % c.srcLen < lengths[Math.floor(i / c.srcLen)] ? 1 : 0,
    ),
    [c.batch, 1, c.srcLen],
  );
}

/** The op (or its reference) as an OpFn over the inputs above, outputs joined. */
function opFn(c: Case, run: (inp: AttentiveGruInputs) => Tensor[]): OpFn {
  const mask = maskOf(c);
  return (...xs) => {
    const [xProj, h0, weightHh, weightC, keys, ...rest] = xs;
    const values = c.shared ? keys : (rest.shift() as Tensor);
    const biasHh = c.bias ? (rest.shift() as Tensor) : null;
    const score: AttentiveGruInputs['score'] =
      c.kind === 'additive' ? { kind: 'additive', queryWeight: rest[0], energy: rest[1] } : { kind: 'dot' };
    const outs = run({ xProj, h0, weightHh, biasHh, weightC, keys, values, mask, score });
    return concat(
      outs.map((t) => reshape(t, [-1])),
      0,
    );
  };
}

const fused = (inp: AttentiveGruInputs): Tensor[] => {
  const r = attentiveGru(inp);
  return [r.hidden, r.context, r.weights];
};

const base: Case = {
  kind: 'additive',
  batch: 3,
  steps: 4,
  srcLen: 5,
  hidden: 3,
  valueDim: 4,
  attnDim: 2,
  bias: true,
  lengths: [5, 2, 1],
  shared: false,
};

const cases: readonly Case[] = [
  base,
  { ...base, bias: false, lengths: null },
  { ...base, batch: 1, steps: 1, srcLen: 1, lengths: null },
  { ...base, kind: 'dot', valueDim: 3 },
  { ...base, kind: 'dot', valueDim: 3, shared: true, lengths: [3, 5, 4] },
  { ...base, kind: 'dot', valueDim: 6, bias: false },
  { ...base, batch: 17, steps: 6, srcLen: 9, hidden: 20, valueDim: 40, attnDim: 24, lengths: null },
  {
    ...base,
    kind: 'dot',
    batch: 5,
    steps: 7,
    srcLen: 19,
    hidden: 33,
    valueDim: 33,
    shared: true,
    lengths: [19, 1, 7, 18, 19],
  },
];

const label = (c: Case): string =>
  `${c.kind} B=${c.batch} Tt=${c.steps} Ts=${c.srcLen} H=${c.hidden} Dv=${c.valueDim}${c.bias ? ' b_hh' : ''}${c.lengths ? ' padded' : ''}${c.shared ? ' shared' : ''}`;

describeEachBackend('attentiveGru', (backend) => {
  const native = backend === 'native';
  for (const [i, c] of cases.entries()) {
    it(`${label(c)}: equals the step loop forward and backward`, () => {
      const xs = inputs(c, 100 * i + 1);
      const ref = withBackend('js', () => valueAndGrads(opFn(c, composed), xs, 'float64'));
      const got = valueAndGrads(opFn(c, fused), xs, native ? 'float32' : 'float64');
      const [atol, rtol] = native ? [1e-5, 1e-4] : [1e-10, 1e-10];
      assertClose(got.out, ref.out, atol, rtol, 'outputs');
      ref.grads.forEach((r, j) => {
        const g = got.grads[j];
        assert.ok(g !== null && r !== null, `gradient ${j} present`);
        assertClose(g, r, atol, rtol, `gradient of input ${j}`);
      });
    });
  }

  for (const c of cases.slice(0, 6)) {
    it(`${label(c)}: finite-difference gradients`, () => {
      checkOp(backend, opFn(c, fused), inputs(c, 7));
    });
  }

  it('only the outputs that reach the loss send gradients back', () => {
    const xs = inputs(base, 3);
    for (const k of [0, 1, 2]) {
      const pick = (inp: AttentiveGruInputs): Tensor[] => [fused(inp)[k]];
      const ref = withBackend('js', () =>
        valueAndGrads(
          opFn(base, (inp) => [composed(inp)[k]]),
          xs,
          'float64',
        ),
      );
      const got = valueAndGrads(opFn(base, pick), xs, native ? 'float32' : 'float64');
      ref.grads.forEach((r, j) => {
        const g = got.grads[j];
        assert.ok(g !== null && r !== null, `output ${k}: gradient ${j} present`);
        assertClose(g, r, native ? 1e-5 : 1e-10, native ? 1e-4 : 1e-10, `output ${k}: gradient ${j}`);
      });
    }
  });

  it('names the input whose shape is wrong', () => {
    const [xProj, h0, weightHh, weightC, keys, values, biasHh, queryWeight, energy] = inputs(base, 5);
    const good: AttentiveGruInputs = {
      xProj,
      h0,
      weightHh,
      biasHh,
      weightC,
      keys,
      values,
      mask: maskOf(base),
      score: { kind: 'additive', queryWeight, energy },
    };
    assert.throws(
      () => attentiveGru({ ...good, weightC: weightHh }),
      (e: Error) =>
        e instanceof ShapeError && /weightC has shape \[9, 3\], expected \[9, 4\]/.test(e.message),
    );
    assert.throws(
      () => attentiveGru({ ...good, keys: values }),
      /keys has shape \[3, 5, 4\], expected \[3, 5, 2\]/,
    );
    assert.throws(
      () => attentiveGru({ ...good, score: { kind: 'dot' } }),
      /keys has shape \[3, 5, 2\], expected \[3, 5, 3\]/,
    );
    assert.throws(
      () => attentiveGru({ ...good, xProj: h0 }),
      /xProj has shape \[3, 3\], expected \[B, Tt, 3H\]/,
    );
    assert.throws(
      () => attentiveGru({ ...good, mask: new Mask(new Uint8Array(4), [1, 1, 4]) }),
      /mask has shape \[1, 1, 4\]/,
    );
  });
});
