/**
 * Line charts of training curves (loss, learning rate, BLEU, ...) against the step. Series
 * are grouped into panels stacked over one shared x axis: quantities on different scales
 * (a loss of 4 and a learning rate of 3e-4) each get their own y axis instead of one flattening
 * the other, while a training and a validation loss share a panel and compare directly.
 */
import { HeedError } from '../util/errors.js';
import { escapeXml, px, svgDocument, svgText, textWidth, truncateText } from './svg.js';
import { type Axis, linearAxis, logAxis } from './ticks.js';

export interface CurveSeries {
  /** The legend entry. */
  name: string;
  /** [x, y] pairs, e.g. [step, loss]; points with a non-finite coordinate are left out. */
  points: readonly (readonly [number, number])[];
  /** Series with the same panel key share a y axis, labelled with the key; default one panel. */
  panel?: string;
  /** Any SVG colour; default the next of a colour-blind-safe palette (Okabe & Ito). */
  color?: string;
  /** An SVG stroke-dasharray such as '6 3'; default solid. */
  dash?: string;
}

export interface CurvesOptions {
  title?: string;
  xLabel: string;
  /** The y-axis label of series without a panel key. */
  yLabel: string;
  /**
   * Log-scale y axes (base 10). Points with y <= 0 cannot be drawn on them and are left out;
   * a panel with no positive value keeps a linear axis.
   */
  logY?: boolean;
  /** Width of the plotting area in pixels (default 640). */
  width?: number;
  /** Height of each panel's plotting area in pixels (default 220). */
  panelHeight?: number;
}

/** Okabe & Ito's colour-blind-safe palette, without its yellow (too pale on white). */
export const PALETTE: readonly string[] = [
  '#0072b2',
  '#d55e00',
  '#009e73',
  '#cc79a7',
  '#e69f00',
  '#56b4e9',
  '#000000',
];

/** Dash patterns to tell series of one colour apart. */
export const DASHES: readonly string[] = ['', '6 3', '2 2', '8 3 2 3'];

/**
 * The quantity a metric measures, for grouping into panels: the name without a split prefix
 * (`valid_`, `val_`, `dev_`, `test_`, `train_`, `eval_`, camelCase `valLoss`, or a path such as
 * `eval/`). `loss`, `valid_loss` and `eval/valLoss` all measure `loss`; `gradNorm` stays
 * `gradNorm` and `eval/BLEU` is `BLEU`.
 */
export function metricQuantity(name: string): string {
  const q = name.slice(name.lastIndexOf('/') + 1);
  const prefixed = /^(?:train|training|valid|validation|val|dev|test|eval)(?:[_\-.]|(?=[A-Z]))(.+)$/.exec(q);
  if (!prefixed) return q;
  const rest = prefixed[1]!;
  // valLoss → loss, but val_BLEU → BLEU.
  return /^[A-Z][a-z]/.test(rest) ? rest[0]!.toLowerCase() + rest.slice(1) : rest;
}

const MARGIN = 12;
const TICK_FONT = 11;
const LABEL_FONT = 12;
const LEGEND_FONT = 12;
const LEGEND_ROW = 18;
const PANEL_GAP = 40;

interface PanelData {
  key: string;
  series: { s: CurveSeries; points: [number, number][]; color: string; dash: string }[];
  axis: Axis;
  log: boolean;
}

/**
 * Keeps at most ~4 points per pixel column — the first, lowest, highest and last of each
 * column, in order — so a 100k-step log stays a small file and keeps its spikes.
 */
function decimate(points: [number, number][], x0: number, x1: number, columns: number): [number, number][] {
  if (points.length <= 4 * columns) return points;
  const out: [number, number][] = [];
  let bucket: [number, number][] = [];
  let current = -1;
  const flush = (): void => {
    if (bucket.length === 0) return;
    let lo = bucket[0]!;
    let hi = bucket[0]!;
    for (const p of bucket) {
      if (p[1] < lo[1]) lo = p;
      if (p[1] > hi[1]) hi = p;
    }
    const keep = new Set([bucket[0]!, lo, hi, bucket[bucket.length - 1]!]);
    for (const p of bucket) if (keep.has(p)) out.push(p);
    bucket = [];
  };
  for (const p of points) {
    const col = Math.floor(((p[0] - x0) / (x1 - x0 || 1)) * columns);
    if (col !== current) {
      flush();
      current = col;
    }
    bucket.push(p);
  }
  flush();
  return out;
}

