/**
 * Attention heatmaps: one cell per (query, key) pair, brighter = more attention, as in the
 * alignment figures of Bahdanau et al. (2014) that seed 003 shows for English → French. Rows are
 * the target (query) tokens and columns the source (key) tokens; column labels stand rotated on
 * top, row labels on the left, and a colour bar gives the scale.
 */
import { HeedError } from '../util/errors.js';
import type { ColorMapName } from './colormap.js';
import {
  autoCellSize,
  CAPTION_FONT,
  checkCellSize,
  checkVmax,
  checkWeights,
  colorBar,
  colorBarDefs,
  HOVER_STYLE,
  MARGIN,
  maxWeight,
  renderPanel,
} from './heatmap-panel.js';
import { px, svgDocument, svgText, textWidth, wrapText } from './svg.js';

export interface HeatmapOptions {
  /** One label per row of `weights`: the target (query) tokens. */
  rowLabels: readonly string[];
  /** One label per column of `weights`: the source (key) tokens. */
  colLabels: readonly string[];
  title?: string;
  /** Axis names, e.g. 'source (English)' over the columns and 'target (French)' beside the rows. */
  colTitle?: string;
  rowTitle?: string;
  /** Side of a cell in pixels; by default sized so that the figure stays within ~600 px of cells. */
  cellSize?: number;
  /** Default 'viridis' (perceptual); 'gray' is black → white like the seed's figure. */
  colorMap?: ColorMapName;
  /** Print each weight in its cell (two decimals). */
  showValues?: boolean;
  /** Text under the figure, wrapped to its width. */
  caption?: string;
  /** The weight drawn brightest; default the largest weight (1 if all are 0). */
  vmax?: number;
}

/** One map of a grid: e.g. one head of one Transformer layer. */
export interface HeatmapMap {
  title: string;
  weights: readonly (readonly number[])[];
  rowLabels: readonly string[];
  colLabels: readonly string[];
}

export interface HeatmapGridOptions {
  /** Maps per row of the grid, e.g. the number of heads. */
  columns: number;
  title?: string;
  caption?: string;
  cellSize?: number;
  colorMap?: ColorMapName;
  showValues?: boolean;
  /** One colour scale for all maps (default, so that maps compare) or one per map. */
  sharedScale?: boolean;
  /** With a shared scale: the weight drawn brightest; default the largest of all maps. */
  vmax?: number;
}

/**
 * One [Tq, Tk] map of attention weights as rows of numbers, from weights of shape
 * [..., Tq, Tk] (e.g. the `weights` an attention layer returns: [B, Tq, Tk], or [B, H, Tq, Tk]
 * for multi-head attention). `index` picks the leading dimensions: `[b]` or `[b, h]`.
 */
export function attentionMatrix(
  weights: { readonly data: ArrayLike<number>; readonly shape: readonly number[] },
  index: readonly number[] = [],
): number[][] {
  const shape = weights.shape;
  const lead = shape.slice(0, -2);
  if (shape.length < 2 || index.length !== lead.length) {
    throw new HeedError(
      `attentionMatrix: weights of shape [${shape.join(', ')}] need ${Math.max(0, shape.length - 2)} leading indices, got [${index.join(', ')}]`,
    );
  }
  let offset = 0;
  lead.forEach((n, d) => {
    const k = index[d]!;
    if (!Number.isInteger(k) || k < 0 || k >= n) {
      throw new HeedError(`attentionMatrix: index ${k} is out of range for dimension ${d} of size ${n}`);
    }
    offset = offset * n + k;
  });
  const rows = shape[shape.length - 2]!;
  const cols = shape[shape.length - 1]!;
  offset *= rows * cols;
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => weights.data[offset + i * cols + j]!),
  );
}

/**
 * A standalone SVG heatmap of attention weights.
 *
 * @param weights [Tq][Tk]: row i holds query (target) token i's weights over the key (source)
 *   tokens, e.g. one row of `{ weights }` from an attention layer per decoder step.
 * Each cell is a `<rect class="cell" data-row data-col data-weight>` with a `<title>` tooltip
 * "target → source: 0.1234".
 */
