/**
 * Text with each token's background shaded by its attention weight: the usual picture of
 * attention pooling in a classifier (which words the model read the label from). As SVG (lines
 * wrapped to a width), HTML (inline spans) and ANSI (24-bit colour for terminals).
 */
import { HeedError } from '../util/errors.js';
import { hex, interpolateStops, type Rgb, textColorOver } from './colormap.js';
import { escapeXml, px, svgDocument, svgText, textWidth, truncateText } from './svg.js';

export interface TokenShadingOptions {
  title?: string;
  /** Width of the SVG in pixels (default 720); lines wrap to fit. */
  width?: number;
  /** The weight shaded darkest; default the largest weight (1 if all are 0). */
  vmax?: number;
}

/**
 * White → orange: black text stays readable on every shade, which a dark-to-bright map such as
 * viridis would not allow.
 */
const SHADE_STOPS: readonly Rgb[] = [
  [255, 255, 255],
  [253, 208, 162],
  [253, 141, 60],
];

const FONT = 16;
const PAD_X = 3;
const BOX_H = 24;
const LINE_H = 30;
const GAP = 5;
const MARGIN = 12;

function checkTokens(
  fn: string,
  tokens: readonly string[],
  weights: readonly number[],
  vmax?: number,
): number {
  if (tokens.length !== weights.length) {
    throw new HeedError(`${fn}: ${tokens.length} tokens but ${weights.length} weights`);
  }
  let max = 0;
  weights.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new HeedError(`${fn}: weight ${i} ('${tokens[i]}') is ${w}; weights must be finite and >= 0`);
    }
    max = Math.max(max, w);
  });
  if (vmax === undefined) return max > 0 ? max : 1;
  if (!Number.isFinite(vmax) || vmax <= 0) throw new HeedError(`${fn}: vmax must be > 0, got ${vmax}`);
  return vmax;
}

/** The background colour of a token of weight `w`. */
export function tokenShade(w: number, vmax: number): Rgb {
  return interpolateStops(SHADE_STOPS, w / vmax);
}

/** A token as displayed: an empty token or one of only spaces is shown as '␣'. */
function displayToken(t: string): string {
  return t.trim() === '' ? '␣' : t;
}

/**
 * SVG of the tokens in reading order, wrapped into lines, each on a background shaded by its
 * weight (white = 0, orange = vmax). Each token is a `<g class="token" data-index data-weight>`
 * holding a `<title>` tooltip, a `<rect class="token-bg">` and its `<text>`.
 */
export function tokenShadingSvg(
  tokens: readonly string[],
  weights: readonly number[],
  opts: TokenShadingOptions = {},
): string {
  const fn = 'tokenShadingSvg';
  const vmax = checkTokens(fn, tokens, weights, opts.vmax);
  const width = opts.width ?? 720;
  if (!Number.isFinite(width) || width < 100)
    throw new HeedError(`${fn}: width must be >= 100 pixels, got ${width}`);
  const inner = width - 2 * MARGIN;
  const parts: string[] = [];
  let y = MARGIN;
  if (opts.title) {
    parts.push(svgText(MARGIN, y + 15, opts.title, 'font-size="15" font-weight="bold" class="title"'));
    y += 15 + 12;
  }
  let x = 0;
  parts.push(`<g class="tokens" font-size="${FONT}">`);
  tokens.forEach((token, i) => {
    const shown = truncateText(displayToken(token), FONT, inner - 2 * PAD_X);
    const boxW = textWidth(shown, FONT) + 2 * PAD_X;
    if (x > 0 && x + boxW > inner) {
      x = 0;
      y += LINE_H;
    }
    const w = weights[i]!;
    const shade = tokenShade(w, vmax);
    const bx = MARGIN + x;
    parts.push(
      [
        `<g class="token" data-index="${i}" data-weight="${w}">`,
        `<title>${escapeXml(`${token}: ${w.toFixed(4)}`)}</title>`,
        `<rect class="token-bg" x="${px(bx)}" y="${px(y)}" width="${px(boxW)}" height="${BOX_H}" rx="3" fill="${hex(shade)}"/>`,
        svgText(bx + PAD_X, y + BOX_H / 2, shown, `dy="0.35em" fill="${textColorOver(shade)}"`),
        '</g>',
      ].join(''),
    );
    x += boxW + GAP;
  });
  parts.push('</g>');
  y += BOX_H + 14;

  // A small scale: 0 … vmax.
  const barW = 120;
  const legendFont = 11;
  const top = String(Number(vmax.toPrecision(3)));
  parts.push(
    '<defs><linearGradient id="heed-token-shade" x1="0" y1="0" x2="1" y2="0">',
    SHADE_STOPS.map((c, k) => `<stop offset="${k / (SHADE_STOPS.length - 1)}" stop-color="${hex(c)}"/>`).join(
      '',
    ),
    '</linearGradient></defs>',
    `<g class="legend" font-size="${legendFont}" fill="#444444">`,
    svgText(MARGIN, y + 9, 'weight 0', 'dy="0.35em"'),
    `<rect x="${px(MARGIN + textWidth('weight 0', legendFont) + 6)}" y="${px(y + 3)}" width="${barW}" height="12" fill="url(#heed-token-shade)" stroke="#999999" stroke-width="0.5"/>`,
    svgText(MARGIN + textWidth('weight 0', legendFont) + 12 + barW, y + 9, top, 'dy="0.35em"'),
    '</g>',
  );
  y += 18;
  return svgDocument(width, y + MARGIN, parts.join('\n'));
}

function escapeHtml(text: string): string {
  return escapeXml(text);
}

/**
 * The same shading as HTML: a `<div class="heed-tokens">` of `<span class="token">`s separated
 * by spaces, each with an inline background colour, `data-weight` and a `title` tooltip.
 * Text colour is set too, so that the fragment reads on dark pages.
 */
export function tokenShadingHtml(
  tokens: readonly string[],
  weights: readonly number[],
  opts: Pick<TokenShadingOptions, 'title' | 'vmax'> = {},
): string {
  const vmax = checkTokens('tokenShadingHtml', tokens, weights, opts.vmax);
  const spans = tokens.map((token, i) => {
    const w = weights[i]!;
    const shade = tokenShade(w, vmax);
    return `<span class="token" data-index="${i}" data-weight="${w}" title="${escapeHtml(`${token}: ${w.toFixed(4)}`)}" style="background-color:${hex(shade)};color:${textColorOver(shade)};padding:1px 3px;border-radius:3px">${escapeHtml(displayToken(token))}</span>`;
  });
  const title = opts.title
    ? `<div class="heed-title" style="font-weight:bold;margin-bottom:6px">${escapeHtml(opts.title)}</div>`
    : '';
  return `<div class="heed-tokens" style="font-family:sans-serif;line-height:1.9">${title}${spans.join(' ')}</div>\n`;
}

/**
 * The same shading for a terminal: each token on a 24-bit ANSI background colour, with black
 * text, separated by spaces. Terminals without true colour show the nearest colour they have.
 */
export function tokenShadingAnsi(
  tokens: readonly string[],
  weights: readonly number[],
  opts: { vmax?: number } = {},
): string {
  const vmax = checkTokens('tokenShadingAnsi', tokens, weights, opts.vmax);
  return tokens
    .map((token, i) => {
      const [r, g, b] = tokenShade(weights[i]!, vmax);
      return `\x1b[48;2;${r};${g};${b}m\x1b[38;2;0;0;0m${displayToken(token)}\x1b[0m`;
    })
    .join(' ');
}
