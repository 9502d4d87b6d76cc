import { extname } from 'node:path';
import { HeedError } from '../util/errors.js';
import { type Line, readLines } from './lines.js';
import { describeJson, isRecord, show } from './validate.js';

/**
 * Readers for the usual NLP data files: parallel TSV (or one file per language, as JoeyNMT),
 * labelled TSV / JSON Lines, and plain text. All are UTF-8 with LF or CRLF endings and an
 * optional byte-order mark; blank lines (including trailing ones) are skipped silently.
 *
 * A line that cannot be read as asked is a problem `path:line: what was wrong`. With
 * `onError: 'skip'` (the default) the line is left out and the problem is collected in the
 * result's `problems`; with `onError: 'fail'` the first problem is thrown as a HeedError with
 * that text. An empty file gives an empty result, not an error: the caller knows whether that is
 * acceptable.
 */

/** A line that was left out, and why. */
export interface LoadProblem {
  path: string;
  line: number;
  message: string;
}

export type OnError = 'skip' | 'fail';

/** `data/train.tsv:17: expected 2 tab-separated columns, got 1` */
export function formatProblem(p: LoadProblem): string {
  return `${p.path}:${p.line}: ${p.message}`;
}

/** The first `limit` problems, one per line, then `... and N more` (empty string when none). */
export function formatProblems(problems: readonly LoadProblem[], limit = 10): string {
  const lines = problems.slice(0, limit).map(formatProblem);
  if (problems.length > limit) lines.push(`... and ${problems.length - limit} more`);
  return lines.join('\n');
}

/** Collects problems, or throws the first one. */
class Problems {
  readonly list: LoadProblem[] = [];
  constructor(private readonly onError: OnError) {
    if (onError !== 'skip' && onError !== 'fail') {
      throw new HeedError(`onError must be 'skip' | 'fail', got ${show(onError)}`);
    }
  }

  report(path: string, line: number, message: string): void {
    const p = { path, line, message };
    if (this.onError === 'fail') throw new HeedError(formatProblem(p));
    this.list.push(p);
  }
}

/** Counts whitespace-separated words, as Moses' clean-corpus-n.perl measures sentence length. */
export function wordCount(text: string): number {
  const t = text.trim();
  return t === '' ? 0 : t.split(/\s+/u).length;
}

export interface ParallelPair {
  src: string;
  tgt: string;
}

export interface ParallelOptions {
  /** Default 'skip'. */
  onError?: OnError;
  /** Pairs with a side longer than this (by `lengthOf`) are left out and counted in `tooLong`. */
  maxLength?: number;
  /** Length of a side for `maxLength`. Default: whitespace-separated words. */
  lengthOf?: (text: string) => number;
}

export interface ParallelTsvOptions extends ParallelOptions {
  /** 0-based column of the source text. Default 0. */
  srcColumn?: number;
  /** 0-based column of the target text. Default 1. */
  tgtColumn?: number;
  /**
   * Exact number of tab-separated columns a line must have. Default: just enough for the source
   * and target columns (2), so a stray tab inside a sentence is caught rather than shifting text.
   */
  columns?: number;
}

export interface ParallelData {
  pairs: ParallelPair[];
  /** Lines left out as malformed (empty with onError 'fail'). */
  problems: LoadProblem[];
  /** Well-formed pairs left out by maxLength (not problems). */
  tooLong: number;
}

/**
 * Source/target pairs from a TSV file, one pair per line. Fields are trimmed; a line with the
 * wrong number of columns or an empty source or target is a problem.
 */
export function readParallelTsv(path: string, options: ParallelTsvOptions = {}): ParallelData {
  const srcColumn = columnOption(options.srcColumn, 0, 'srcColumn');
  const tgtColumn = columnOption(options.tgtColumn, 1, 'tgtColumn');
  if (srcColumn === tgtColumn)
    throw new HeedError(`readParallelTsv: srcColumn and tgtColumn are both ${srcColumn}`);
  const columns = options.columns ?? Math.max(srcColumn, tgtColumn) + 1;
  if (!Number.isInteger(columns) || columns <= Math.max(srcColumn, tgtColumn)) {
    throw new HeedError(
      `readParallelTsv: columns ${columns} does not cover columns ${srcColumn} and ${tgtColumn}`,
    );
  }
  const problems = new Problems(options.onError ?? 'skip');
  const keep = lengthFilter(options);
  const pairs: ParallelPair[] = [];
  let tooLong = 0;
  for (const line of readLines(path)) {
    const text = usable(line, path, problems);
    if (text === undefined) continue;
    const fields = text.split('\t');
    if (fields.length !== columns) {
      problems.report(path, line.lineNo, `expected ${columns} tab-separated columns, got ${fields.length}`);
      continue;
    }
    const src = fields[srcColumn].trim();
    const tgt = fields[tgtColumn].trim();
    if (src === '' || tgt === '') {
      problems.report(path, line.lineNo, `the ${src === '' ? 'source' : 'target'} is empty`);
      continue;
    }
    if (keep(src, tgt)) pairs.push({ src, tgt });
    else tooLong++;
  }
  return { pairs, problems: problems.list, tooLong };
}

