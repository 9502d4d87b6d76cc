import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import { HeedError } from '../util/errors.js';
import { heatmapSvg } from './heatmap.js';
import { svgToPng, writeImage } from './png.js';
import { svgDocument, svgText } from './svg.js';
import { findAll, parseXml } from './xml-check.js';

const dir = mkdtempSync(join(tmpdir(), 'heed-png-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Chunks of a PNG file: type and data length, read with a DataView. */
function chunks(png: Buffer): { type: string; length: number; data: DataView }[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: { type: string; length: number; data: DataView }[] = [];
  let at = 8;
  while (at < png.length) {
    const length = view.getUint32(at);
    const type = png.toString('latin1', at + 4, at + 8);
    out.push({ type, length, data: new DataView(png.buffer, png.byteOffset + at + 8, length) });
    at += 12 + length;
  }
  return out;
}

function ihdr(png: Buffer): { width: number; height: number } {
  const first = chunks(png)[0]!;
  assert.equal(first.type, 'IHDR');
  return { width: first.data.getUint32(0), height: first.data.getUint32(4) };
}

const idatBytes = (png: Buffer): number =>
  chunks(png)
    .filter((c) => c.type === 'IDAT')
    .reduce((n, c) => n + c.length, 0);

/** RGBA at (x, y) of an SVG rendered the way svgToPng renders it. */
function pixelsOf(svg: string): (x: number, y: number) => number[] {
  const img = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render();
  const px = img.pixels;
  return (x, y) => [...px.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4)];
}

const W = [
  [0, 1],
  [0.25, 0.5],
];
const heat = heatmapSvg(W, {
  rowLabels: ['zone', 'économique'],
  colLabels: ['economic', 'zone'],
  colorMap: 'gray',
  cellSize: 30,
});

describe('svgToPng', () => {
  it('writes a PNG of the SVG size (times the scale)', () => {
    const root = parseXml(heat);
    const width = Number(root.attrs.get('width'));
    const height = Number(root.attrs.get('height'));
    const png = svgToPng(heat);
    assert.deepEqual([...png.subarray(0, 8)], SIGNATURE);
    assert.deepEqual(ihdr(png), { width, height });
    assert.deepEqual(ihdr(svgToPng(heat, { scale: 2 })), { width: 2 * width, height: 2 * height });
  });

  it('is not blank: it holds more than an empty image of the same size', () => {
    const root = parseXml(heat);
    const blank = svgDocument(Number(root.attrs.get('width')), Number(root.attrs.get('height')), '');
    assert.ok(idatBytes(svgToPng(heat)) > 2 * idatBytes(svgToPng(blank)));
  });

  it('paints each cell in its colour where the SVG puts it', () => {
    const at = pixelsOf(heat);
    const cells = findAll(parseXml(heat), (e) => e.attrs.get('class') === 'cell');
    const centre = (w: string): [number, number] => {
      const c = cells.find((e) => e.attrs.get('data-weight') === w)!;
      return [Math.round(Number(c.attrs.get('x')) + 15), Math.round(Number(c.attrs.get('y')) + 15)];
    };
    assert.deepEqual(at(...centre('1')), [255, 255, 255, 255]);
    assert.deepEqual(at(...centre('0')), [0, 0, 0, 255]);
    const mid = at(...centre('0.5'));
    assert.ok(mid[0]! > 100 && mid[0]! < 160, `0.5 is mid-gray, got ${mid}`);
  });

  it('renders text (system fonts are loaded)', () => {
    const text = svgDocument(200, 40, svgText(10, 28, 'économique', 'font-size="20"'));
    const at = pixelsOf(text);
    let dark = 0;
    for (let y = 0; y < 40; y++) for (let x = 0; x < 200; x++) if (at(x, y)[0]! < 128) dark++;
    assert.ok(dark > 100, `${dark} dark pixels`);
    assert.ok(idatBytes(svgToPng(text)) > 2 * idatBytes(svgToPng(svgDocument(200, 40, ''))));
  });

  it('rejects a bad scale and bad SVG', () => {
    assert.throws(() => svgToPng(heat, { scale: 0 }), HeedError);
    assert.throws(
      () => svgToPng('<svg'),
      (e: unknown) => e instanceof HeedError && /not a valid SVG/.test(e.message),
    );
  });
});

describe('writeImage', () => {
  it('writes .svg as text and .png rasterised, leaving no temporary files', () => {
    writeImage(join(dir, 'a.svg'), heat);
    assert.equal(readFileSync(join(dir, 'a.svg'), 'utf8'), heat);
    writeImage(join(dir, 'a.PNG'), heat, { scale: 2 });
    assert.deepEqual([...readFileSync(join(dir, 'a.PNG')).subarray(0, 8)], SIGNATURE);
    assert.deepEqual(readdirSync(dir).sort(), ['a.PNG', 'a.svg']);
  });

  it('names the path and the accepted extensions for anything else', () => {
    const path = join(dir, 'figure.jpg');
    assert.throws(
      () => writeImage(path, heat),
      (e: unknown) =>
        e instanceof HeedError &&
        e.message === `cannot write image '${path}': unknown extension '.jpg'; use .svg or .png`,
    );
    assert.throws(() => writeImage(join(dir, 'figure'), heat), /unknown extension '\(none\)'/);
  });
});
