/**
 * The layout of one attention heatmap (cells, rotated column labels, row labels, titles,
 * colour bar, caption), shared by heatmapSvg and heatmapGridSvg; see heatmap.ts.
 */
import { HeedError } from '../util/errors.js';
import { type ColorMapName, colorAt, gradientStops, hex, mapStops, textColorOver } from './colormap.js';
import { escapeXml, px, svgText, textWidth, truncateText, wrapText } from './svg.js';

/** Labels longer than this many pixels are shortened with '…' (the cell tooltips keep them whole). */
const MAX_LABEL_WIDTH = 200;
const TITLE_FONT = 15;
const AXIS_TITLE_FONT = 12;
export const CAPTION_FONT = 12;
const BAR_WIDTH = 12;
export const MARGIN = 12;

/** Checks that `weights` is rows × cols of finite non-negative numbers matching the labels. */
export function checkWeights(
  fn: string,
  weights: readonly (readonly number[])[],
  rowLabels: readonly string[],
  colLabels: readonly string[],
): void {
  if (weights.length === 0 || colLabels.length === 0) throw new HeedError(`${fn}: weights are empty`);
  if (weights.length !== rowLabels.length) {
    throw new HeedError(
      `${fn}: weights have ${weights.length} rows but rowLabels has ${rowLabels.length} labels`,
    );
  }
  weights.forEach((row, i) => {
    if (row.length !== colLabels.length) {
      throw new HeedError(
        `${fn}: weights[${i}] has ${row.length} columns but colLabels has ${colLabels.length} labels`,
      );
    }
    row.forEach((w, j) => {
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
        throw new HeedError(`${fn}: weights[${i}][${j}] is ${w}; attention weights must be finite and >= 0`);
      }
    });
  });
}

export function maxWeight(weights: readonly (readonly number[])[]): number {
  let m = 0;
  for (const row of weights) for (const w of row) m = Math.max(m, w);
  return m;
}

export function checkVmax(fn: string, vmax: number | undefined, data: number): number {
  if (vmax === undefined) return data > 0 ? data : 1;
  if (!Number.isFinite(vmax) || vmax <= 0) throw new HeedError(`${fn}: vmax must be > 0, got ${vmax}`);
  return vmax;
}

export function checkCellSize(fn: string, cellSize: number | undefined): void {
  if (cellSize !== undefined && !(Number.isFinite(cellSize) && cellSize >= 2)) {
    throw new HeedError(`${fn}: cellSize must be a number of pixels >= 2, got ${cellSize}`);
  }
}

/** The automatic cell side: `budget` pixels for the longer side, within [min, max]. */
export function autoCellSize(
  longest: number,
  budget: number,
  min: number,
  max: number,
  showValues: boolean,
): number {
  const cell = Math.min(max, Math.max(min, Math.round(budget / longest)));
  return showValues ? Math.max(cell, 30) : cell;
}

/**
 * Label text size for a cell side: 60% of the cell within [9, 14] px, but never more than 85%
 * of the cell, so that labels of adjacent rows and columns cannot overlap.
 */
function labelFontFor(cell: number): number {
  return Math.min(cell * 0.85, Math.min(14, Math.max(9, Math.round(cell * 0.6))));
}

/** A weight as the cells print it: '.42', '1.00'. */
function formatValue(w: number): string {
  const s = w.toFixed(2);
  return s.startsWith('0.') ? s.slice(1) : s;
}

/** The colour-bar tick label for the top of the scale: three significant digits. */
function formatScale(v: number): string {
  return String(Number(v.toPrecision(3)));
}

function gradientId(map: ColorMapName): string {
  return `heed-colorbar-${map}`;
}

/** `<defs>` with the colour bar's gradient, bottom (0) to top (vmax). */
export function colorBarDefs(map: ColorMapName): string {
  return `<defs><linearGradient id="${gradientId(map)}" x1="0" y1="1" x2="0" y2="0">${gradientStops(mapStops(map))}</linearGradient></defs>`;
}

export interface Block {
  width: number;
  height: number;
  body: string;
}