/**
 * A standalone SVG line chart: one panel per distinct `panel` key (in order of first
 * appearance), stacked over a shared x axis, each with nice ticks, grid lines and a legend on
 * its right. Each series is a `<g class="series" data-name data-panel>` holding a polyline
 * (and point markers when it has at most 40 points, e.g. periodic evaluations).
 */
export function curvesSvg(series: readonly CurveSeries[], opts: CurvesOptions): string {
  const fn = 'curvesSvg';
  if (series.length === 0) throw new HeedError(`${fn}: no series to draw`);
  const plotW = opts.width ?? 640;
  const plotH = opts.panelHeight ?? 220;
  if (!(plotW >= 100) || !(plotH >= 60)) {
    throw new HeedError(
      `${fn}: width must be >= 100 and panelHeight >= 60 pixels, got ${plotW} and ${plotH}`,
    );
  }

  // Group into panels, assigning default colours by position within the panel.
  const groups = new Map<string, CurveSeries[]>();
  for (const s of series) {
    const key = s.panel ?? opts.yLabel;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  let xmin = Number.POSITIVE_INFINITY;
  let xmax = Number.NEGATIVE_INFINITY;
  const panels: PanelData[] = [];
  for (const [key, members] of groups) {
    const finite = members.map((s) =>
      s.points
        .filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]))
        .map((p): [number, number] => [p[0], p[1]]),
    );
    const log = (opts.logY ?? false) && finite.some((pts) => pts.some((p) => p[1] > 0));
    const shown = log ? finite.map((pts) => pts.filter((p) => p[1] > 0)) : finite;
    let ymin = Number.POSITIVE_INFINITY;
    let ymax = Number.NEGATIVE_INFINITY;
    for (const pts of shown) {
      for (const [x, y] of pts) {
        xmin = Math.min(xmin, x);
        xmax = Math.max(xmax, x);
        ymin = Math.min(ymin, y);
        ymax = Math.max(ymax, y);
      }
    }
    if (ymin > ymax) {
      ymin = 0;
      ymax = 1;
    }
    panels.push({
      key,
      log,
      axis: log ? logAxis(ymin, ymax) : linearAxis(ymin, ymax, Math.max(3, Math.round(plotH / 45))),
      series: members.map((s, k) => ({
        s,
        points: shown[k]!,
        color: s.color ?? PALETTE[k % PALETTE.length]!,
        dash: s.dash ?? DASHES[Math.floor(k / PALETTE.length) % DASHES.length]!,
      })),
    });
  }
  if (xmin > xmax) throw new HeedError(`${fn}: no finite points to draw`);
  const xAxis = linearAxis(xmin, xmax, Math.max(4, Math.round(plotW / 90)));

  // Left gutter: y-axis title (rotated) plus the widest tick label of any panel, so plots align.
  const tickW = Math.max(
    ...panels.map((p) => Math.max(...p.axis.ticks.map((t) => textWidth(p.axis.format(t), TICK_FONT)))),
  );
  const left = MARGIN + LABEL_FONT + 10 + tickW + 6;
  const legendX = left + plotW + 16;
  const legendNames = panels.flatMap((p) => p.series.map((s) => truncateText(s.s.name, LEGEND_FONT, 260)));
  const legendW = 28 + Math.max(...legendNames.map((n) => textWidth(n, LEGEND_FONT)));

  const parts: string[] = [];
  let top = MARGIN;
  let width = legendX + legendW + MARGIN;
  if (opts.title) {
    parts.push(svgText(left, top + 16, opts.title, 'font-size="16" font-weight="bold" class="title"'));
    width = Math.max(width, left + textWidth(opts.title, 16, true) + MARGIN);
    top += 16 + 14;
  }
  const sx = (x: number): number =>
    left + ((x - xAxis.domain[0]) / (xAxis.domain[1] - xAxis.domain[0])) * plotW;

  panels.forEach((panel, pi) => {
    const [d0, d1] = panel.axis.domain;
    const ty = (y: number): number => (panel.log ? Math.log10(y) : y);
    const sy = (y: number): number => top + plotH - ((ty(y) - ty(d0)) / (ty(d1) - ty(d0))) * plotH;
    const legendH = panel.series.length * LEGEND_ROW;
    const g: string[] = [`<g class="panel" data-panel="${escapeXml(panel.key)}">`];
    // Grid and ticks.
    g.push('<g class="grid" stroke="#e6e6e6" stroke-width="1" shape-rendering="crispEdges">');
    for (const t of panel.axis.ticks) g.push(`<path d="M${px(left)} ${px(sy(t))}h${px(plotW)}"/>`);
    for (const t of xAxis.ticks) g.push(`<path d="M${px(sx(t))} ${px(top)}v${px(plotH)}"/>`);
    g.push('</g>');
    g.push(`<g class="y-ticks" font-size="${TICK_FONT}" fill="#444444" text-anchor="end">`);
    for (const t of panel.axis.ticks) g.push(svgText(left - 6, sy(t), panel.axis.format(t), 'dy="0.35em"'));
    g.push('</g>');
    g.push(`<g class="x-ticks" font-size="${TICK_FONT}" fill="#444444" text-anchor="middle">`);
    for (const t of xAxis.ticks) g.push(svgText(sx(t), top + plotH + 15, xAxis.format(t)));
    g.push('</g>');
    g.push(
      `<rect x="${px(left)}" y="${px(top)}" width="${px(plotW)}" height="${px(plotH)}" fill="none" stroke="#999999" stroke-width="1" shape-rendering="crispEdges"/>`,
    );
    const yTitle = panel.log ? `${panel.key} (log scale)` : panel.key;
    g.push(
      `<text class="y-label" transform="translate(${px(MARGIN + LABEL_FONT)} ${px(top + plotH / 2)}) rotate(-90)" font-size="${LABEL_FONT}" text-anchor="middle" fill="#222222">${escapeXml(truncateText(yTitle, LABEL_FONT, plotH))}</text>`,
    );
    // Lines.
    panel.series.forEach(({ s, points, color, dash }) => {
      const drawn = decimate(points, xAxis.domain[0], xAxis.domain[1], plotW);
      const dashAttr = dash === '' ? '' : ` stroke-dasharray="${dash}"`;
      g.push(
        `<g class="series" data-name="${escapeXml(s.name)}" data-panel="${escapeXml(panel.key)}" data-points="${points.length}"><title>${escapeXml(s.name)}</title>`,
      );
      if (drawn.length >= 2) {
        const pts = drawn.map(([x, y]) => `${px(sx(x))},${px(sy(y))}`).join(' ');
        g.push(
          `<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="${points.length > plotW ? 1 : 1.6}" stroke-linejoin="round" stroke-linecap="round"${dashAttr}/>`,
        );
      }
      if (points.length <= 40) {
        for (const [x, y] of points) {
          g.push(
            `<circle cx="${px(sx(x))}" cy="${px(sy(y))}" r="2.5" fill="${color}"><title>${escapeXml(`${s.name} at ${x}: ${y}`)}</title></circle>`,
          );
        }
      }
      g.push('</g>');
    });
    // Legend, top-aligned with the panel.
    g.push(`<g class="legend" font-size="${LEGEND_FONT}" fill="#222222">`);
    panel.series.forEach(({ s, color, dash }, k) => {
      const ly = top + 8 + k * LEGEND_ROW;
      const dashAttr = dash === '' ? '' : ` stroke-dasharray="${dash}"`;
      g.push(`<path d="M${px(legendX)} ${px(ly)}h20" stroke="${color}" stroke-width="2"${dashAttr}/>`);
      g.push(svgText(legendX + 26, ly, truncateText(s.name, LEGEND_FONT, 260), 'dy="0.35em"'));
    });
    g.push('</g>');
    g.push('</g>');
    parts.push(g.join('\n'));
    top += Math.max(plotH, legendH) + 15;
    if (pi < panels.length - 1) top += PANEL_GAP - 15 + 8;
  });
  parts.push(
    svgText(
      left + plotW / 2,
      top + 22,
      opts.xLabel,
      `font-size="${LABEL_FONT}" text-anchor="middle" fill="#222222" class="x-label"`,
    ),
  );
  top += 22;
  return svgDocument(width, top + MARGIN, parts.join('\n'));
}
