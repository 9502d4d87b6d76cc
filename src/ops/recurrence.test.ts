import assert from 'node:assert/strict';
import { it } from 'node:test';
import { noGrad } from '../autograd/engine.js';
import { withBackend } from '../backend/registry.js';
import { recurrenceComposed } from '../nn/rnn/steps.js';
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
import { HeedError, ShapeError } from '../util/errors.js';
import { mul } from './binary.js';
import {
  type RecurrenceKind,
  type RecurrenceOptions,
  type RecurrenceResult,
  recurrenceFused,
} from './recurrence.js';
import { sum } from './reduce.js';
import { concat, reshape } from './shape.js';

/**
 * The fused recurrence against the composition it replaces (recurrenceComposed: the input
 * projection, then src/nn/rnn/steps.ts node by node): equal forward and backward (float64 on js
 * to 1e-10; float32 on native against the float64 js reference), finite-difference gradient
 * checks, padding by lengths in both directions, and outputs that get no gradient.
 */

type Run = typeof recurrenceFused;

interface Variant {
  kind: RecurrenceKind;
  options: RecurrenceOptions;
  /** Which outputs reach the loss. */
  pick: (r: RecurrenceResult) => Tensor[];
}

const gates: Readonly<Record<RecurrenceKind, number>> = { rnn: 1, lstm: 4, gru: 3 };
const all = (r: RecurrenceResult): Tensor[] => [r.output, r.h, ...(r.c === null ? [] : [r.c])];

/** The op under test as an OpFn over [x, h0, (c0), W_ih, W_hh, (b_ih, b_hh)], outputs joined. */
function opFn(run: Run, v: Variant, bias: boolean): OpFn {
  return (...xs) => {
    const [x, h0, ...rest] = xs;
    const c0 = v.kind === 'lstm' ? (rest.shift() ?? null) : null;
    const [weightIh, weightHh, biasIh, biasHh] = rest;
    const w = { weightIh, weightHh, biasIh: bias ? biasIh : null, biasHh: bias ? biasHh : null };
    const r = run(v.kind, x, h0, c0, w, v.options);
    return concat(
      v.pick(r).map((t) => reshape(t, [-1])),
      0,
    );
  };
}

/** Random inputs (I = 3); weights scaled like PyTorch's init (U(±1/√H)). */
function inputs(
  kind: RecurrenceKind,
  batch: number,
  steps: number,
  hidden: number,
  bias: boolean,
  seed: number,
) {
  const width = gates[kind] * hidden;
  const k = 1 / Math.sqrt(hidden);
  return [
    randomTensor([batch, steps, 3], seed, -2, 2),
    randomTensor([batch, hidden], seed + 1),
    ...(kind === 'lstm' ? [randomTensor([batch, hidden], seed + 2, -2, 2)] : []),
    randomTensor([width, 3], seed + 3, -1, 1),
    randomTensor([width, hidden], seed + 4, -k, k),
    ...(bias ? [randomTensor([width], seed + 5, -k, k), randomTensor([width], seed + 6, -k, k)] : []),
  ];
}

/** Fused equals composed (see the file comment for the tolerances). */
function assertMatchesComposed(backend: string, v: Variant, bias: boolean, xs: readonly Tensor[]): void {
  const fused = opFn(recurrenceFused, v, bias);
  const composed = opFn(recurrenceComposed, v, bias);
  const native = backend === 'native';
  const ref = withBackend('js', () => valueAndGrads(composed, xs, 'float64'));
  const got = valueAndGrads(fused, xs, native ? 'float32' : 'float64');
  const [atol, rtol] = native ? [1e-5, 1e-4] : [1e-10, 1e-10];
  assertClose(got.out, ref.out, atol, rtol, 'output');
  ref.grads.forEach((r, i) => {
    const g = got.grads[i];
    assert.ok(g !== null && r !== null, `gradient ${i} present`);
    assertClose(g, r, atol, rtol, `gradient of input ${i}`);
  });
  if (native) agreesWithReference(fused, xs);
}

const kinds: readonly { kind: RecurrenceKind; options: RecurrenceOptions }[] = [
  { kind: 'lstm', options: {} },
  { kind: 'gru', options: {} },
  { kind: 'rnn', options: { nonlinearity: 'tanh' } },
  { kind: 'rnn', options: { nonlinearity: 'relu' } },
];

const label = (k: { kind: RecurrenceKind; options: RecurrenceOptions }): string =>
  k.kind === 'rnn' ? `rnn-${k.options.nonlinearity}` : k.kind;

