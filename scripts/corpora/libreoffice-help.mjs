#!/usr/bin/env node
/**
 * English→French sentence pairs from the LibreOffice help (Debian packages libreoffice-help-en-us
 * and libreoffice-help-fr, MPL-2.0).
 *
 *   node scripts/corpora/libreoffice-help.mjs [--debs DIR] [--dump FILE]
 *
 * Downloads both packages with `apt-get download` into a temporary folder (or uses the .deb files
 * already in --debs DIR), unpacks them with `dpkg-deb -x`, and pairs the paragraphs/headings that
 * carry the same id (par_id…, hd_id…) on the same help page in both languages. See
 * data/en-fr/PROVENANCE.md (written by this script) for every filtering step and its count.
 *
 * Writes data/en-fr/{train,valid,test}.tsv.gz (english<TAB>french, one pair a line),
 * data/en-fr/PROVENANCE.md and data/en-fr/LICENSE. Deterministic: same packages → same bytes.
 * --dump FILE writes every candidate pair with its fate (kept / reason dropped) for inspection.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  cleanText,
  cmp,
  decodeEntities,
  fmtBytes,
  fmtInt,
  mdTable,
  rng,
  root,
  run,
  shuffle,
  tempDir,
  wordCount,
  writeGz,
  writeText,
} from './lib.mjs';

const PACKAGES = ['libreoffice-help-en-us', 'libreoffice-help-fr'];
const HELP = 'usr/share/libreoffice/help';
const MIN_WORDS = 3;
const MAX_WORDS = 50;
const SEED = 20240611;
/** Source-length buckets (English words) used to stratify valid/test and to report results. */
export const BUCKETS = [
  [3, 5],
  [6, 10],
  [11, 15],
  [16, 20],
  [21, 30],
  [31, 50],
];
/** Pairs per bucket in the test set and in the validation set (6 × 170 = 1,020 each). */
const PER_BUCKET = 170;
const OUT = join(root, 'data', 'en-fr');

// ---------------------------------------------------------------------------------------------
// A tiny HTML tree builder: enough for the generated, well-formed help pages.

