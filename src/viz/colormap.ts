/**
 * Sequential colour maps for attention weights: both run dark to bright, so a brighter cell
 * means more attention, as in Bahdanau et al.'s alignment figures (seed 003).
 */

/** `viridis` (default) is perceptually uniform and readable in grayscale; `gray` is black → white. */
export type ColorMapName = 'viridis' | 'gray';

export const COLOR_MAPS: readonly ColorMapName[] = ['viridis', 'gray'];

export type Rgb = readonly [number, number, number];

/** matplotlib's viridis sampled at 0, 0.1, …, 1; colours between are interpolated. */
const VIRIDIS: readonly Rgb[] = [
  '440154',
  '482475',
  '414487',
  '355f8d',
  '2a788e',
  '21918c',
  '22a884',
  '44bf70',
  '7ad151',
  'bddf26',
  'fde725',
].map(parseHex);

const GRAY: readonly Rgb[] = [
  [0, 0, 0],
  [255, 255, 255],
];

function parseHex(hex: string): Rgb {
  return [
    Number.parseInt(hex.slice(0, 2), 16),
    Number.parseInt(hex.slice(2, 4), 16),
    Number.parseInt(hex.slice(4, 6), 16),
  ];
}

function stopsOf(name: ColorMapName): readonly Rgb[] {
  return name === 'gray' ? GRAY : VIRIDIS;
}

/** Linear interpolation between evenly spaced colour stops; `t` is clamped to [0, 1]. */
export function interpolateStops(stops: readonly Rgb[], t: number): Rgb {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const pos = u * (stops.length - 1);
  const i = Math.min(Math.floor(pos), stops.length - 2);
  const f = pos - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

/** The colour of `t` ∈ [0, 1] in a named map. */
export function colorAt(name: ColorMapName, t: number): Rgb {
  return interpolateStops(stopsOf(name), t);
}

/** `#rrggbb`. */
export function hex(c: Rgb): string {
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG relative luminance in [0, 1]: picks black or white text over a colour. */
export function luminance(c: Rgb): number {
  const linear = (v: number): number => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(c[0]) + 0.7152 * linear(c[1]) + 0.0722 * linear(c[2]);
}

/** Black or white, whichever reads better over `c`. */
export function textColorOver(c: Rgb): string {
  return luminance(c) > 0.3 ? '#000000' : '#ffffff';
}

/** `<stop>` elements for a vertical or horizontal gradient that reproduces the map. */
export function gradientStops(stops: readonly Rgb[]): string {
  const n = Math.max(stops.length, 11);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = i / (n - 1);
    out.push(
      `<stop offset="${Math.round(t * 1000) / 1000}" stop-color="${hex(interpolateStops(stops, t))}"/>`,
    );
  }
  return out.join('');
}

/** The stops of a named map, for `gradientStops`. */
export function mapStops(name: ColorMapName): readonly Rgb[] {
  return stopsOf(name);
}