export function heatmapSvg(weights: readonly (readonly number[])[], opts: HeatmapOptions): string {
  const fn = 'heatmapSvg';
  checkWeights(fn, weights, opts.rowLabels, opts.colLabels);
  checkCellSize(fn, opts.cellSize);
  const colorMap = opts.colorMap ?? 'viridis';
  const showValues = opts.showValues ?? false;
  const cell =
    opts.cellSize ?? autoCellSize(Math.max(weights.length, opts.colLabels.length), 600, 16, 40, showValues);
  const panel = renderPanel(
    { ...opts, weights },
    { cell, colorMap, showValues, vmax: checkVmax(fn, opts.vmax, maxWeight(weights)), colorBar: true },
  );
  const body = `${colorBarDefs(colorMap)}\n<g transform="translate(${MARGIN} ${MARGIN})">\n${panel.body}\n</g>`;
  return svgDocument(panel.width + 2 * MARGIN, panel.height + 2 * MARGIN, body, HOVER_STYLE);
}

/**
 * Several heatmaps in a grid, `columns` per row: e.g. one row per Transformer layer and one
 * column per head. Each map keeps its own labels; each panel is a `<g class="panel" data-map>`.
 */
export function heatmapGridSvg(maps: readonly HeatmapMap[], opts: HeatmapGridOptions): string {
  const fn = 'heatmapGridSvg';
  if (maps.length === 0) throw new HeedError(`${fn}: no maps to draw`);
  if (!Number.isInteger(opts.columns) || opts.columns < 1) {
    throw new HeedError(`${fn}: columns must be a positive integer, got ${opts.columns}`);
  }
  maps.forEach((m, k) => {
    checkWeights(`${fn}: map ${k} ('${m.title}')`, m.weights, m.rowLabels, m.colLabels);
  });
  checkCellSize(fn, opts.cellSize);
  const colorMap = opts.colorMap ?? 'viridis';
  const showValues = opts.showValues ?? false;
  const shared = opts.sharedScale ?? true;
  const longest = Math.max(...maps.map((m) => Math.max(m.weights.length, m.colLabels.length)));
  const cell = opts.cellSize ?? autoCellSize(longest, 320, 12, 28, showValues);
  const sharedVmax = shared
    ? checkVmax(fn, opts.vmax, Math.max(...maps.map((m) => maxWeight(m.weights))))
    : 0;
  const panels = maps.map((m) =>
    renderPanel(m, {
      cell,
      colorMap,
      showValues,
      vmax: shared ? sharedVmax : checkVmax(fn, undefined, maxWeight(m.weights)),
      colorBar: !shared,
    }),
  );

  const columns = Math.min(opts.columns, maps.length);
  const gap = 28;
  const colWidths = Array.from({ length: columns }, (_, c) =>
    Math.max(...panels.filter((_, k) => k % columns === c).map((p) => p.width)),
  );
  const rowCount = Math.ceil(maps.length / columns);
  const rowHeights = Array.from({ length: rowCount }, (_, r) =>
    Math.max(...panels.slice(r * columns, (r + 1) * columns).map((p) => p.height)),
  );

  const parts: string[] = [colorBarDefs(colorMap)];
  let top = MARGIN;
  let gridWidth = colWidths.reduce((a, b) => a + b, 0) + gap * (columns - 1);
  if (opts.title) {
    parts.push(svgText(MARGIN, top + 16, opts.title, `font-size="16" font-weight="bold" class="title"`));
    gridWidth = Math.max(gridWidth, textWidth(opts.title, 16, true));
    top += 16 + 12;
  }
  panels.forEach((p, k) => {
    const r = Math.floor(k / columns);
    const c = k % columns;
    const x = MARGIN + colWidths.slice(0, c).reduce((a, b) => a + b, 0) + gap * c;
    const y = top + rowHeights.slice(0, r).reduce((a, b) => a + b, 0) + gap * r;
    parts.push(`<g class="panel" data-map="${k}" transform="translate(${px(x)} ${px(y)})">\n${p.body}\n</g>`);
  });
  let right = MARGIN + gridWidth;
  if (shared) {
    const first = panels[0]!;
    const barH = Math.min(300, Math.max(100, first.gridHeight));
    const bar = colorBar(right + 16, top + first.gridY, barH, sharedVmax, colorMap, 11);
    parts.push(bar.body);
    right += 16 + bar.width;
  }
  let bottom = top + rowHeights.reduce((a, b) => a + b, 0) + gap * (rowCount - 1);
  if (opts.caption) {
    bottom += 8;
    for (const line of wrapText(opts.caption, CAPTION_FONT, Math.max(gridWidth, 320))) {
      bottom += CAPTION_FONT + 4;
      parts.push(
        svgText(MARGIN, bottom - 4, line, `font-size="${CAPTION_FONT}" fill="#444444" class="caption"`),
      );
      right = Math.max(right, MARGIN + textWidth(line, CAPTION_FONT));
    }
  }
  return svgDocument(right + MARGIN, bottom + MARGIN, parts.join('\n'), HOVER_STYLE);
}