describeEachBackend('recurrenceFused', (backend) => {
  // [batch, steps, hidden]: odd sizes leave partial SIMD vectors; one step; a long sequence.
  const sizes: readonly [number, number, number][] = [
    [1, 1, 1],
    [3, 4, 3],
    [2, 1, 17],
    [5, 9, 8],
    [33, 6, 40],
  ];
  for (const k of kinds) {
    it(`${label(k)}: equals the composed steps forward and backward, both directions, with and without b_hh`, () => {
      for (const [batch, steps, hidden] of sizes) {
        for (const reverse of [false, true]) {
          for (const bias of [true, false]) {
            const v: Variant = { kind: k.kind, options: { ...k.options, reverse }, pick: all };
            const seed = 1000 * batch + 10 * steps + hidden + (bias ? 7 : 0);
            try {
              assertMatchesComposed(backend, v, bias, inputs(k.kind, batch, steps, hidden, bias, seed));
            } catch (e) {
              throw new Error(
                `B=${batch} T=${steps} H=${hidden} reverse=${reverse} bias=${bias}: ${(e as Error).message}`,
              );
            }
          }
        }
      }
    });

    it(`${label(k)}: padded sequences (lengths, some 0 and some full) keep their state past their end`, () => {
      for (const reverse of [false, true]) {
        const v: Variant = {
          kind: k.kind,
          options: { ...k.options, reverse, lengths: [5, 2, 0, 4, 1] },
          pick: all,
        };
        assertMatchesComposed(backend, v, true, inputs(k.kind, 5, 5, 6, true, 31 + (reverse ? 1 : 0)));
      }
    });

    it(`${label(k)}: finite-difference gradients`, () => {
      for (const reverse of [false, true]) {
        const v: Variant = { kind: k.kind, options: { ...k.options, reverse, lengths: [3, 1] }, pick: all };
        checkOp(backend, opFn(recurrenceFused, v, true), inputs(k.kind, 2, 3, 2, true, 41));
      }
      const plain: Variant = { kind: k.kind, options: k.options, pick: all };
      checkOp(backend, opFn(recurrenceFused, plain, false), inputs(k.kind, 3, 2, 3, false, 43));
    });
  }

  it('outputs no gradient reaches count as zero (only the sequence, only h, only c)', () => {
    const picks: [string, (r: RecurrenceResult) => Tensor[]][] = [
      ['output', (r) => [r.output]],
      ['h', (r) => [r.h]],
      ['c', (r) => (r.c === null ? [] : [r.c])],
      ['h and c', (r) => [r.h, ...(r.c === null ? [] : [r.c])]],
    ];
    for (const [what, pick] of picks) {
      for (const kind of ['lstm', 'gru'] as const) {
        if (kind === 'gru' && what.includes('c')) continue;
        try {
          assertMatchesComposed(
            backend,
            { kind, options: { reverse: true }, pick },
            true,
            inputs(kind, 3, 4, 5, true, 51),
          );
        } catch (e) {
          throw new Error(`${kind}, ${what}: ${(e as Error).message}`);
        }
      }
    }
  });

  it('is one node plus one handle per output, and a second backward accumulates the same gradients', () => {
    const xs = inputs('lstm', 3, 4, 5, true, 61).map((t) => t.requireGrad());
    const [x, h0, c0, weightIh, weightHh, biasIh, biasHh] = xs;
    const r = recurrenceFused('lstm', x, h0, c0, { weightIh, weightHh, biasIh, biasHh });
    for (const out of all(r))
      assert.deepEqual(
        out.gradFn?.inputs.map((t) => t.gradFn?.name),
        ['recurrenceFused(lstm)'],
      );
    const loss = sum(
      concat(
        all(r).map((t) => reshape(t, [-1])),
        0,
      ),
    );
    loss.backward();
    const first = xs.map((t) => Float64Array.from(t.grad?.data ?? []));
    loss.backward();
    xs.forEach((t, i) => {
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

  it('inputs that need no gradient get none; the others are unchanged', () => {
    for (const kind of ['lstm', 'gru'] as const) {
      const xs = inputs(kind, 3, 4, 5, true, 66);
      const v: Variant = { kind, options: {}, pick: all };
      const full = valueAndGrads(opFn(recurrenceFused, v, true), xs, 'float64');
      // x, b_ih and b_hh as constants: the same gradients for the rest.
      const constant = new Set([0, xs.length - 2, xs.length - 1]);
      const leaves = xs.map((t, i) => (constant.has(i) ? t : t.detach().requireGrad()));
      sum(mul(opFn(recurrenceFused, v, true)(...leaves), full.w)).backward();
      leaves.forEach((t, i) => {
        if (constant.has(i)) {
          assert.equal(t.grad, null);
          return;
        }
        const want = full.grads[i];
        assert.ok(t.grad !== null && want !== null);
        assertClose(t.grad, want, 1e-12, 1e-12, `${kind}: gradient ${i}`);
      });
    }
  });

  it('records nothing without grad mode', () => {
    const [x, h0, weightIh, weightHh] = inputs('gru', 2, 3, 4, false, 71).map((t) => t.requireGrad());
    const w = { weightIh, weightHh, biasIh: null, biasHh: null };
    const r = noGrad(() => recurrenceFused('gru', x, h0, null, w));
    assert.equal(r.output.gradFn, null);
    assert.equal(r.h.requiresGrad, false);
    assert.equal(r.c, null);
  });

  it('wrong shapes and options are errors naming the op', () => {
    const [x, h0, c0, weightIh, weightHh] = inputs('lstm', 2, 3, 4, false, 81);
    const w = { weightIh, weightHh, biasIh: null, biasHh: null };
    assert.throws(
      () => recurrenceFused('lstm', reshape(x, [3, 2, 3]), h0, c0, w),
      (e: unknown) =>
        e instanceof ShapeError &&
        e.message === 'recurrenceFused(lstm): x has shape [3, 2, 3], expected [2, 2, 3] (h0 is [2, 4])',
    );
    assert.throws(
      () => recurrenceFused('gru', x, h0, null, w),
      (e: unknown) =>
        e instanceof ShapeError &&
        /^recurrenceFused\(gru\): weightIh has shape \[16, 3\], expected \[12, 3\]/.test(e.message),
    );
    assert.throws(() => recurrenceFused('lstm', x, h0, null, w), HeedError);
    assert.throws(
      () => recurrenceFused('lstm', x, h0, c0, w, { lengths: [3, 4] }),
      /lengths\[1\] = 4 is not an integer in \[0, 3\]/,
    );
  });
});