const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'source',
  'wbr',
]);
const BLOCK = new Set([
  'p',
  'div',
  'table',
  'tr',
  'td',
  'th',
  'ul',
  'ol',
  'li',
  'pre',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
]);
const TOKEN =
  /<!--[\s\S]*?-->|<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>|<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b((?:[^>"']|"[^"]*"|'[^']*')*)>|<!?[^<]*?>|[^<]+|</g;
const ATTR = /([^\s=/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

function parseAttrs(s) {
  const attrs = {};
  for (const m of s.matchAll(ATTR)) attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  return attrs;
}

function parseHtml(html) {
  const top = { tag: '#root', attrs: {}, children: [] };
  const stack = [top];
  for (const m of html.matchAll(TOKEN)) {
    const cur = stack[stack.length - 1];
    if (m[1] !== undefined || m[0].startsWith('<!')) continue; // script/style/comment/doctype
    if (m[3] !== undefined) {
      const tag = m[3].toLowerCase();
      if (m[2] === '/') {
        const i = stack.findLastIndex((n) => n.tag === tag);
        if (i > 0) stack.length = i;
        continue;
      }
      const node = { tag, attrs: parseAttrs(m[4]), children: [] };
      cur.children.push(node);
      if (!VOID.has(tag) && !m[4].trimEnd().endsWith('/')) stack.push(node);
      continue;
    }
    cur.children.push({ text: m[0] });
  }
  return top;
}

const hasClass = (n, c) => (n.attrs?.class ?? '').split(/\s+/).includes(c);
const CODE_CLASSES = ['code', 'codeintable', 'smathcode', 'bascode', 'pycode', 'example'];

/** Text of a paragraph element, plus flags for content that makes it unusable. */
function renderPara(el) {
  const flags = new Set();
  if (CODE_CLASSES.some((c) => hasClass(el, c))) flags.add('code');
  const walk = (n) => {
    if (n.text !== undefined) return decodeEntities(n.text);
    if (n.tag === 'br') return ' ';
    if (n.tag === 'img' || n.tag === 'input') return '';
    if (n.tag === 'code' || n.tag === 'pre' || CODE_CLASSES.some((c) => hasClass(n, c))) flags.add('code');
    if (hasClass(n, 'switchinline') || hasClass(n, 'switch')) {
      // Platform/application variants: keep the default one, as a reader on Windows/Linux sees it.
      const def = n.children.find((c) => c.tag && (c.attrs.id ?? '').startsWith('default'));
      if (!def) {
        flags.add('switch-without-default');
        return '';
      }
      return def.children.map(walk).join('');
    }
    if ('hidden' in n.attrs) {
      flags.add('hidden');
      return '';
    }
    if (BLOCK.has(n.tag)) flags.add('nested-block');
    return n.children.map(walk).join('');
  };
  const text = cleanText(el.children.map(walk).join(''));
  return { text, flags };
}

/** Map id → list of rendered paragraphs (document order) for one help page. */
function pageParagraphs(file) {
  const out = new Map();
  const visit = (n) => {
    if (!n.tag) return;
    if ((n.tag === 'p' || /^h[1-6]$/.test(n.tag)) && n.attrs.id && !n.attrs.id.startsWith('bm_')) {
      const id = n.attrs.id;
      if (!out.has(id)) out.set(id, []);
      out.get(id).push(renderPara(n));
    }
    for (const c of n.children) visit(c);
  };
  visit(parseHtml(readFileSync(file, 'utf8')));
  return out;
}

function listHtml(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.html')) out.push(p);
    }
  };
  walk(dir);
  return out.map((p) => relative(dir, p)).sort(cmp);
}

// Leftover markup or placeholders that make a sentence unusable for training.
const UNUSABLE = [
  ['tag-like', /<\/?[a-zA-Z][^<>]*>/],
  ['placeholder', /\$\[[a-z]+\]|%PRODUCT|%[A-Z]{3,}%?|\{[A-Za-z_]+\}|\\[nt]|\buno:|\.uno\b/],
  ['url-or-path', /https?:\/\/|www\.|[A-Za-z]:\\|\/usr\/|~\/|\.(?:html|xhp|xml|svg|png)\b/],
  ['tab', /\t/],
  ['code-like', /^[A-Za-z_][\w.]*(?:\([^)]*\))?\s*=\s*[A-Za-z_][\w.]*\(/],
];

function main() {
  const args = process.argv.slice(2);
  const debsArg = args.includes('--debs') ? args[args.indexOf('--debs') + 1] : null;
  const dumpArg = args.includes('--dump') ? args[args.indexOf('--dump') + 1] : null;
  const t0 = Date.now();
  const tmp = tempDir('lohelp');
  try {
    // 1. Fetch and unpack.
    const debDir = debsArg ?? tmp.dir;
    if (!debsArg)
      run('apt-get', ['download', ...PACKAGES], { cwd: debDir, stdio: ['ignore', 'ignore', 'pipe'] });
    const debs = readdirSync(debDir).filter((f) => f.endsWith('.deb'));
    const meta = {};
    for (const pkg of PACKAGES) {
      const deb = debs.filter((f) => f.startsWith(`${pkg}_`)).sort(cmp);
      if (deb.length !== 1) throw new Error(`expected one ${pkg}_*.deb in ${debDir}, found ${deb.length}`);
      const path = join(debDir, deb[0]);
      const field = (f) => run('dpkg-deb', ['-f', path, f]).trim();
      meta[pkg] = {
        file: deb[0],
        version: field('Version'),
        source: field('Source'),
        size: readFileSync(path).length,
      };
      run('dpkg-deb', ['-x', path, join(tmp.dir, 'x')]);
    }
    const helpDir = join(tmp.dir, 'x', HELP);
    const enFiles = listHtml(join(helpDir, 'en-US', 'text'));
    const frFiles = new Set(listHtml(join(helpDir, 'fr', 'text')));

    // 2. Pair paragraphs by (page, id).
    const c = {
      enPages: enFiles.length,
      frPages: frFiles.size,
      pagesPaired: 0,
      enParas: 0,
      noFrId: 0,
      dupIdMismatch: 0,
      candidates: 0,
    };
    const drop = {};
    const dropped = (why) => {
      drop[why] = (drop[why] ?? 0) + 1;
    };
    const kept = [];
    const dump = [];
    for (const rel of enFiles) {
      if (!frFiles.has(rel)) continue;
      c.pagesPaired++;
      const en = pageParagraphs(join(helpDir, 'en-US', 'text', rel));
      const fr = pageParagraphs(join(helpDir, 'fr', 'text', rel));
      for (const [id, enList] of en) {
        c.enParas += enList.length;
        const frList = fr.get(id);
        if (!frList) {
          c.noFrId += enList.length;
          continue;
        }
        if (frList.length !== enList.length) {
          c.dupIdMismatch += enList.length;
          continue;
        }
        for (let i = 0; i < enList.length; i++) {
          c.candidates++;
          const e = enList[i];
          const f = frList[i];
          let why = null;
          const flags = new Set([...e.flags, ...f.flags]);
          if (e.text === '' || f.text === '') why = 'empty';
          else if (flags.has('code')) why = 'code';
          else if (flags.size > 0) why = `markup:${[...flags].sort(cmp).join('+')}`;
          else if (e.text === f.text) why = 'identical (untranslated)';
          else {
            for (const [name, re] of UNUSABLE) {
              if (re.test(e.text) || re.test(f.text)) {
                why = `unusable:${name}`;
                break;
              }
            }
          }
          if (!why) {
            const we = wordCount(e.text);
            const wf = wordCount(f.text);
            if (we < MIN_WORDS || wf < MIN_WORDS) why = `length:<${MIN_WORDS} words`;
            else if (we > MAX_WORDS || wf > MAX_WORDS) why = `length:>${MAX_WORDS} words`;
          }
          if (why) dropped(why);
          else kept.push([e.text, f.text]);
          if (dumpArg) dump.push(`${why ?? 'KEPT'}\t${rel}#${id}\t${e.text}\t${f.text}`);
        }
      }
    }
    if (dumpArg) writeFileSync(dumpArg, `${dump.join('\n')}\n`);
    c.filtered = kept.length;

    // 3. Deduplicate: exact pairs, then one translation per English sentence (first in page order).
    const seenPair = new Set();
    const seenEn = new Set();
    const pairs = [];
    c.dupPair = 0;
    c.dupEn = 0;
    for (const [e, f] of kept) {
      const key = `${e}\t${f}`;
      if (seenPair.has(key)) {
        c.dupPair++;
        continue;
      }
      seenPair.add(key);
      if (seenEn.has(e)) {
        c.dupEn++;
        continue;
      }
      seenEn.add(e);
      pairs.push([e, f]);
    }
    c.final = pairs.length;

    // 4. Seeded split, stratified by English length: PER_BUCKET pairs of every bucket go to test,
    //    PER_BUCKET to valid, the rest to train.
    pairs.sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1]));
    const rand = rng(SEED);
    const bucketOf = (e) => BUCKETS.findIndex(([lo, hi]) => wordCount(e) >= lo && wordCount(e) <= hi);
    const byBucket = BUCKETS.map(() => []);
    for (const p of pairs) byBucket[bucketOf(p[0])].push(p);
    const split = { train: [], valid: [], test: [] };
    for (const list of byBucket) {
      shuffle(list, rand);
      if (list.length < 3 * PER_BUCKET) throw new Error(`bucket too small: ${list.length}`);
      split.test.push(...list.slice(0, PER_BUCKET));
      split.valid.push(...list.slice(PER_BUCKET, 2 * PER_BUCKET));
      split.train.push(...list.slice(2 * PER_BUCKET));
    }
    shuffle(split.train, rand);
    const files = {};
    for (const name of ['train', 'valid', 'test']) {
      if (name !== 'train') split[name].sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1]));
      const text = split[name].map(([e, f]) => `${e}\t${f}\n`).join('');
      files[name] = writeGz(join(OUT, `${name}.tsv.gz`), text);
    }

    // 5. PROVENANCE.md and LICENSE.
    writeProvenance({ meta, c, drop, pairs, split, files, byBucket });
    writeLicense(join(tmp.dir, 'x'));
    console.log(
      `en-fr: ${fmtInt(c.final)} pairs (train ${split.train.length}, valid ${split.valid.length}, test ${split.test.length}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  } finally {
    tmp.cleanup();
  }
}

function lengthTable(split) {
  const names = Object.keys(split);
  const rows = BUCKETS.map(([lo, hi]) => [
    `${lo}–${hi}`,
    ...names.map((n) => fmtInt(split[n].filter(([e]) => wordCount(e) >= lo && wordCount(e) <= hi).length)),
  ]);
  rows.push(['all', ...names.map((n) => fmtInt(split[n].length))]);
  return mdTable(['English words', ...names], rows);
}

function stats(list, side) {
  const w = list.map((p) => wordCount(p[side])).sort((a, b) => a - b);
  const mean = w.reduce((s, x) => s + x, 0) / w.length;
  const q = (p) => w[Math.min(w.length - 1, Math.floor(p * w.length))];
  return `mean ${mean.toFixed(1)}, median ${q(0.5)}, p90 ${q(0.9)}, max ${w[w.length - 1]}`;
}

function writeProvenance({ meta, c, drop, pairs, split, files, byBucket }) {
  const [en, fr] = PACKAGES.map((p) => meta[p]);
  const dropRows = Object.entries(drop)
    .sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))
    .map(([k, v]) => [k, fmtInt(v)]);
  const fileRows = ['train', 'valid', 'test'].map((n) => [
    `\`${n}.tsv.gz\``,
    fmtInt(split[n].length),
    fmtBytes(files[n].gzBytes),
    fmtBytes(files[n].bytes),
    `\`${files[n].sha256}\``,
  ]);
  const md = `# English → French: LibreOffice help

Sentence pairs (mostly single sentences and short paragraphs) from the LibreOffice 7.4 help, as
shipped by Debian 12 (bookworm). Generated by \`scripts/corpora/libreoffice-help.mjs\`; do not edit
by hand — rerun the script.

## Source

| package | version | source package | .deb |
|---|---|---|---|
| \`${PACKAGES[0]}\` | \`${en.version}\` | \`${en.source}\` | \`${en.file}\` (${fmtBytes(en.size)}) |
| \`${PACKAGES[1]}\` | \`${fr.version}\` | \`${fr.source}\` | \`${fr.file}\` (${fmtBytes(fr.size)}) |

Licence: MPL-2.0 (see \`LICENSE\`; upstream copyright: The Document Foundation / LibreOffice
contributors, parts Apache-2.0 from the OpenOffice.org code base). Fetched and unpacked with

\`\`\`sh
apt-get download ${PACKAGES.join(' ')}
dpkg-deb -x libreoffice-help-en-us_*.deb x && dpkg-deb -x libreoffice-help-fr_*.deb x
# pages: x/${HELP}/{en-US,fr}/text/**/*.html
\`\`\`

## Extraction

1. Every help page \`en-US/text/<path>.html\` is paired with \`fr/text/<path>.html\`
   (${fmtInt(c.enPages)} English pages, ${fmtInt(c.frPages)} French pages, ${fmtInt(c.pagesPaired)} paired).
2. On each page, every \`<p>\` and \`<h1>\`–\`<h6>\` with an \`id\` (\`par_id…\`, \`hd_id…\`, …; page-chrome
   ids \`bm_…\` excluded) is a paragraph. The help is generated from the same XHP source for every
   language, so the same id on the same page is the same paragraph in both languages.
3. Text of a paragraph: the text nodes of its subtree; \`<br>\` → space; images dropped; for inline
   platform/application switches (\`<span class="switchinline">\` holding hidden \`MAC\`/\`WIN\`/
   \`WRITER\`/… variants) only the \`default…\` variant is kept (e.g. "Ctrl", "Tools - Options").
   HTML entities decoded, Unicode NFC, zero-width characters and soft hyphens removed, every
   run of Unicode whitespace (incl. the no-break and narrow no-break spaces French typography puts
   before \`: ; ? !\`) collapsed to one ASCII space, trimmed.
4. Filters, applied in this order (first matching reason counted):
   - \`empty\`: either side is empty (image-only cells, empty placeholders);
   - \`code\`: Basic/Python/Math code paragraphs (\`class="code"\`, \`bascode\`, \`pycode\`, \`smathcode\`,
     \`codeintable\`, \`example\`, or \`<code>\`/\`<pre>\` inside);
   - \`markup:*\`: a platform switch without a default variant, hidden text, or block elements nested
     in the paragraph;
   - \`identical (untranslated)\`: English and French are the same string;
   - \`unusable:*\`: leftover tag-like text (\`<tag>\`), placeholders (\`$[officename]\`, \`%PRODUCTNAME\`,
     \`{name}\`, \`\\n\`, \`.uno:\` commands), URLs/file paths, tabs, and a
     Basic/Python assignment from a call (\`x = f(…)\`); Calc formula examples such as
     \`=ROUND(2.5) returns 3.\` / \`=ARRONDI(2,5) renvoie 3.\` are kept on purpose;
   - \`length:*\`: either side has fewer than ${MIN_WORDS} or more than ${MAX_WORDS} whitespace-separated words.
5. Deduplication (in page order: pages sorted by path, paragraphs in document order): exact
   duplicate pairs dropped, then for an English sentence seen again with another translation the
   first translation is kept.

| step | count |
|---|---|
| paragraphs with an id on the English pages | ${fmtInt(c.enParas)} |
| − id absent on the French page | ${fmtInt(c.noFrId)} |
| − id repeated on a page a different number of times in the two languages | ${fmtInt(c.dupIdMismatch)} |
| = candidate pairs | ${fmtInt(c.candidates)} |
${dropRows.map(([k, v]) => `| − ${k} | ${v} |`).join('\n')}
| = pairs passing the filters | ${fmtInt(c.filtered)} |
| − exact duplicate pairs | ${fmtInt(c.dupPair)} |
| − English sentence already seen with another translation | ${fmtInt(c.dupEn)} |
| = **final pairs** | **${fmtInt(c.final)}** |

## Split

Pairs are sorted (English, then French, by code unit), grouped by English length bucket, and each
bucket is shuffled with a mulberry32 PRNG seeded with ${SEED}. From every bucket the first
${PER_BUCKET} pairs go to \`test\`, the next ${PER_BUCKET} to \`valid\`, the rest to \`train\` (then
shuffled once more). Test and valid therefore hold the same number of pairs in every length bucket
(so results per source-length bucket have ${PER_BUCKET} sentences each), while train keeps the natural
distribution. No English sentence occurs in two splits (English sentences are unique), but the help
repeats near-identical sentences across pages, so near-duplicates do cross splits.
\`valid\`/\`test\` are written sorted; \`train\` in its shuffled order.

${lengthTable(split)}

Natural distribution over all ${fmtInt(pairs.length)} pairs: ${byBucket.map((b, i) => `${BUCKETS[i][0]}–${BUCKETS[i][1]}: ${fmtInt(b.length)}`).join(', ')}.

Words per sentence (all pairs): English ${stats(pairs, 0)}; French ${stats(pairs, 1)}.

## Files

Format: UTF-8, one pair a line, \`english<TAB>french<LF>\`; no header, no tabs or newlines inside a
sentence. gzip (level 9, mtime 0): read with \`zlib.gunzipSync\`.

| file | pairs | gzip | uncompressed | sha256 of uncompressed |
|---|---|---|---|---|
${fileRows.map((r) => `| ${r.join(' | ')} |`).join('\n')}
`;
  writeText(join(OUT, 'PROVENANCE.md'), md);
}