/**
 * Source/target pairs from two line-aligned files (JoeyNMT's train.de + train.en). Line i of
 * one is the translation of line i of the other; a line blank on one side only is a problem
 * (reported against the blank file), and files of different lengths are an error, since no pair
 * after the first missing line could be trusted.
 */
export function readParallelFiles(
  srcPath: string,
  tgtPath: string,
  options: ParallelOptions = {},
): ParallelData {
  const problems = new Problems(options.onError ?? 'skip');
  const keep = lengthFilter(options);
  const pairs: ParallelPair[] = [];
  let tooLong = 0;
  const srcLines = readLines(srcPath);
  const tgtLines = readLines(tgtPath);
  try {
    let count = 0;
    for (;;) {
      const s = srcLines.next();
      const t = tgtLines.next();
      if (s.done && t.done) break;
      if (s.done || t.done) {
        const extra = s.done
          ? t.done
            ? 0
            : linesToLastText(t.value, tgtLines)
          : linesToLastText(s.value, srcLines);
        if (extra > 0) {
          const [longPath, shortPath] = s.done ? [tgtPath, srcPath] : [srcPath, tgtPath];
          throw new HeedError(
            `${shortPath} has ${count} lines but ${longPath} has ${count + extra}: the files are not aligned`,
          );
        }
        break;
      }
      count++;
      const src = s.value.text;
      const tgt = t.value.text;
      if (src === null || tgt === null) {
        problems.report(src === null ? srcPath : tgtPath, count, 'not valid UTF-8');
        continue;
      }
      const [a, b] = [src.trim(), tgt.trim()];
      if (a === '' && b === '') continue;
      if (a === '' || b === '') {
        problems.report(
          a === '' ? srcPath : tgtPath,
          count,
          `empty line, but line ${count} of ${a === '' ? tgtPath : srcPath} is not`,
        );
        continue;
      }
      if (keep(a, b)) pairs.push({ src: a, tgt: b });
      else tooLong++;
    }
  } finally {
    srcLines.return();
    tgtLines.return();
  }
  return { pairs, problems: problems.list, tooLong };
}

export interface LabelledExample {
  text: string;
  label: string;
}

export interface LabelledOptions {
  /** Default: from the extension (.tsv/.tab → 'tsv', .jsonl/.ndjson → 'jsonl'). */
  format?: 'tsv' | 'jsonl';
  /** Default 'skip'. */
  onError?: OnError;
  /** TSV: 0-based column of the label. Default 0. */
  labelColumn?: number;
  /** TSV: 0-based column of the text. Default 1. */
  textColumn?: number;
  /** JSONL: field holding the text. Default 'text'. */
  textField?: string;
  /** JSONL: field holding the label (a string, number or boolean; kept as a string). Default 'label'. */
  labelField?: string;
}

export interface LabelledData {
  examples: LabelledExample[];
  /** The distinct labels, sorted (numerically when every label is a number): index = class id. */
  labels: string[];
  problems: LoadProblem[];
}

/** Text-classification examples from `label<TAB>text` TSV or JSON Lines. */
export function readLabelled(path: string, options: LabelledOptions = {}): LabelledData {
  const format = options.format ?? formatFromExtension(path);
  const problems = new Problems(options.onError ?? 'skip');
  const examples: LabelledExample[] = [];
  const parse = format === 'tsv' ? tsvLabelled(options) : jsonlLabelled(options);
  for (const line of readLines(path)) {
    const text = usable(line, path, problems);
    if (text === undefined) continue;
    const parsed = parse(text);
    if (typeof parsed === 'string') problems.report(path, line.lineNo, parsed);
    else examples.push(parsed);
  }
  return { examples, labels: sortLabels(new Set(examples.map((e) => e.label))), problems: problems.list };
}

