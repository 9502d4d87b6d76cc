/**
 * An interactive attention heatmap in SVG, laid out like the English–French alignment figures of
 * Bahdanau et al. (2014): rows (the tokens that attend) labelled on the left, columns (the tokens
 * attended to) labelled on top at −60°, a darker cell for more attention. Cells shrink with the
 * number of tokens and the width available, so maps up to ~80 × 80 stay readable.
 */
import type { Heatmap } from '../../src/serve/api.js';
import { h, svg } from './dom.js';

/** ColorBrewer "Blues", white → dark blue; colours between the stops are interpolated. */
const BLUES = ['ffffff', 'deebf7', 'c6dbef', '9ecae1', '6baed6', '4292c6', '2171b5', '08519c', '08306b'].map(
  (hex) => [0, 2, 4].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)),
);

/** The colour of t ∈ [0, 1] (clamped). */
export function blue(t: number): string {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const pos = u * (BLUES.length - 1);
  const i = Math.min(Math.floor(pos), BLUES.length - 2);
  const f = pos - i;
  const [r, g, b] = BLUES[i]!.map((a, k) => Math.round(a + (BLUES[i + 1]![k]! - a) * f));
  return `rgb(${r}, ${g}, ${b})`;
}

const MIN_CELL = 4;
const MAX_CELL = 44;
const MIN_FONT = 8;
const MAX_FONT = 13;
/** Labels longer than this are cut with an ellipsis; the tooltip shows them whole. */
const MAX_LABEL_CHARS = 18;
const LABEL_GAP = 6;
const PAD = 4;
const ANGLE = (60 * Math.PI) / 180;

