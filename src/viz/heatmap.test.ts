import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { attentionMatrix, heatmapGridSvg, heatmapSvg } from './heatmap.js';
import { findAll, parseXml, textContent, type XmlElement } from './xml-check.js';

// Seed 003's example: "economic zone area" → "zone économique européenne", where the French
// puts 'zone' before 'économique', so the brightest cells leave the diagonal.
const src = ['economic', 'zone', 'area'];
const tgt = ['zone', 'économique', 'européenne'];
const W = [
  [0.1, 0.8, 0.1],
  [0.85, 0.1, 0.05],
  [0.05, 0.15, 0.8],
];

const cells = (root: XmlElement): XmlElement[] =>
  findAll(root, (e) => e.name === 'rect' && e.attrs.get('class') === 'cell');

const attr = (e: XmlElement, name: string): string => {
  const v = e.attrs.get(name);
  assert.ok(v !== undefined, `<${e.name}> has no ${name}`);
  return v;
};

describe('heatmapSvg', () => {
  it('is well-formed SVG with one cell per weight carrying its row, column and exact weight', () => {
    const weights = [
      [0.1, 0.2, 0.7],
      [1 / 3, 1 / 3, 1 / 3],
      [0, 0.000123, 0.999877],
      [0.25, 0.5, 0.25],
    ];
    const root = parseXml(
      heatmapSvg(weights, { rowLabels: ['a', 'b', 'c', 'd'], colLabels: ['x', 'y', 'z'] }),
    );
    assert.equal(root.name, 'svg');
    assert.equal(root.attrs.get('xmlns'), 'http://www.w3.org/2000/svg');
    const cs = cells(root);
    assert.equal(cs.length, 4 * 3);
    const seen = new Set<string>();
    for (const c of cs) {
      const i = Number(attr(c, 'data-row'));
      const j = Number(attr(c, 'data-col'));
      seen.add(`${i},${j}`);
      assert.equal(Number(attr(c, 'data-weight')), weights[i]![j]);
    }
    assert.equal(seen.size, 12);
  });

  it('gives every cell a tooltip "target → source: weight"', () => {
    const root = parseXml(heatmapSvg(W, { rowLabels: tgt, colLabels: src }));
    const tips = cells(root).map((c) => textContent(c.children.find((e) => e.name === 'title')!));
    assert.ok(tips.includes('zone → zone: 0.8000'));
    assert.ok(tips.includes('économique → economic: 0.8500'));
    assert.ok(tips.includes('européenne → area: 0.8000'));
  });

  it('draws the largest weight brightest and 0 darkest (gray: white and black)', () => {
    const root = parseXml(
      heatmapSvg(
        [
          [0, 0.5],
          [0.2, 1],
        ],
        { rowLabels: ['a', 'b'], colLabels: ['c', 'd'], colorMap: 'gray' },
      ),
    );
    const fill = (w: string): string => attr(cells(root).find((c) => attr(c, 'data-weight') === w)!, 'fill');
    assert.equal(fill('1'), '#ffffff');
    assert.equal(fill('0'), '#000000');
    const viridis = parseXml(heatmapSvg(W, { rowLabels: tgt, colLabels: src }));
    const fills = new Map(cells(viridis).map((c) => [attr(c, 'data-weight'), attr(c, 'fill')]));
    assert.notEqual(fills.get('0.85'), fills.get('0.05'));
    assert.equal(fills.get('0.85'), '#fde725', 'the maximum is the top of viridis');
  });

  it('escapes labels for XML and shows them as given', () => {
    const nasty = ['<b>', 'R&D', '"quoted"', "l'homme"];
    const weights = nasty.map(() => nasty.map(() => 0.25));
    const svg = heatmapSvg(weights, { rowLabels: nasty, colLabels: nasty, title: 'a < b & "c"' });
    assert.ok(!svg.includes('<b>'));
    const root = parseXml(svg);
    const rowTexts = findAll(root, (e) => e.attrs.get('class') === 'row-labels')[0]!.children.map(
      (t) => t.text,
    );
    assert.deepEqual(rowTexts, nasty);
    const tips = cells(root).map((c) => textContent(c.children[0]!));
    assert.ok(tips.includes('R&D → "quoted": 0.2500'));
  });

  it('keeps 60 labels from overlapping and shortens very long ones, whole in their tooltips', () => {
    const n = 60;
    const long = 'internationalisation-of-the-attention-mechanism-in-neural-machine-translation';
    const labels = Array.from({ length: n }, (_, i) => (i === 7 ? long : `tok${i}`));
    const weights = labels.map((_, i) => labels.map((_, j) => (i === j ? 1 : 0)));
    const root = parseXml(heatmapSvg(weights, { rowLabels: labels, colLabels: labels }));
    const cell = Number(attr(cells(root)[0]!, 'width'));
    for (const cls of ['row-labels', 'col-labels']) {
      const group = findAll(root, (e) => e.attrs.get('class') === cls)[0]!;
      const font = Number(attr(group, 'font-size'));
      assert.ok(font >= 9 && font <= cell, `${cls}: font ${font} in ${cell}px cells`);
      assert.equal(group.children.length, n);
      const shown = group.children[7]!;
      assert.ok(shown.text.endsWith('…') && shown.text.length < long.length);
      assert.equal(textContent(shown.children[0]!), long);
    }
    // The figure grows with the tokens rather than squeezing them.
    assert.ok(Number(attr(root, 'width')) >= n * cell);
  });

  it('prints values in the cells when asked, in a colour that reads over the cell', () => {
    const root = parseXml(
      heatmapSvg(W, { rowLabels: tgt, colLabels: src, showValues: true, colorMap: 'gray' }),
    );
    const values = findAll(root, (e) => e.attrs.get('class') === 'values')[0]!.children;
    assert.equal(values.length, 9);
    assert.deepEqual(
      values.map((v) => v.text),
      ['.10', '.80', '.10', '.85', '.10', '.05', '.05', '.15', '.80'],
    );
    assert.equal(values[3]!.attrs.get('fill'), '#000000', 'black on the white maximum');
    assert.equal(values[5]!.attrs.get('fill'), '#ffffff', 'white on a near-black cell');
  });

  it('has a colour bar from 0 to the largest weight, titles and a caption', () => {
    const root = parseXml(
      heatmapSvg(W, {
        rowLabels: tgt,
        colLabels: src,
        title: 'English → French',
        rowTitle: 'target',
        colTitle: 'source',
        caption: 'Brighter = more attention.',
      }),
    );
    const bar = findAll(root, (e) => e.attrs.get('class') === 'colorbar')[0]!;
    assert.equal(bar.attrs.get('data-vmax'), '0.85');
    assert.deepEqual(
      bar.children.filter((e) => e.name === 'text').map((e) => e.text),
      ['0.85', '0'],
    );
    const all = textContent(root);
    for (const s of ['English → French', 'target', 'source', 'Brighter = more attention.'])
      assert.ok(all.includes(s), s);
  });

  it('rejects weights that do not match the labels or are not attention weights', () => {
    assert.throws(
      () => heatmapSvg(W, { rowLabels: ['a', 'b'], colLabels: src }),
      (e: unknown) =>
        e instanceof HeedError && /weights have 3 rows but rowLabels has 2 labels/.test(e.message),
    );
    assert.throws(
      () => heatmapSvg([[0.5, 0.5], [1]], { rowLabels: ['a', 'b'], colLabels: ['x', 'y'] }),
      /weights\[1\] has 1 columns but colLabels has 2 labels/,
    );
    assert.throws(
      () => heatmapSvg([[0.5, -0.1]], { rowLabels: ['a'], colLabels: ['x', 'y'] }),
      /weights\[0\]\[1\] is -0.1/,
    );
    assert.throws(() => heatmapSvg([[Number.NaN]], { rowLabels: ['a'], colLabels: ['x'] }), HeedError);
    assert.throws(() => heatmapSvg([], { rowLabels: [], colLabels: [] }), /empty/);
  });
});