export interface PlainTextOptions {
  /** Leave out blank lines. Default true (trailing blank lines are always left out). */
  skipEmpty?: boolean;
  /** Default 'skip'. */
  onError?: OnError;
}

export interface PlainTextData {
  lines: string[];
  problems: LoadProblem[];
}

/** The lines of a text file (for language modelling or tokenizer training). */
export function readPlainText(path: string, options: PlainTextOptions = {}): PlainTextData {
  const problems = new Problems(options.onError ?? 'skip');
  const skipEmpty = options.skipEmpty ?? true;
  const lines: string[] = [];
  for (const line of readLines(path)) {
    if (line.text === null) problems.report(path, line.lineNo, 'not valid UTF-8');
    else if (!skipEmpty || line.text.trim() !== '') lines.push(line.text);
  }
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  return { lines, problems: problems.list };
}

/** The line's text, or undefined when it is blank (skipped silently) or not UTF-8 (a problem). */
function usable(line: Line, path: string, problems: Problems): string | undefined {
  if (line.text === null) {
    problems.report(path, line.lineNo, 'not valid UTF-8');
    return undefined;
  }
  return line.text.trim() === '' ? undefined : line.text;
}

/** How many lines from `first` to the last line that is not blank (0 when all are blank). */
function linesToLastText(first: Line, rest: Iterator<Line>): number {
  let n = 0;
  let last = 0;
  for (let r: IteratorResult<Line> = { done: false, value: first }; !r.done; r = rest.next()) {
    n++;
    if (r.value.text === null || r.value.text.trim() !== '') last = n;
  }
  return last;
}

function columnOption(v: number | undefined, fallback: number, name: string): number {
  const c = v ?? fallback;
  if (!Number.isInteger(c) || c < 0) throw new HeedError(`${name} must be a non-negative integer, got ${c}`);
  return c;
}

function lengthFilter(options: ParallelOptions): (src: string, tgt: string) => boolean {
  const { maxLength } = options;
  if (maxLength === undefined) return () => true;
  if (!(maxLength > 0)) throw new HeedError(`maxLength must be positive, got ${maxLength}`);
  const lengthOf = options.lengthOf ?? wordCount;
  return (src, tgt) => lengthOf(src) <= maxLength && lengthOf(tgt) <= maxLength;
}

function formatFromExtension(path: string): 'tsv' | 'jsonl' {
  const ext = extname(path).toLowerCase();
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new HeedError(`cannot tell the format of ${path} from its extension; pass format: 'tsv' or 'jsonl'`);
}

type LineParser = (text: string) => LabelledExample | string;

function tsvLabelled(options: LabelledOptions): LineParser {
  const labelColumn = columnOption(options.labelColumn, 0, 'labelColumn');
  const textColumn = columnOption(options.textColumn, 1, 'textColumn');
  if (labelColumn === textColumn) throw new HeedError(`labelColumn and textColumn are both ${labelColumn}`);
  const columns = Math.max(labelColumn, textColumn) + 1;
  return (line) => {
    const fields = line.split('\t');
    if (fields.length !== columns) return `expected ${columns} tab-separated columns, got ${fields.length}`;
    const label = fields[labelColumn].trim();
    const text = fields[textColumn].trim();
    if (label === '') return 'the label is empty';
    if (text === '') return 'the text is empty';
    return { text, label };
  };
}

function jsonlLabelled(options: LabelledOptions): LineParser {
  const textField = options.textField ?? 'text';
  const labelField = options.labelField ?? 'label';
  return (line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      return `invalid JSON (${e instanceof Error ? e.message : String(e)})`;
    }
    if (!isRecord(value)) return `expected a JSON object, got ${describeJson(value)}`;
    if (!(textField in value)) return `no "${textField}" field`;
    if (!(labelField in value)) return `no "${labelField}" field`;
    const text = value[textField];
    const label = value[labelField];
    if (typeof text !== 'string') return `"${textField}" must be a string, got ${describeJson(text)}`;
    if (text.trim() === '') return `"${textField}" is empty`;
    if (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean') {
      return `"${labelField}" must be a string, number or boolean, got ${describeJson(label)}`;
    }
    const labelText = String(label).trim();
    if (labelText === '') return `"${labelField}" is empty`;
    return { text: text.trim(), label: labelText };
  };
}

function sortLabels(labels: Set<string>): string[] {
  const list = [...labels];
  const numeric = list.every((l) => /^-?\d+(\.\d+)?$/.test(l));
  return numeric
    ? list.sort((a, b) => Number(a) - Number(b))
    : list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