/** A vertical colour bar of the given height at (x, y) with ticks at 0 and vmax. */
export function colorBar(
  x: number,
  y: number,
  height: number,
  vmax: number,
  map: ColorMapName,
  font: number,
): Block {
  const top = formatScale(vmax);
  const labelX = x + BAR_WIDTH + 6;
  const body = [
    `<g class="colorbar" data-vmax="${vmax}">`,
    `<rect x="${px(x)}" y="${px(y)}" width="${BAR_WIDTH}" height="${px(height)}" fill="url(#${gradientId(map)})" stroke="#888888" stroke-width="0.5"/>`,
    `<path d="M${px(x + BAR_WIDTH)} ${px(y + 0.25)}h4M${px(x + BAR_WIDTH)} ${px(y + height - 0.25)}h4" stroke="#555555" stroke-width="0.5"/>`,
    svgText(labelX, y, top, `font-size="${font}" dy="0.35em" fill="#333333"`),
    svgText(labelX, y + height, '0', `font-size="${font}" dy="0.35em" fill="#333333"`),
    '</g>',
  ].join('');
  return { width: BAR_WIDTH + 6 + Math.max(textWidth(top, font), textWidth('0', font)), height, body };
}

export interface PanelSpec {
  title?: string;
  colTitle?: string;
  rowTitle?: string;
  caption?: string;
  weights: readonly (readonly number[])[];
  rowLabels: readonly string[];
  colLabels: readonly string[];
}

export interface PanelStyle {
  cell: number;
  colorMap: ColorMapName;
  showValues: boolean;
  vmax: number;
  /** Draw this panel's own colour bar. */
  colorBar: boolean;
}

export interface Panel extends Block {
  /** Top of the cell grid within the panel (where a shared colour bar lines up). */
  gridY: number;
  gridHeight: number;
}