describe('heatmapGridSvg', () => {
  const maps = [0, 1, 2, 3, 4].map((h) => ({
    title: `head ${h}`,
    weights: W.map((row) => row.map((w) => w / (h + 1))),
    rowLabels: tgt,
    colLabels: src,
  }));

  it('draws every map as a panel with its own cells, on one shared colour bar', () => {
    const root = parseXml(heatmapGridSvg(maps, { columns: 2, title: 'layer 0' }));
    const panels = findAll(root, (e) => e.attrs.get('class') === 'panel');
    assert.deepEqual(
      panels.map((p) => p.attrs.get('data-map')),
      ['0', '1', '2', '3', '4'],
    );
    for (const p of panels) assert.equal(cells(p).length, 9);
    const bars = findAll(root, (e) => e.attrs.get('class') === 'colorbar');
    assert.equal(bars.length, 1);
    assert.equal(bars[0]!.attrs.get('data-vmax'), '0.85');
    // Shared scale: head 4's weights are a fifth of head 0's, so its cells are darker.
    const maxFill = (p: XmlElement) =>
      attr(cells(p).find((c) => attr(c, 'data-row') === '1' && attr(c, 'data-col') === '0')!, 'fill');
    assert.notEqual(maxFill(panels[0]!), maxFill(panels[4]!));
  });

  it('lays panels out in the given number of columns', () => {
    const root = parseXml(heatmapGridSvg(maps, { columns: 2 }));
    const offsets = findAll(root, (e) => e.attrs.get('class') === 'panel').map((p) => attr(p, 'transform'));
    const xs = new Set(offsets.map((t) => t.split(' ')[0]));
    const ys = new Set(offsets.map((t) => t.split(' ')[1]));
    assert.equal(xs.size, 2);
    assert.equal(ys.size, 3);
  });

  it('can give each map its own scale', () => {
    const root = parseXml(heatmapGridSvg(maps, { columns: 5, sharedScale: false }));
    const bars = findAll(root, (e) => e.attrs.get('class') === 'colorbar');
    assert.equal(bars.length, 5);
    assert.equal(bars[4]!.attrs.get('data-vmax'), String(0.85 / 5));
  });

  it('rejects bad input naming the map', () => {
    assert.throws(() => heatmapGridSvg(maps, { columns: 0 }), /columns must be a positive integer/);
    assert.throws(() => heatmapGridSvg([], { columns: 1 }), /no maps/);
    const bad = [...maps, { title: 'broken', weights: [[1]], rowLabels: ['a', 'b'], colLabels: ['x'] }];
    assert.throws(() => heatmapGridSvg(bad, { columns: 2 }), /map 5 \('broken'\)/);
  });
});

describe('attentionMatrix', () => {
  it('picks one [Tq, Tk] map out of [B, H, Tq, Tk] weights', () => {
    // [2, 3, 2, 2]: value = 1000 b + 100 h + 10 i + j.
    const data: number[] = [];
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 3; h++)
        for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) data.push(1000 * b + 100 * h + 10 * i + j);
    const w = { data: Float32Array.from(data), shape: [2, 3, 2, 2] };
    assert.deepEqual(attentionMatrix(w, [1, 2]), [
      [1200, 1201],
      [1210, 1211],
    ]);
    assert.deepEqual(attentionMatrix({ data: [1, 2, 3, 4, 5, 6], shape: [2, 3] }), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.throws(() => attentionMatrix(w, [1]), /shape \[2, 3, 2, 2\] need 2 leading indices, got \[1\]/);
    assert.throws(() => attentionMatrix(w, [0, 3]), /index 3 is out of range for dimension 1 of size 3/);
  });
});
