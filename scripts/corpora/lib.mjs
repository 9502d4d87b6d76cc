/**
 * Small helpers shared by the corpus extraction scripts in this folder.
 *
 * Everything here is deterministic: no clocks, no locale-dependent sorting, gzip with mtime 0.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';

/** Repository root (two levels above this file). */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Run a command, inheriting stderr; throw with its output if it fails. Returns stdout as text. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
  return r.stdout ?? '';
}

/** A fresh temporary directory; removed by the returned `cleanup` unless HEED_KEEP_TMP=1. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `heed-${prefix}-`));
  const cleanup = () => {
    if (process.env.HEED_KEEP_TMP === '1') console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  return { dir, cleanup };
}

/**
 * Install one npm package into a throw-away prefix (never into the project) and return the
 * absolute path of the installed package directory plus its package.json.
 */
export function npmInstallTemp(dir, spec) {
  run('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', '--ignore-scripts', spec], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const name = spec.replace(/(.)@[^/]*$/, '$1');
  const pkgDir = join(dir, 'node_modules', ...name.split('/'));
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  return { pkgDir, pkg };
}

/** sha256 hex of a string or buffer. */
export function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * gzip `text` (UTF-8) at level 9 and write it to `path`. Node's gzip header carries mtime 0 and no
 * file name, so the same input gives the same bytes with the same Node/zlib build.
 * Returns {bytes, gzBytes, sha256 (of the uncompressed UTF-8), gzSha256}.
 */
export function writeGz(path, text) {
  const raw = Buffer.from(text, 'utf8');
  const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION });
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, gz);
  return { bytes: raw.length, gzBytes: gz.length, sha256: sha256(raw), gzSha256: sha256(gz) };
}

/** Write a text file, creating its folder. */
export function writeText(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Plain code-unit string comparison (never localeCompare: that depends on the ICU build). */
export function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** mulberry32 PRNG seeded from a 32-bit integer; returns floats in [0, 1). */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** In-place Fisher–Yates shuffle driven by `rand`. */
export function shuffle(arr, rand) {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return arr;
}

const NAMED = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  ndash: '\u2013',
  mdash: '\u2014',
  hellip: '\u2026',
  lsquo: '\u2018',
  rsquo: '\u2019',
  ldquo: '\u201c',
  rdquo: '\u201d',
  laquo: '\u00ab',
  raquo: '\u00bb',
  copy: '\u00a9',
  reg: '\u00ae',
  trade: '\u2122',
  euro: '\u20ac',
  pound: '\u00a3',
  yen: '\u00a5',
  cent: '\u00a2',
  deg: '\u00b0',
  middot: '\u00b7',
  bull: '\u2022',
  times: '\u00d7',
  divide: '\u00f7',
  shy: '\u00ad',
  iexcl: '\u00a1',
  iquest: '\u00bf',
  sect: '\u00a7',
  para: '\u00b6',
  eacute: '\u00e9',
  egrave: '\u00e8',
  ecirc: '\u00ea',
  agrave: '\u00e0',
  acirc: '\u00e2',
  ccedil: '\u00e7',
  ocirc: '\u00f4',
  ucirc: '\u00fb',
  ugrave: '\u00f9',
  icirc: '\u00ee',
  iuml: '\u00ef',
  euml: '\u00eb',
  auml: '\u00e4',
  ouml: '\u00f6',
  uuml: '\u00fc',
  szlig: '\u00df',
  ntilde: '\u00f1',
  aacute: '\u00e1',
  iacute: '\u00ed',
  oacute: '\u00f3',
  uacute: '\u00fa',
};

/** Decode HTML character references: the common named ones and all numeric ones. */
export function decodeEntities(s) {
  return s.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z][a-zA-Z0-9]*);/g, (m, body) => {
    if (body[0] === '#') {
      const cp =
        body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1));
      if (!Number.isFinite(cp) || cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return ' ';
      return String.fromCodePoint(cp);
    }
    const v = NAMED[body] ?? NAMED[body.toLowerCase()];
    return v ?? m;
  });
}

/**
 * NFC-normalise, drop zero-width / soft-hyphen / control characters, map every Unicode space
 * (incl. NBSP and the French narrow NBSP) to one ASCII space, and trim.
 */
export function cleanText(s) {
  return s
    .normalize('NFC')
    .replace(/[\u00ad\u200b-\u200d\u2060\ufeff]/g, '')
    .replace(/\p{Cc}/gu, ' ') // control characters (tab/newline/CR are whitespace anyway)
    .replace(/\s+/gu, ' ')
    .trim();
}

/** Number of whitespace-separated words. */
export function wordCount(s) {
  return s === '' ? 0 : s.split(' ').length;
}

/** Render a Markdown table from a header row and rows. */
export function mdTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** 1234567 -> "1,234,567" (no Intl: output must not depend on the ICU build). */
export function fmtInt(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Format a byte count like "1,234,567 B (1.18 MiB)". */
export function fmtBytes(n) {
  const mib = n / 1048576;
  return `${fmtInt(n)} B (${mib >= 0.1 ? `${mib.toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`})`;
}