/** Lays out one heatmap with its labels at the origin. */
export function renderPanel(spec: PanelSpec, style: PanelStyle): Panel {
  const { cell, colorMap, showValues, vmax } = style;
  const rows = spec.weights.length;
  const cols = spec.colLabels.length;
  const font = labelFontFor(cell);
  const colShown = spec.colLabels.map((l) => truncateText(l, font, MAX_LABEL_WIDTH));
  const rowShown = spec.rowLabels.map((l) => truncateText(l, font, MAX_LABEL_WIDTH));
  const gridW = cols * cell;
  const gridH = rows * cell;

  let y = 0;
  const titleBaseline = spec.title ? y + TITLE_FONT : 0;
  if (spec.title) y += TITLE_FONT + 8;
  const colTitleBaseline = y + AXIS_TITLE_FONT;
  if (spec.colTitle) y += AXIS_TITLE_FONT + 6;
  const gridY = y + Math.max(...colShown.map((l) => textWidth(l, font))) + 6;
  const rowTitleW = spec.rowTitle ? AXIS_TITLE_FONT + 6 : 0;
  const gridX = rowTitleW + Math.max(...rowShown.map((l) => textWidth(l, font))) + 6;

  const parts: string[] = [];
  // Cells: crisp edges so that neighbouring cells meet without hairline seams.
  parts.push('<g class="cells" shape-rendering="crispEdges">');
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const w = spec.weights[i]![j]!;
      const tip = `${spec.rowLabels[i]} → ${spec.colLabels[j]}: ${w.toFixed(4)}`;
      parts.push(
        `<rect class="cell" x="${px(gridX + j * cell)}" y="${px(gridY + i * cell)}" width="${px(cell)}" height="${px(cell)}" fill="${hex(colorAt(colorMap, w / vmax))}" data-row="${i}" data-col="${j}" data-weight="${w}"><title>${escapeXml(tip)}</title></rect>`,
      );
    }
  }
  parts.push('</g>');
  if (showValues) {
    const vfont = Math.min(12, cell * 0.3);
    parts.push(`<g class="values" font-size="${px(vfont)}" text-anchor="middle" pointer-events="none">`);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const w = spec.weights[i]![j]!;
        const fill = textColorOver(colorAt(colorMap, w / vmax));
        parts.push(
          svgText(
            gridX + (j + 0.5) * cell,
            gridY + (i + 0.5) * cell,
            formatValue(w),
            `dy="0.35em" fill="${fill}"`,
          ),
        );
      }
    }
    parts.push('</g>');
  }

  // Column labels read bottom-to-top above their column; row labels end at the grid's left edge.
  parts.push(`<g class="col-labels" font-size="${px(font)}" fill="#222222">`);
  colShown.forEach((label, j) => {
    const x = gridX + (j + 0.5) * cell;
    const yy = gridY - 4;
    parts.push(
      `<text transform="translate(${px(x)} ${px(yy)}) rotate(-90)" dy="0.35em">${escapeXml(label)}<title>${escapeXml(spec.colLabels[j]!)}</title></text>`,
    );
  });
  parts.push('</g>');
  parts.push(`<g class="row-labels" font-size="${px(font)}" fill="#222222" text-anchor="end">`);
  rowShown.forEach((label, i) => {
    parts.push(
      `<text x="${px(gridX - 4)}" y="${px(gridY + (i + 0.5) * cell)}" dy="0.35em">${escapeXml(label)}<title>${escapeXml(spec.rowLabels[i]!)}</title></text>`,
    );
  });
  parts.push('</g>');
  parts.push(
    `<rect x="${px(gridX)}" y="${px(gridY)}" width="${px(gridW)}" height="${px(gridH)}" fill="none" stroke="#888888" stroke-width="0.5"/>`,
  );

  let width = gridX + gridW;
  let bottom = gridY + gridH;
  if (style.colorBar) {
    const barH = Math.min(300, Math.max(100, gridH));
    const bar = colorBar(gridX + gridW + 14, gridY, barH, vmax, colorMap, Math.max(font, 10));
    parts.push(bar.body);
    width += 14 + bar.width;
    bottom = Math.max(bottom, gridY + barH);
  }
  if (spec.colTitle) {
    parts.push(
      svgText(
        gridX + gridW / 2,
        colTitleBaseline,
        spec.colTitle,
        `font-size="${AXIS_TITLE_FONT}" text-anchor="middle" fill="#444444" class="col-title"`,
      ),
    );
    width = Math.max(width, gridX + gridW / 2 + textWidth(spec.colTitle, AXIS_TITLE_FONT) / 2);
  }
  if (spec.rowTitle) {
    parts.push(
      `<text class="row-title" transform="translate(${AXIS_TITLE_FONT} ${px(gridY + gridH / 2)}) rotate(-90)" font-size="${AXIS_TITLE_FONT}" text-anchor="middle" fill="#444444">${escapeXml(spec.rowTitle)}</text>`,
    );
    bottom = Math.max(bottom, gridY + gridH / 2 + textWidth(spec.rowTitle, AXIS_TITLE_FONT) / 2);
  }
  if (spec.title) {
    // Centred over the grid unless that would push it off the left edge.
    const tw = textWidth(spec.title, TITLE_FONT, true);
    const cx = Math.max(gridX + gridW / 2, tw / 2);
    parts.push(
      svgText(
        cx,
        titleBaseline,
        spec.title,
        `font-size="${TITLE_FONT}" font-weight="bold" text-anchor="middle" class="title"`,
      ),
    );
    width = Math.max(width, cx + tw / 2);
  }
  if (spec.caption) {
    const lines = wrapText(spec.caption, CAPTION_FONT, Math.max(width, 320));
    bottom += 8;
    parts.push(`<g class="caption" font-size="${CAPTION_FONT}" fill="#444444">`);
    for (const line of lines) {
      bottom += CAPTION_FONT + 4;
      parts.push(svgText(0, bottom - 4, line));
      width = Math.max(width, textWidth(line, CAPTION_FONT));
    }
    parts.push('</g>');
  }
  return { width, height: bottom, body: parts.join('\n'), gridY, gridHeight: gridH };
}

/** CSS for browsers: outline the cell under the pointer (renderers without :hover ignore it). */
export const HOVER_STYLE = '.cell:hover{stroke:#ff3030;stroke-width:2}';