interface Layout {
  cell: number;
  font: number;
  /** Draw every `step`-th label when cells are smaller than the text. */
  step: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * A `<div class="heatmap">` holding the title, the map and a colour bar. It draws itself once it
 * is in the document and redraws when its width changes enough to change the cell size.
 * A disconnected view stops observing on the next resize callback it receives.
 */
export function heatmapView(map: Heatmap): HTMLElement {
  const rows = map.rowLabels.length;
  const cols = map.colLabels.length;
  // A loop, not Math.max(...): a 400 × 500 map would overflow the argument list.
  const vmax = map.weights.reduce((m, row) => row.reduce((a, w) => Math.max(a, w), m), 0) || 1;
  const rowText = map.rowLabels.map(shorten);
  const colText = map.colLabels.map(shorten);
  // Label extents per pixel of font size, measured once; 10% spare for a highlighted (bold) label.
  const rowExtent = 1.1 * Math.max(0, ...rowText.map(textWidth));
  const colExtent = 1.1 * Math.max(0, ...colText.map(textWidth));

  const scroll = h('div', { class: 'heatmap-scroll' });
  const root = h(
    'div',
    { class: 'heatmap' },
    h('h3', { class: 'heatmap-title' }, map.title),
    scroll,
    legend(vmax),
  );
  if (rows === 0 || cols === 0) {
    scroll.append(h('p', { class: 'hint' }, 'Nothing to draw: the map is empty.'));
    return root;
  }

  let drawn: Layout | undefined;
  const redraw = (): void => {
    const next = layout(scroll.clientWidth, rows, cols, rowExtent, colExtent);
    if (drawn && drawn.cell === next.cell && drawn.font === next.font) return;
    drawn = next;
    scroll.replaceChildren(draw(map, rowText, colText, vmax, next));
  };
  const observer = new ResizeObserver(() => {
    if (root.isConnected) redraw();
    else observer.disconnect();
  });
  // Draw as soon as the caller has put the view in the page (still within its task, so the cells
  // exist as soon as the result is shown); the observer covers a later insertion and resizes.
  queueMicrotask(() => {
    if (root.isConnected) redraw();
  });
  observer.observe(scroll);
  return root;
}

/**
 * Cell and font size for a given width: the cell fills the width (within [MIN_CELL, MAX_CELL]),
 * the font follows the cell, and the label margins follow the font; two rounds settle it.
 */
function layout(available: number, rows: number, cols: number, rowExtent: number, colExtent: number): Layout {
  let font = MAX_FONT;
  let cell = MAX_CELL;
  for (let round = 0; round < 2; round++) {
    const left = rowExtent * font + LABEL_GAP + PAD;
    const overhang = Math.max(0, colExtent * font * Math.cos(ANGLE));
    cell = Math.floor((available - left - overhang - PAD) / cols);
    cell = Math.min(MAX_CELL, Math.max(MIN_CELL, cell));
    font = Math.min(MAX_FONT, Math.max(MIN_FONT, Math.round(cell * 0.75)));
  }
  const left = Math.ceil(rowExtent * font + LABEL_GAP + PAD);
  const top = Math.ceil(colExtent * font * Math.sin(ANGLE) + LABEL_GAP + PAD);
  const overhang = Math.max(0, colExtent * font * Math.cos(ANGLE) - cell / 2);
  return {
    cell,
    font,
    step: Math.ceil((font * 1.15) / cell),
    left,
    top,
    width: Math.ceil(left + cols * cell + overhang + PAD),
    height: Math.ceil(top + rows * cell + PAD),
  };
}

function draw(map: Heatmap, rowText: string[], colText: string[], vmax: number, at: Layout): SVGSVGElement {
  const { cell, left, top } = at;
  const rows = rowText.length;
  const cols = colText.length;

  const cells = svg('g', { class: 'cells' });
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const w = map.weights[i]?.[j] ?? 0;
      cells.append(
        svg('rect', {
          class: 'cell',
          x: left + j * cell,
          y: top + i * cell,
          width: cell,
          height: cell,
          fill: blue(w / vmax),
          'data-row': i,
          'data-col': j,
          'data-weight': w,
        }),
      );
    }
  }

  const rowLabels = svg('g', { class: 'row-labels', 'text-anchor': 'end' });
  rowText.forEach((text, i) => {
    if (i % at.step !== 0) return;
    const y = top + (i + 0.5) * cell;
    rowLabels.append(
      svg('text', { class: 'row-label', 'data-row': i, x: left - LABEL_GAP, y, dy: '0.35em' }, text),
    );
  });
  const colLabels = svg('g', { class: 'col-labels', 'text-anchor': 'start' });
  colText.forEach((text, j) => {
    if (j % at.step !== 0) return;
    const x = left + (j + 0.5) * cell;
    const y = top - LABEL_GAP;
    colLabels.append(
      svg(
        'text',
        { class: 'col-label', 'data-col': j, transform: `translate(${x} ${y}) rotate(-60)`, dy: '0.35em' },
        text,
      ),
    );
  });

  const frame = svg('rect', {
    class: 'frame',
    x: left - 0.5,
    y: top - 0.5,
    width: cols * cell + 1,
    height: rows * cell + 1,
    'pointer-events': 'none',
  });
  const cursor = svg('rect', {
    class: 'cursor',
    width: cell,
    height: cell,
    visibility: 'hidden',
    'pointer-events': 'none',
  });
  const root = svg(
    'svg',
    {
      width: at.width,
      height: at.height,
      viewBox: `0 0 ${at.width} ${at.height}`,
      'font-size': at.font,
      tabindex: 0,
      role: 'img',
      'aria-label': `${map.title}: ${rows} × ${cols} attention weights. Arrow keys move between cells.`,
    },
    cells,
    rowLabels,
    colLabels,
    frame,
    cursor,
  );
  interact(root, map, cursor, at);
  return root;
}

