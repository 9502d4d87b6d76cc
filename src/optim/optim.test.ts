import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Parameter } from '../nn/parameter.js';
import { fromArray } from '../ops/creation.js';
import { allocate, type DType, Tensor } from '../tensor/tensor.js';
import { describeEachBackend } from '../testing/backends.js';
import { HeedError } from '../util/errors.js';
import { Adam, type AdamOptions, AdamW } from './adam.js';
import { clipGradNorm } from './clip.js';
import type { BaseOptions, Optimizer, ParamGroupInput } from './optimizer.js';
import { SGD, type SGDOptions } from './sgd.js';

interface Stored {
  shape: number[];
  data: number[];
}

type AnyOptions = Partial<SGDOptions & AdamOptions>;

interface StepCase {
  case: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  options: AnyOptions & { lr: number };
  groups: { params: string[]; lrScale: number; options: AnyOptions }[];
  lrs: number[];
  params: Record<string, Stored>;
  grads: Record<string, Stored | null>[];
  expected64: Record<string, number[]>[];
  expected32: Record<string, number[]>[];
  state64: Record<string, Record<string, number[] | number>>;
}

interface ClipCase {
  case: string;
  maxNorm: number;
  normType: number | 'inf';
  grads: Record<string, Stored>;
  totalNorm: number;
  clipped: Record<string, number[]>;
}

const fixture: { torch: string; cases: StepCase[]; clip: ClipCase[] } = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../test/fixtures/optim_steps.json', import.meta.url)), 'utf8'),
);

type AnyOptimizer = Optimizer<BaseOptions>;

function makeOptimizer(c: StepCase, params: Map<string, Parameter>): AnyOptimizer {
  const groups = c.groups.map((g) => ({
    params: g.params.map((n) => params.get(n) ?? fail(`no parameter ${n}`)),
    lrScale: g.lrScale,
    ...g.options,
  }));
  switch (c.optimizer) {
    case 'SGD':
      return new SGD(groups satisfies ParamGroupInput<SGDOptions>[], c.options);
    case 'Adam':
      return new Adam(groups satisfies ParamGroupInput<AdamOptions>[], c.options);
    case 'AdamW':
      return new AdamW(groups satisfies ParamGroupInput<AdamOptions>[], c.options);
  }
}

function fail(message: string): never {
  throw new Error(message);
}

function makeParams(c: StepCase, dtype: DType): Map<string, Parameter> {
  return new Map(
    Object.entries(c.params).map(([n, s]) => {
      const data = allocate(dtype, s.data.length);
      data.set(s.data);
      return [n, new Parameter(data, s.shape)];
    }),
  );
}

function setGrads(params: Map<string, Parameter>, grads: Record<string, Stored | null>): void {
  for (const [n, p] of params) {
    const g = grads[n];
    p.grad = g === null ? null : fromArray(g.data, g.shape, { dtype: p.dtype });
  }
}

/** Largest |got − want| / (atol + rtol·|want|); ≤ 1 passes. */
function closeness(got: ArrayLike<number>, want: readonly number[], atol: number, rtol: number): number {
  assert.equal(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const r = Math.abs(got[i] - want[i]) / (atol + rtol * Math.abs(want[i]));
    if (!(r <= worst)) worst = r;
  }
  return worst;
}

function assertClose(
  got: ArrayLike<number>,
  want: readonly number[],
  atol: number,
  rtol: number,
  what: string,
): void {
  const r = closeness(got, want, atol, rtol);
  assert.ok(r <= 1, `${what}: off by ${r.toFixed(2)}× the tolerance (atol ${atol}, rtol ${rtol})`);
}

/** Runs a fixture case for `steps` steps (from `from`), returning params and optimizer. */
function runCase(c: StepCase, dtype: DType, steps = c.lrs.length) {
  const params = makeParams(c, dtype);
  const opt = makeOptimizer(c, params);
  for (let s = 0; s < steps; s++) {
    opt.lr = c.lrs[s];
    setGrads(params, c.grads[s]);
    opt.step();
  }
  return { params, opt };
}

