import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AdamStepParams, Backend, FloatArray, SgdStepParams } from '../backend/backend.js';
import { loadAddon } from '../backend/native/addon.js';
import { backendFor, getBackend } from '../backend/registry.js';
import { describeEachBackend } from '../testing/backends.js';
import { Generator } from '../util/random.js';

/**
 * The optimizer kernels of each backend against the float64 js reference, on random data of odd
 * sizes (every SIMD tail) and sizes that run multi-threaded on native: every option of SGD and
 * Adam/AdamW over several steps, and Σ|x|^p for the norms clipGradNorm takes. The golden
 * PyTorch values are in optim.test.ts; this holds float32 kernels to float32 rounding.
 */

const SIZES = [1, 17, 1031, 100_003];

function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const gen = new Generator(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * gen.uniform());
}

/** |a − b| ≤ atol + rtol·|b| everywhere (NaN only against NaN). */
function assertClose(a: FloatArray, b: FloatArray, what: string, rtol = 2e-6, atol = 1e-6): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(b[i])) {
      assert.ok(Number.isNaN(a[i]), `${what}[${i}]: got ${a[i]}, expected NaN`);
      continue;
    }
    assert.ok(
      Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]),
      `${what}[${i}]: got ${a[i]}, expected ${b[i]}`,
    );
  }
}

/** Float32 state on the backend under test and its float64 twin on js, stepped together. */
function twins(n: number, names: readonly string[], seed: number) {
  const f32 = new Map<string, Float32Array>();
  const f64 = new Map<string, Float64Array>();
  names.forEach((name, k) => {
    // Second moments start non-negative, as they stay.
    const a = name === 'v' || name === 'vMax' ? randomArray(n, seed + k, 0, 0.01) : randomArray(n, seed + k);
    f32.set(name, a);
    f64.set(name, Float64Array.from(a));
  });
  const get = <T>(m: Map<string, T>, k: string): T => {
    const v = m.get(k);
    if (v === undefined) throw new Error(`no ${k}`);
    return v;
  };
  return { f32: (k: string) => get(f32, k), f64: (k: string) => get(f64, k), names };
}

describeEachBackend('optimizer kernels agree with the float64 js reference', (backend) => {
  const be = (): Backend => getBackend();
  const js = backendFor('float64');

  const sgdCases: Omit<SgdStepParams, 'firstStep'>[] = [
    { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false },
    { lr: 0.05, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0.01, maximize: false },
    { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.001, maximize: true },
  ];
  for (const [k, h] of sgdCases.entries()) {
    it(`sgdStep case ${k} (momentum ${h.momentum}, nesterov ${h.nesterov}), 3 steps`, () => {
      for (const n of SIZES) {
        const s = twins(n, ['p', 'buf'], 10 * k + n);
        for (let step = 0; step < 3; step++) {
          const g = randomArray(n, 100 + step);
          const hp = { ...h, firstStep: step === 0 };
          const buf32 = h.momentum === 0 ? null : s.f32('buf');
          const buf64 = h.momentum === 0 ? null : s.f64('buf');
          be().sgdStep(s.f32('p'), g, buf32, hp);
          js.sgdStep(s.f64('p'), Float64Array.from(g), buf64, hp);
        }
        assertClose(s.f32('p'), s.f64('p'), `${backend} sgd p n=${n}`);
        if (h.momentum !== 0) assertClose(s.f32('buf'), s.f64('buf'), `${backend} sgd buf n=${n}`);
      }
    });
  }

  const adamCases: { h: Omit<AdamStepParams, 'step'>; amsgrad: boolean }[] = [
    {
      h: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, maximize: false },
      amsgrad: false,
    },
    {
      h: { lr: 1e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: false, maximize: true },
      amsgrad: true,
    },
    {
      h: { lr: 6e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, decoupled: true, maximize: false },
      amsgrad: false,
    },
    {
      h: {
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.01,
        decoupled: true,
        maximize: true,
      },
      amsgrad: true,
    },
  ];
  for (const [k, { h, amsgrad }] of adamCases.entries()) {
    it(`adamStep case ${k} (${h.decoupled ? 'AdamW' : 'Adam'}, amsgrad ${amsgrad}), 3 steps`, () => {
      for (const n of SIZES) {
        const s = twins(n, ['p', 'm', 'v', 'vMax'], 20 * k + n);
        for (let step = 1; step <= 3; step++) {
          const g = randomArray(n, 200 + step);
          const hp = { ...h, step };
          be().adamStep(s.f32('p'), g, s.f32('m'), s.f32('v'), amsgrad ? s.f32('vMax') : null, hp);
          js.adamStep(
            s.f64('p'),
            Float64Array.from(g),
            s.f64('m'),
            s.f64('v'),
            amsgrad ? s.f64('vMax') : null,
            hp,
          );
        }
        for (const name of s.names) {
          if (name === 'vMax' && !amsgrad) continue;
          assertClose(s.f32(name), s.f64(name), `${backend} adam ${name} n=${n}`);
        }
      }
    });
  }

  it('normPow for p = 1, 2, 3 and Infinity, NaN and ±Infinity included', () => {
    for (const n of [0, ...SIZES]) {
      const x = randomArray(n, 300 + n, -3, 3);
      const x64 = Float64Array.from(x);
      for (const p of [1, 2, 3, Number.POSITIVE_INFINITY]) {
        const got = be().normPow(x, p);
        const want = js.normPow(x64, p);
        assert.ok(Math.abs(got - want) <= 1e-12 * want, `${backend} p=${p} n=${n}: ${got} vs ${want}`);
      }
      if (n < 17) continue;
      for (const special of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const y = x.slice();
        y[n - 3] = special;
        for (const p of [1, 2, Number.POSITIVE_INFINITY]) {
          assert.deepEqual(
            be().normPow(y, p),
            js.normPow(Float64Array.from(y), p),
            `${backend} ${special}, p=${p}`,
          );
        }
      }
    }
  });

  if (backend === 'native') {
    it('the addon checks array lengths and the norm order', () => {
      const ad = loadAddon();
      if (ad instanceof Error) throw ad;
      const p = new Float32Array(8);
      const short = new Float32Array(7);
      assert.throws(
        () => ad.sgdStep(p, short, null, new Float64Array(7)),
        /heed native sgdStep: 'g' needs 8/,
      );
      assert.throws(() => ad.sgdStep(p, p, null, new Float64Array(6)), /'params' needs 7 slots/);
      assert.throws(
        () => ad.adamStep(p, p, p, p, short, new Float64Array(8)),
        /heed native adamStep: 'vMax' needs 8/,
      );
      assert.throws(() => ad.normPow(p, 0), /heed native normPow: p must be > 0/);
    });
  }
});
