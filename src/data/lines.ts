import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { HeedError } from '../util/errors.js';
import { fsReason } from './validate.js';

/** One line of a text file; `text` is null when the line is not valid UTF-8. */
export interface Line {
  /** 1-based, as editors and `file:line:` messages count. */
  lineNo: number;
  text: string | null;
}

const CHUNK = 1 << 16;
const LF = 0x0a;
const CR = 0x0d;

/**
 * The lines of a UTF-8 file, read in 64 KiB chunks (so a corpus larger than a JavaScript string
 * can hold still streams). Handles a UTF-8 byte-order mark on the first line, CRLF or LF endings,
 * and a last line with or without a final newline. Each line is decoded on its own, so invalid
 * UTF-8 is reported for that line (text null) rather than replaced by U+FFFD or failing the file.
 * A missing or unreadable file is a one-line HeedError that names the path. A path ending in
 * `.gz` is gunzipped first (the shipped corpora are gzip-compressed).
 */
export function* readLines(path: string): Generator<Line, void, undefined> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new HeedError(`cannot read ${path}: ${fsReason(e)}`);
  }
  // ignoreBOM: a U+FEFF inside the file is kept; only the one starting the file is dropped below.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const decode = (bytes: Uint8Array, lineNo: number): Line => {
    const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(0, end));
    } catch {
      return { lineNo, text: null };
    }
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { lineNo, text };
  };
  try {
    let pending: Uint8Array[] = []; // the start of a line that runs past the chunk
    let lineNo = 0;
    for (const buf of chunks(fd, path)) {
      const n = buf.length;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(LF, start);
        if (nl === -1) {
          if (start < n) pending.push(buf.slice(start, n));
          break;
        }
        const part = buf.subarray(start, nl);
        const line = pending.length === 0 ? part : concat([...pending, part]);
        pending = [];
        yield decode(line, ++lineNo);
        start = nl + 1;
      }
    }
    if (pending.length > 0) yield decode(concat(pending), ++lineNo);
  } finally {
    closeSync(fd);
  }
}

/** The file's bytes in chunks (a reused buffer), or all at once after gunzip for `.gz`. */
function* chunks(fd: number, path: string): Generator<Uint8Array, void, undefined> {
  if (path.endsWith('.gz')) {
    let data: Uint8Array;
    try {
      data = gunzipSync(readFileSync(fd));
    } catch (e) {
      throw new HeedError(
        `cannot read ${path}: not valid gzip data (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    yield data;
    return;
  }
  const buf = new Uint8Array(CHUNK);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, CHUNK, null);
    } catch (e) {
      throw new HeedError(`cannot read ${path}: ${fsReason(e)}`);
    }
    if (n === 0) return;
    yield buf.subarray(0, n);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let k = 0;
  for (const p of parts) {
    out.set(p, k);
    k += p.length;
  }
  return out;
}
