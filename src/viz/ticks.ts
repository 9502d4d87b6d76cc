/**
 * Axis ticks at "nice" numbers (1, 2 or 5 times a power of ten; Heckbert, "Nice numbers for
 * graph labels", Graphics Gems, 1990) and their labels.
 */

export interface Axis {
  /** The drawn range: the data range widened to whole ticks. */
  domain: [number, number];
  ticks: number[];
  /** Formats a tick value (or any value on this axis) for a label. */
  format: (v: number) => string;
}

/** A nice step near `span / count`: 1, 2 or 5 × 10^e, whichever is nearest on a log scale. */
function niceStep(span: number, count: number): { mantissa: number; exponent: number } {
  const raw = span / count;
  let exponent = Math.floor(Math.log10(raw));
  const f = raw / 10 ** exponent;
  // Thresholds at the geometric means √2, √10, √50 between the candidates (as d3 does).
  let mantissa = f >= Math.sqrt(50) ? 10 : f >= Math.sqrt(10) ? 5 : f >= Math.SQRT2 ? 2 : 1;
  if (mantissa === 10) {
    mantissa = 1;
    exponent += 1;
  }
  return { mantissa, exponent };
}

/** k × mantissa × 10^exponent computed so that 0.1-steps come out as 0.3, not 0.30000000000000004. */
function stepValue(k: number, mantissa: number, exponent: number): number {
  return exponent >= 0 ? k * mantissa * 10 ** exponent : (k * mantissa) / 10 ** -exponent;
}

/** Widens a degenerate range (one value) so that it can be drawn. */
function spread(min: number, max: number): [number, number] {
  if (max > min) return [min, max];
  const d = min === 0 ? 1 : Math.abs(min) * 0.1;
  return [min - d, max + d];
}

/** Labels a value with thousands as k, millions as M, and tiny steps in exponent form. */
export function formatNumber(v: number, exponent: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (exponent >= 3 && a >= 1e4) {
    const [unit, div] = a >= 1e9 ? ['G', 1e9] : a >= 1e6 ? ['M', 1e6] : ['k', 1e3];
    return `${Number((v / div).toPrecision(12))}${unit}`;
  }
  if (exponent < -4 || a < 1e-4) return Number(v.toPrecision(12)).toExponential();
  return v.toFixed(Math.max(0, -exponent));
}

/** A linear axis over [min, max] with about `count` ticks. */
export function linearAxis(min: number, max: number, count = 5): Axis {
  const [lo, hi] = spread(min, max);
  const { mantissa, exponent } = niceStep(hi - lo, count);
  const step = stepValue(1, mantissa, exponent);
  const k0 = Math.floor(lo / step + 1e-9);
  const k1 = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = k0; k <= k1; k++) ticks.push(stepValue(k, mantissa, exponent));
  return {
    domain: [ticks[0]!, ticks[ticks.length - 1]!],
    ticks,
    format: (v) => formatNumber(v, exponent),
  };
}

/**
 * A base-10 log axis over [min, max] (both > 0), widened to whole decades. Ticks are the
 * powers of ten, with 2× and 5× between them when the range spans at most two decades.
 */
export function logAxis(min: number, max: number): Axis {
  if (!(min > 0) || !(max > 0)) throw new RangeError(`logAxis: needs positive bounds, got [${min}, ${max}]`);
  const e0 = Math.floor(Math.log10(min) + 1e-9);
  let e1 = Math.ceil(Math.log10(max) - 1e-9);
  if (e1 === e0) e1 += 1;
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e++) {
    ticks.push(stepValue(1, 1, e));
    if (e1 - e0 <= 2 && e < e1) ticks.push(stepValue(2, 1, e), stepValue(5, 1, e));
  }
  // One style per axis: plain numbers when every tick reads well that way, else exponents.
  const plain = ticks.every((t) => t >= 1e-3 && t < 1e5);
  const format = (v: number): string => {
    if (plain) return String(Number(v.toPrecision(6)));
    return Number(v.toPrecision(6)).toExponential().replace('e+', 'e');
  };
  return { domain: [ticks[0]!, ticks[ticks.length - 1]!], ticks, format };
}
