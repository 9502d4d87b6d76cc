import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { tokenShadingAnsi, tokenShadingHtml, tokenShadingSvg } from './tokens.js';
import { findAll, parseXml, textContent } from './xml-check.js';

const tokens = ['You', 'have', 'won', 'a', 'FREE', 'cruise', '<now>', '&', 'more'];
const weights = [0.02, 0.03, 0.3, 0.01, 0.4, 0.1, 0.05, 0.04, 0.05];

describe('tokenShadingSvg', () => {
  it('draws one shaded box per token, with its weight and a tooltip', () => {
    const root = parseXml(tokenShadingSvg(tokens, weights, { title: 'spam?' }));
    const groups = findAll(root, (e) => e.attrs.get('class') === 'token');
    assert.equal(groups.length, tokens.length);
    groups.forEach((g, i) => {
      assert.equal(g.attrs.get('data-index'), String(i));
      assert.equal(Number(g.attrs.get('data-weight')), weights[i]);
      const title = g.children.find((e) => e.name === 'title')!;
      assert.equal(textContent(title), `${tokens[i]}: ${weights[i]!.toFixed(4)}`);
      assert.equal(g.children.find((e) => e.name === 'text')!.text, tokens[i]);
      assert.equal(g.children.filter((e) => e.name === 'rect').length, 1);
    });
    const fill = (i: number) => groups[i]!.children.find((e) => e.name === 'rect')!.attrs.get('fill');
    assert.equal(fill(4), '#fd8d3c', 'the largest weight gets the darkest shade');
    assert.notEqual(fill(3), fill(4));
    assert.equal(textContent(root).includes('spam?'), true);
  });

  it('shades a zero weight white', () => {
    const root = parseXml(tokenShadingSvg(['a', 'b'], [0, 1]));
    const rects = findAll(root, (e) => e.attrs.get('class') === 'token-bg');
    assert.deepEqual(
      rects.map((r) => r.attrs.get('fill')),
      ['#ffffff', '#fd8d3c'],
    );
  });

  it('wraps long text into lines that fit the width', () => {
    const many = Array.from({ length: 80 }, (_, i) => `word${i}`);
    const width = 300;
    const root = parseXml(
      tokenShadingSvg(
        many,
        many.map(() => 1 / 80),
        { width },
      ),
    );
    const rects = findAll(root, (e) => e.attrs.get('class') === 'token-bg');
    const ys = new Set(rects.map((r) => r.attrs.get('y')));
    assert.ok(ys.size > 5, `${ys.size} lines`);
    for (const r of rects) assert.ok(Number(r.attrs.get('x')) + Number(r.attrs.get('width')) <= width);
    assert.ok(Number(root.attrs.get('height')) > Math.max(...[...ys].map(Number)));
  });

  it('rejects mismatched or negative weights', () => {
    assert.throws(
      () => tokenShadingSvg(['a', 'b'], [1]),
      (e: unknown) => e instanceof HeedError && /2 tokens but 1 weights/.test(e.message),
    );
    assert.throws(() => tokenShadingSvg(['a'], [-1]), /weight 0 \('a'\) is -1/);
  });
});

describe('tokenShadingHtml', () => {
  it('writes one escaped span per token with its weight and background', () => {
    const html = tokenShadingHtml(tokens, weights, { title: 'a & b' });
    const root = parseXml(html);
    const spans = findAll(root, (e) => e.name === 'span');
    assert.equal(spans.length, tokens.length);
    spans.forEach((s, i) => {
      assert.equal(s.text, tokens[i]);
      assert.equal(Number(s.attrs.get('data-weight')), weights[i]);
      assert.match(s.attrs.get('style')!, /background-color:#[0-9a-f]{6}/);
      assert.equal(s.attrs.get('title'), `${tokens[i]}: ${weights[i]!.toFixed(4)}`);
    });
    assert.ok(html.includes('&lt;now&gt;') && html.includes('a &amp; b'));
  });
});

describe('tokenShadingAnsi', () => {
  it('puts each token on a 24-bit background colour', () => {
    const out = tokenShadingAnsi(['a', 'b'], [0, 1]);
    assert.equal(
      out,
      '\x1b[48;2;255;255;255m\x1b[38;2;0;0;0ma\x1b[0m \x1b[48;2;253;141;60m\x1b[38;2;0;0;0mb\x1b[0m',
    );
  });
});