/** Hover (or arrow keys once focused) shows `row → col: weight` and highlights both labels. */
function interact(root: SVGSVGElement, map: Heatmap, cursor: SVGRectElement, at: Layout): void {
  const tip = tooltip();
  let current: [number, number] = [0, 0];

  const show = (i: number, j: number, anchor: { x: number; y: number }): void => {
    const w = map.weights[i]?.[j] ?? 0;
    tip.textContent = `${map.rowLabels[i]} → ${map.colLabels[j]}: ${w.toFixed(4)}`;
    tip.hidden = false;
    // Keep the tooltip inside the window: flip it to the left/top near the right/bottom edge.
    const { innerWidth, innerHeight } = window;
    const box = tip.getBoundingClientRect();
    const x = anchor.x + 14 + box.width > innerWidth ? anchor.x - 14 - box.width : anchor.x + 14;
    const y = anchor.y + 18 + box.height > innerHeight ? anchor.y - 10 - box.height : anchor.y + 18;
    tip.style.left = `${Math.max(4, x)}px`;
    tip.style.top = `${Math.max(4, y)}px`;
    cursor.setAttribute('x', String(at.left + j * at.cell));
    cursor.setAttribute('y', String(at.top + i * at.cell));
    if (cursor.getAttribute('visibility') !== 'visible' || current[0] !== i || current[1] !== j) {
      highlight(root, i, j);
    }
    current = [i, j];
    cursor.setAttribute('visibility', 'visible');
  };
  const hide = (): void => {
    if (cursor.getAttribute('visibility') === 'hidden') return;
    tip.hidden = true;
    cursor.setAttribute('visibility', 'hidden');
    highlight(root, -1, -1);
  };

  root.addEventListener('mousemove', (event) => {
    const target = event.target;
    if (!(target instanceof SVGRectElement) || !target.classList.contains('cell')) {
      hide();
      return;
    }
    show(Number(target.dataset.row), Number(target.dataset.col), { x: event.clientX, y: event.clientY });
  });
  root.addEventListener('mouseleave', hide);
  root.addEventListener('blur', hide);

  const showAtCell = (i: number, j: number): void => {
    const r = cursor.getBoundingClientRect();
    const scale = r.width > 0 ? r.width / at.cell : 1;
    const box = root.getBoundingClientRect();
    show(i, j, {
      x: box.left + (at.left + (j + 1) * at.cell) * scale,
      y: box.top + (at.top + (i + 1) * at.cell) * scale,
    });
  };
  root.addEventListener('focus', () => showAtCell(...current));
  root.addEventListener('keydown', (event) => {
    const moves: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
    };
    if (event.key === 'Escape') {
      hide();
      return;
    }
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const i = Math.min(map.rowLabels.length - 1, Math.max(0, current[0] + move[0]));
    const j = Math.min(map.colLabels.length - 1, Math.max(0, current[1] + move[1]));
    showAtCell(i, j);
  });
}

function highlight(root: SVGSVGElement, row: number, col: number): void {
  for (const label of root.querySelectorAll<SVGTextElement>('.row-label, .col-label')) {
    const active = label.classList.contains('row-label')
      ? Number(label.dataset.row) === row
      : Number(label.dataset.col) === col;
    label.classList.toggle('active', active);
  }
}

/** Hides the tooltip, e.g. when the map under it is replaced. */
export function hideTooltip(): void {
  const tip = document.getElementById('tooltip');
  if (tip) tip.hidden = true;
}

/** The page's one `<div id="tooltip">`, created on first use. */
function tooltip(): HTMLElement {
  const existing = document.getElementById('tooltip');
  if (existing) return existing;
  const tip = h('div', { id: 'tooltip', role: 'tooltip', hidden: true });
  document.body.append(tip);
  return tip;
}

function legend(vmax: number): HTMLElement {
  const stops = Array.from({ length: 9 }, (_, k) => blue(k / 8)).join(', ');
  return h(
    'div',
    { class: 'heatmap-legend', 'aria-hidden': 'true' },
    h('span', {}, '0'),
    h('span', { class: 'legend-bar', style: `background: linear-gradient(to right, ${stops})` }),
    h('span', {}, vmax.toFixed(2)),
    h('span', { class: 'hint' }, 'attention weight'),
  );
}

function shorten(label: string): string {
  const chars = Array.from(label);
  return chars.length > MAX_LABEL_CHARS ? `${chars.slice(0, MAX_LABEL_CHARS - 1).join('')}…` : label;
}

let measurer: CanvasRenderingContext2D | null | undefined;

/** Width of `text` per pixel of font size, in the page's font. */
function textWidth(text: string): number {
  if (measurer === undefined) {
    measurer = document.createElement('canvas').getContext('2d');
    if (measurer) measurer.font = `100px ${getComputedStyle(document.body).fontFamily || 'sans-serif'}`;
  }
  if (!measurer) return text.length * 0.6;
  return measurer.measureText(text).width / 100;
}