function writeLicense(x) {
  const copyright = readFileSync(join(x, 'usr/share/doc/libreoffice-help-fr/copyright'), 'utf8');
  // The "Files: *" stanza covers the help content.
  const stanza = copyright.split(/\n(?=Files:)/).find((s) => s.startsWith('Files: *'));
  const header = copyright.slice(0, copyright.indexOf('\nFiles:'));
  const mplPath = '/usr/share/common-licenses/MPL-2.0';
  const apachePath = '/usr/share/common-licenses/Apache-2.0';
  if (!existsSync(mplPath) || !existsSync(apachePath)) throw new Error('missing /usr/share/common-licenses');
  const text = `The files in this folder are derived from the LibreOffice help, as packaged by Debian in
libreoffice-help-en-us and libreoffice-help-fr. They are covered by the Mozilla Public License,
version 2.0 (full text below). LibreOffice source files carry the MPL-2.0 Exhibit A notice:

  This Source Code Form is subject to the terms of the Mozilla Public
  License, v. 2.0. If a copy of the MPL was not distributed with this
  file, You can obtain one at http://mozilla.org/MPL/2.0/ .

The corresponding source is the Debian source package "libreoffice" (version in
PROVENANCE.md; \`apt-get source libreoffice\`); upstream, the help is developed at
https://git.libreoffice.org/help and translated at https://translations.documentfoundation.org.
The files here were produced by scripts/corpora/libreoffice-help.mjs in this repository
(paragraph pairing, cleaning, filtering, deduplication, splitting; no text was rewritten).

Copyright notice and licence, from /usr/share/doc/libreoffice-help-fr/copyright
(identical in libreoffice-help-en-us):

${header.trimEnd()}

${stanza.trimEnd()}

================================================================================
Mozilla Public License, version 2.0 (${mplPath})
================================================================================

${readFileSync(mplPath, 'utf8').trimEnd()}

================================================================================
Apache License, version 2.0 (${apachePath}), referenced by the notice above
================================================================================

${readFileSync(apachePath, 'utf8').trimEnd()}
`;
  writeText(join(OUT, 'LICENSE'), text);
}

main();
