import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Parameter } from '../nn/parameter.js';
import { fromArray } from '../ops/creation.js';
import {
  constantSchedule,
  LRScheduler,
  linearWarmupDecay,
  noamSchedule,
  type Schedule,
  warmupCosine,
} from './schedules.js';
import { SGD } from './sgd.js';

function close(got: number, want: number, what: string): void {
  assert.ok(Math.abs(got - want) <= 1e-15 + 1e-12 * Math.abs(want), `${what}: ${got} vs ${want}`);
}

function expectValues(s: Schedule, table: readonly [number, number][], name: string): void {
  for (const [t, want] of table) close(s(t), want, `${name}(${t})`);
}

describe('learning-rate schedules (values by hand)', () => {
  it('constant', () => {
    expectValues(
      constantSchedule(0.3),
      [
        [1, 0.3],
        [1000, 0.3],
      ],
      'constant',
    );
  });

  it('linear warm-up then linear decay: lr 1e-3, warmup 4, total 10, minLr 1e-4', () => {
    // Warm-up: 1e-3·t/4. Decay: 1e-4 + 9e-4·(10 − t)/6.
    expectValues(
      linearWarmupDecay({ lr: 1e-3, warmup: 4, total: 10, minLr: 1e-4 }),
      [
        [1, 2.5e-4],
        [2, 5e-4],
        [4, 1e-3],
        [5, 1e-4 + 9e-4 * (5 / 6)], // 8.5e-4
        [7, 5.5e-4],
        [10, 1e-4],
        [50, 1e-4],
      ],
      'linear',
    );
    // No warm-up and minLr 0: 1, 2/3, 1/3, 0 over total 3.
    expectValues(
      linearWarmupDecay({ lr: 1, warmup: 0, total: 3 }),
      [
        [1, 2 / 3],
        [2, 1 / 3],
        [3, 0],
      ],
      'linear',
    );
  });

  it('warm-up then cosine: lr 1, warmup 2, total 6, minLr 0.1', () => {
    // progress p = (t − 2)/4; lr = 0.1 + 0.45·(1 + cos πp).
    expectValues(
      warmupCosine({ lr: 1, warmup: 2, total: 6, minLr: 0.1 }),
      [
        [1, 0.5],
        [2, 1],
        [3, 0.1 + 0.45 * (1 + Math.SQRT1_2)], // p = 1/4: cos = √½ → 0.8681980515
        [4, 0.55], // p = 1/2: cos = 0
        [5, 0.1 + 0.45 * (1 - Math.SQRT1_2)], // 0.2318019485
        [6, 0.1],
        [9, 0.1],
      ],
      'cosine',
    );
    close(
      warmupCosine({ lr: 1, warmup: 2, total: 6, minLr: 0.1 })(3),
      0.8681980515339464,
      'cosine(3) numeric',
    );
  });

  it('Noam: factor·d^−0.5·min(t^−0.5, t·warmup^−1.5), d_model 512, warmup 4000, factor 2', () => {
    const s = noamSchedule({ dModel: 512, warmup: 4000, factor: 2 });
    // 2/√512 = 0.08838834764831845; 4000^−1.5 = 3.952847075210474e-6.
    expectValues(
      s,
      [
        [1, 0.08838834764831845 * 3.952847075210474e-6],
        [1000, 0.08838834764831845 * 1000 * 3.952847075210474e-6],
        [4000, 0.08838834764831845 / Math.sqrt(4000)], // the peak, 1.397542485937369e-3
        [16000, 0.08838834764831845 / 126.49110640673517],
      ],
      'noam',
    );
    close(s(4000), 1.397542485937369e-3, 'noam peak');
    assert.ok(s(3999) < s(4000) && s(4001) < s(4000));
  });

  it('invalid arguments are one-line errors', () => {
    assert.throws(
      () => linearWarmupDecay({ lr: 1, warmup: 5, total: 5 }),
      /total must be an integer > warmup \(5\), got 5/,
    );
    assert.throws(
      () => warmupCosine({ lr: -1, warmup: 0, total: 5 }),
      /cosine schedule: lr must be a number >= 0/,
    );
    assert.throws(
      () => noamSchedule({ dModel: 512, warmup: 0 }),
      /noam schedule: warmup must be an integer >= 1/,
    );
    assert.throws(() => constantSchedule(1)(0), /step must be an integer >= 1, got 0/);
  });
});

describe('LRScheduler', () => {
  it('sets schedule(1) at once and schedule(k + 1) after k steps; state round-trips', () => {
    const p = new Parameter(Float32Array.of(0), [1]);
    const opt = new SGD([p], { lr: 99 });
    const sched = new LRScheduler(opt, linearWarmupDecay({ lr: 1, warmup: 2, total: 4 }));
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      seen.push(opt.lr);
      p.grad = fromArray([1], [1]);
      opt.step();
      sched.step();
    }
    assert.deepEqual(seen, [0.5, 1, 0.5, 0, 0]);
    // Each update used the lr that was set before it: p = −(0.5 + 1 + 0.5 + 0 + 0).
    assert.equal(p.data[0], -2);
    const again = new LRScheduler(new SGD([p], { lr: 1 }), linearWarmupDecay({ lr: 1, warmup: 2, total: 4 }));
    again.loadStateDict({ stepCount: 2 });
    assert.equal(again.lr, 0.5);
    assert.equal(again.optimizer.lr, 0.5);
  });
});
