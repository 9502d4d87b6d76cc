/**
 * Rasterising figures to PNG with resvg (a Rust SVG renderer shipped prebuilt in npm packages),
 * and writing figures to .svg or .png files.
 */
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { writeFileAtomic } from '../io/atomic.js';
import { HeedError } from '../util/errors.js';

type ResvgModule = typeof import('@resvg/resvg-js');

export interface PngOptions {
  /** Pixels per SVG unit (default 1; 2 for high-density screens and print). */
  scale?: number;
}

/** The largest side of a PNG we render, in pixels (resvg allocates width × height × 4 bytes). */
const MAX_SIDE = 16384;

let resvg: ResvgModule | null = null;

/**
 * Loads resvg on first use, so that importing heed does not load a native renderer that only
 * PNG output needs, and a platform without a prebuilt one fails only there, with advice.
 */
function loadResvg(): ResvgModule {
  if (resvg === null) {
    try {
      const mod: ResvgModule = createRequire(import.meta.url)('@resvg/resvg-js');
      resvg = mod;
    } catch (e) {
      throw new HeedError(
        `PNG output needs @resvg/resvg-js, which did not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); write an .svg file instead`,
      );
    }
  }
  return resvg;
}

/**
 * Renders an SVG to PNG bytes. Text uses the system's fonts, DejaVu Sans by preference (the
 * font heed's layouts are measured in), falling back to the SVG's other font-family entries.
 */
export function svgToPng(svg: string, opts: PngOptions = {}): Buffer {
  const scale = opts.scale ?? 1;
  if (!Number.isFinite(scale) || scale <= 0) throw new HeedError(`svgToPng: scale must be > 0, got ${scale}`);
  const { Resvg } = loadResvg();
  const options: ResvgRenderOptions = {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    logLevel: 'off',
  };
  let renderer: InstanceType<ResvgModule['Resvg']>;
  try {
    renderer = new Resvg(svg, options);
  } catch (e) {
    throw new HeedError(`svgToPng: not a valid SVG (${e instanceof Error ? e.message : String(e)})`);
  }
  const w = Math.ceil(renderer.width * scale);
  const h = Math.ceil(renderer.height * scale);
  if (w > MAX_SIDE || h > MAX_SIDE) {
    throw new HeedError(
      `svgToPng: a ${w}×${h} PNG is too large (at most ${MAX_SIDE} pixels a side); lower the scale`,
    );
  }
  return renderer.render().asPng();
}

/** The file types writeImage accepts. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.svg', '.png'];

/**
 * Writes a figure by the path's extension: `.svg` as is, `.png` rasterised with svgToPng.
 * The file is replaced atomically (temporary file, then rename), so a reader never sees half
 * a figure.
 */
export function writeImage(path: string, svg: string, opts: PngOptions = {}): void {
  const ext = extname(path).toLowerCase();
  if (ext === '.svg') writeFileAtomic(path, svg);
  else if (ext === '.png') writeFileAtomic(path, svgToPng(svg, opts));
  else {
    throw new HeedError(
      `cannot write image '${path}': unknown extension '${ext || '(none)'}'; use ${IMAGE_EXTENSIONS.join(' or ')}`,
    );
  }
}
