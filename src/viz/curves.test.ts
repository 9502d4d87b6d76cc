import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { curvesSvg, metricQuantity } from './curves.js';
import { linearAxis, logAxis } from './ticks.js';
import { findAll, parseXml, textContent, type XmlElement } from './xml-check.js';

describe('ticks', () => {
  it('puts linear ticks at 1, 2 or 5 × 10^k covering the data', () => {
    const a = linearAxis(0.13, 0.87);
    assert.deepEqual(a.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(a.domain, [0, 1]);
    assert.deepEqual(a.ticks.map(a.format), ['0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    const b = linearAxis(1, 2000, 8);
    assert.deepEqual(b.ticks, [0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000]);
    // 0.1-steps land on exact decimals, not 0.30000000000000004.
    assert.deepEqual(linearAxis(0.05, 0.95, 9).ticks, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  });

  it('labels large steps with k and tiny ones with exponents', () => {
    const big = linearAxis(0, 100000, 5);
    assert.deepEqual(big.ticks.map(big.format), ['0', '20k', '40k', '60k', '80k', '100k']);
    const tiny = linearAxis(1e-6, 9e-6, 4);
    assert.equal(tiny.format(tiny.ticks[1]!), '2e-6');
  });

  it('widens a single value so that it can be drawn', () => {
    const a = linearAxis(3, 3);
    assert.ok(a.domain[0] < 3 && a.domain[1] > 3);
  });

  it('puts log ticks at powers of ten, with 2 and 5 between them over short ranges', () => {
    assert.deepEqual(logAxis(1.8, 7).ticks, [1, 2, 5, 10]);
    const lr = logAxis(2e-6, 5e-4);
    assert.deepEqual(lr.ticks, [1e-6, 1e-5, 1e-4, 1e-3]);
    assert.deepEqual(lr.ticks.map(lr.format), ['1e-6', '1e-5', '1e-4', '1e-3']);
  });
});

describe('metricQuantity', () => {
  it('groups a metric with its validation and evaluation versions', () => {
    for (const m of [
      'loss',
      'valid_loss',
      'val_loss',
      'eval/loss',
      'eval/valLoss',
      'train_loss',
      'dev-loss',
    ]) {
      assert.equal(metricQuantity(m), 'loss', m);
    }
    assert.equal(metricQuantity('lr'), 'lr');
    assert.equal(metricQuantity('eval/bleu'), 'bleu');
    assert.equal(metricQuantity('gradNorm'), 'gradNorm');
    assert.equal(metricQuantity('val_BLEU'), 'BLEU');
    assert.equal(metricQuantity('validity'), 'validity', 'a prefix must be a whole word');
  });
});

const seriesOf = (root: XmlElement): XmlElement[] => findAll(root, (e) => e.attrs.get('class') === 'series');
const panelsOf = (root: XmlElement): XmlElement[] =>
  findAll(root, (e) => e.name === 'g' && e.attrs.get('class') === 'panel');

describe('curvesSvg', () => {
  const steps = Array.from({ length: 300 }, (_, i) => i + 1);
  const loss = steps.map((s): [number, number] => [s, 5 * Math.exp(-s / 100) + 1]);
  const valid = [50, 100, 150, 200, 250, 300].map((s): [number, number] => [s, 5 * Math.exp(-s / 100) + 1.3]);
  const lr = steps.map((s): [number, number] => [s, 3e-4 * Math.min(1, s / 50)]);

  it('draws one line per series, grouped into one panel per key, with a legend', () => {
    const svg = curvesSvg(
      [
        { name: 'loss', points: loss, panel: 'loss' },
        { name: 'valid_loss', points: valid, panel: 'loss' },
        { name: 'lr', points: lr, panel: 'lr' },
      ],
      { title: 'run 1', xLabel: 'step', yLabel: 'value' },
    );
    const root = parseXml(svg);
    const series = seriesOf(root);
    assert.deepEqual(
      series.map((s) => [s.attrs.get('data-name'), s.attrs.get('data-panel'), s.attrs.get('data-points')]),
      [
        ['loss', 'loss', '300'],
        ['valid_loss', 'loss', '6'],
        ['lr', 'lr', '300'],
      ],
    );
    assert.deepEqual(
      panelsOf(root).map((p) => p.attrs.get('data-panel')),
      ['loss', 'lr'],
    );
    for (const s of series) assert.equal(s.children.filter((e) => e.name === 'polyline').length, 1);
    // Sparse series (evaluations) get point markers; dense ones do not.
    assert.equal(series[1]!.children.filter((e) => e.name === 'circle').length, 6);
    assert.equal(series[0]!.children.filter((e) => e.name === 'circle').length, 0);
    const text = textContent(root);
    for (const s of ['run 1', 'step', 'valid_loss', '300']) assert.ok(text.includes(s), s);
    // Both panels share the x axis: the same tick labels.
    const xTicks = findAll(root, (e) => e.attrs.get('class') === 'x-ticks').map((g) =>
      g.children.map((t) => t.text).join(','),
    );
    assert.equal(xTicks.length, 2);
    assert.equal(xTicks[0], xTicks[1]);
    assert.equal(xTicks[0], '0,50,100,150,200,250,300');
  });

  it('puts series without a panel key on one axis labelled yLabel', () => {
    const root = parseXml(
      curvesSvg(
        [
          { name: 'a', points: loss },
          { name: 'b', points: valid },
        ],
        { xLabel: 'step', yLabel: 'loss' },
      ),
    );
    assert.equal(panelsOf(root).length, 1);
    assert.equal(findAll(root, (e) => e.attrs.get('class') === 'y-label')[0]!.text, 'loss');
  });

  it('leaves out non-positive points on a log axis, and keeps spikes when thinning long series', () => {
    const withZero: [number, number][] = [[0, 0], ...lr];
    const root = parseXml(
      curvesSvg([{ name: 'lr', points: withZero }], { xLabel: 'step', yLabel: 'lr', logY: true }),
    );
    assert.equal(seriesOf(root)[0]!.attrs.get('data-points'), '300');
    assert.equal(findAll(root, (e) => e.attrs.get('class') === 'y-label')[0]!.text, 'lr (log scale)');

    const n = 20000;
    const noisy = Array.from({ length: n }, (_, i): [number, number] => [i, i === 12345 ? 100 : 1]);
    const thin = parseXml(
      curvesSvg([{ name: 'loss', points: noisy }], { xLabel: 'step', yLabel: 'loss', width: 400 }),
    );
    const line = findAll(thin, (e) => e.name === 'polyline')[0]!
      .attrs.get('points')!
      .split(' ');
    assert.ok(line.length <= 4 * 400 + 4, `${line.length} points drawn`);
    const ys = line.map((p) => Number(p.split(',')[1]));
    assert.ok(Math.min(...ys) < Math.max(...ys) - 100, 'the spike is still drawn');
  });

  it('rejects an empty chart', () => {
    assert.throws(
      () => curvesSvg([], { xLabel: 'x', yLabel: 'y' }),
      (e: unknown) => e instanceof HeedError,
    );
    assert.throws(
      () => curvesSvg([{ name: 'a', points: [] }], { xLabel: 'x', yLabel: 'y' }),
      /no finite points/,
    );
  });
});