describeEachBackend('optimizers equal PyTorch 1.13 (test/fixtures/optim_steps.json)', () => {
  assert.ok(fixture.cases.length >= 10);
  for (const c of fixture.cases) {
    it(`${c.case}: every step, float64 to 1e-12 and float32 to 1e-6 relative`, () => {
      for (const [dtype, expected, atol, rtol] of [
        ['float64', c.expected64, 1e-14, 1e-12],
        ['float32', c.expected32, 1e-7, 1e-6],
      ] as const) {
        const params = makeParams(c, dtype);
        const opt = makeOptimizer(c, params);
        c.lrs.forEach((lr, s) => {
          opt.lr = lr;
          setGrads(params, c.grads[s]);
          opt.step();
          for (const [n, p] of params) {
            assertClose(p.data, expected[s][n], atol, rtol, `${c.case} ${dtype} step ${s + 1} param ${n}`);
          }
        });
      }
    });

    it(`${c.case}: state after the last step (step counts and buffers, PyTorch's names)`, () => {
      const { params, opt } = runCase(c, 'float64');
      const names = [...params.keys()];
      const order = opt.params().map((p) => names[[...params.values()].indexOf(p)]);
      const { json, tensors } = opt.stateDict();
      assert.equal(json.state.length, Object.keys(c.state64).length);
      for (const entry of json.state) {
        const want = c.state64[order[entry.param]];
        for (const [key, value] of Object.entries(want)) {
          if (key === 'step') {
            assert.equal(entry.step, value, `${c.case} ${order[entry.param]} step`);
            continue;
          }
          const t = tensors.get(`${entry.param}.${key}`) ?? fail(`no buffer ${entry.param}.${key}`);
          assert.ok(Array.isArray(value));
          assertClose(t.data, value, 1e-14, 1e-12, `${c.case} ${order[entry.param]}.${key}`);
        }
        const extra = entry.buffers.filter((b) => !(b in want));
        assert.deepEqual(extra, [], `${c.case}: buffers PyTorch does not have`);
      }
    });
  }

  it('the no-gradient parameter is skipped and its step count lags (Adam bias correction per parameter)', () => {
    const c = fixture.cases.find((x) => x.case === 'adam') ?? fail('no adam case');
    assert.equal(c.grads[1].c, null);
    const { opt } = runCase(c, 'float64');
    assert.deepEqual(
      opt.stateDict().json.state.map((s) => s.step),
      [4, 4, 3],
    );
  });
});

