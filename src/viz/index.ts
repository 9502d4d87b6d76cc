/**
 * Figures of attention and training: heatmaps of attention weights, token shading for
 * attention pooling, training curves from JSONL logs, and PNG/SVG output.
 */
export { COLOR_MAPS, type ColorMapName, colorAt, hex } from './colormap.js';
export {
  type CurveSeries,
  type CurvesOptions,
  curvesSvg,
  DASHES,
  metricQuantity,
  PALETTE,
} from './curves.js';
export {
  attentionMatrix,
  type HeatmapGridOptions,
  type HeatmapMap,
  type HeatmapOptions,
  heatmapGridSvg,
  heatmapSvg,
} from './heatmap.js';
export { IMAGE_EXTENSIONS, type PngOptions, svgToPng, writeImage } from './png.js';
export { escapeXml } from './svg.js';
export { type Axis, linearAxis, logAxis } from './ticks.js';
export { type TokenShadingOptions, tokenShadingAnsi, tokenShadingHtml, tokenShadingSvg } from './tokens.js';
export {
  BOOKKEEPING_FIELDS,
  type Point,
  parseTrainingLog,
  readTrainingLog,
  type TrainingLog,
} from './training-log.js';