describeEachBackend('optimizer state', () => {
  const c = fixture.cases.find((x) => x.case === 'adam_l2_amsgrad') ?? fail('no case');
  const s = fixture.cases.find((x) => x.case === 'sgd_groups') ?? fail('no case');

  for (const kase of [c, s]) {
    it(`${kase.case}: save after 2 steps, load into a fresh optimizer, continue: bit-identical`, () => {
      const full = runCase(kase, 'float32');
      const half = runCase(kase, 'float32', 2);
      const saved = half.opt.stateDict();
      // Through JSON and copied buffers, as a checkpoint stores them.
      const json = JSON.parse(JSON.stringify(saved.json));
      const tensors = new Map([...saved.tensors].map(([k, t]) => [k, new Tensor(t.data.slice(), t.shape)]));
      const params = new Map([...half.params].map(([n, p]) => [n, new Parameter(p.data.slice(), p.shape)]));
      const opt = makeOptimizer({ ...kase, options: { ...kase.options, lr: 123 } }, params);
      opt.loadStateDict({ json, tensors });
      for (let step = 2; step < kase.lrs.length; step++) {
        opt.lr = kase.lrs[step];
        setGrads(params, kase.grads[step]);
        opt.step();
      }
      for (const [n, p] of params) assert.deepEqual(p.data, full.params.get(n)?.data, `param ${n}`);
    });
  }

  it('loadStateDict restores hyperparameters and rejects a mismatched state', () => {
    const p = new Parameter(new Float32Array(3), [3]);
    p.grad = fromArray([1, 2, 3], [3]);
    const a = new Adam([p], { lr: 0.5, betas: [0.8, 0.9] });
    a.step();
    const saved = a.stateDict();
    const b = new Adam([new Parameter(new Float32Array(3), [3])]);
    b.loadStateDict(saved);
    assert.equal(b.lr, 0.5);
    assert.deepEqual(b.groups[0].options.betas, [0.8, 0.9]);
    assert.throws(
      () => new SGD([p], { lr: 1 }).loadStateDict(saved),
      /state is for 'adam', this optimizer is 'sgd'/,
    );
    const wrongShape = new Adam([new Parameter(new Float32Array(4), [2, 2])]);
    assert.throws(
      () => wrongShape.loadStateDict(saved, 'ckpt/optimizer.json'),
      (e: Error) => {
        assert.ok(e instanceof HeedError);
        assert.match(e.message, /ckpt\/optimizer\.json/);
        assert.match(e.message, /buffer '0\.exp_avg' has shape \[3\], the parameter has \[2, 2\]/);
        return true;
      },
    );
    const twoGroups = new Adam([{ params: [new Parameter(new Float32Array(3), [3])] }, { params: [] }]);
    assert.throws(() => twoGroups.loadStateDict(saved), /1 parameter groups saved, this optimizer has 2/);
  });

  it('lr sets every group to lr × lrScale; the getter reads the first group', () => {
    const a = new Parameter(new Float32Array(1), [1]);
    const b = new Parameter(new Float32Array(1), [1]);
    const opt = new SGD([{ params: [a] }, { params: [b], lrScale: 0.1 }], { lr: 1 });
    opt.lr = 0.5;
    assert.equal(opt.groups[0].options.lr, 0.5);
    assert.equal(opt.groups[1].options.lr, 0.05);
    assert.equal(opt.lr, 0.5);
  });

  it('zeroGrad clears gradients; parameters without one are left alone by step', () => {
    const p = new Parameter(Float32Array.of(1, 2), [2]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    opt.step();
    assert.deepEqual([...p.data], [1, 2]);
    p.grad = fromArray([1, 1], [2]);
    opt.zeroGrad();
    assert.equal(p.grad, null);
  });

  it('bad hyperparameters are one-line errors naming the option', () => {
    const p = new Parameter(new Float32Array(1), [1]);
    assert.throws(() => new SGD([p], { lr: -1 }), /SGD: options\.lr must be a number >= 0, got -1/);
    assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /Nesterov momentum requires momentum > 0/);
    assert.throws(
      () => new Adam([p], { betas: [0.9, 1] }),
      /Adam: options\.betas\[1\] must be a number >= 0 and < 1, got 1/,
    );
    assert.throws(() => new Adam([{ params: [p] }, { params: [p] }]), /a parameter appears twice/);
    assert.throws(() => new Adam([]), /no parameters to optimize/);
  });
});

describeEachBackend('clipGradNorm equals torch.nn.utils.clip_grad_norm_', () => {
  for (const c of fixture.clip) {
    it(`${c.case} (max ${c.maxNorm}, norm ${c.normType})`, () => {
      for (const dtype of ['float64', 'float32'] as const) {
        const tol = dtype === 'float64' ? 1e-13 : 1e-6;
        const params = Object.entries(c.grads).map(([n, g]) => {
          const p = new Parameter(allocate(dtype, g.data.length), g.shape);
          p.grad = fromArray(g.data, g.shape, { dtype });
          return [n, p] as const;
        });
        const normType = c.normType === 'inf' ? Infinity : c.normType;
        const total = clipGradNorm(
          params.map(([, p]) => p),
          c.maxNorm,
          normType,
        );
        assert.ok(Math.abs(total - c.totalNorm) <= tol * c.totalNorm, `total ${total} vs ${c.totalNorm}`);
        for (const [n, p] of params) {
          assertClose((p.grad ?? fail('grad')).data, c.clipped[n], tol * 0.1, tol, `${c.case} ${dtype} ${n}`);
        }
      }
    });
  }

  it('no gradients: total 0; a NaN gradient: returns NaN and scales nothing', () => {
    const p = new Parameter(new Float32Array(2), [2]);
    assert.equal(clipGradNorm([p], 1), 0);
    p.grad = fromArray([Number.NaN, 5], [2]);
    assert.ok(Number.isNaN(clipGradNorm([p], 1)));
    assert.equal(p.grad.data[1], 5);
    p.grad = fromArray([Number.NaN, 5], [2]);
    assert.ok(Number.isNaN(clipGradNorm([p], 1, Infinity)));
  });
});
