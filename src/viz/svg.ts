/**
 * Shared pieces of heed's SVG figures: XML escaping, text-width estimates for layout (there is
 * no DOM to measure text in Node.js), number formatting and the document wrapper.
 */

/** The fonts figures ask for: DejaVu Sans first, whose metrics `textWidth` uses. */
export const FONT_FAMILY = "'DejaVu Sans', Verdana, Arial, Helvetica, sans-serif";

/** Escapes text for XML character data and for attribute values in either kind of quotes. */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    // XML 1.0 forbids control characters other than tab, newline and carriage return, even
    // escaped; a token such as '\x00' is shown as U+FFFD rather than making the file unreadable.
    else if ((code < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r') || code === 0xfffe || code === 0xffff)
      out += '\ufffd';
    else out += ch;
  }
  return out;
}

/**
 * Advance widths of DejaVu Sans in hundredths of an em for U+0020..U+007E and U+00A0..U+00FF
 * (read from DejaVuSans.ttf's hmtx table), 36 values per line.
 */
const DEJAVU_WIDTHS = [
  32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 34,
  34, 84, 84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77, 75, 29, 29, 66, 56, 86, 75, 79, 60, 79, 69, 63, 61, 73,
  68, 99, 69, 61, 69, 39, 34, 39, 84, 50, 50, 61, 63, 55, 63, 62, 35, 63, 63, 28, 28, 58, 28, 97, 63, 61, 63,
  63, 41, 52, 39, 63, 59, 82, 59, 59, 52, 64, 34, 64, 84,
];
const DEJAVU_LATIN1 = [
  32, 40, 64, 64, 64, 64, 34, 50, 50, 100, 47, 61, 84, 36, 100, 50, 50, 84, 40, 40, 50, 64, 64, 32, 50, 40,
  47, 61, 97, 97, 97, 53, 68, 68, 68, 68, 68, 68, 97, 70, 63, 63, 63, 63, 29, 29, 29, 29, 77, 75, 79, 79, 79,
  79, 79, 84, 79, 73, 73, 73, 73, 61, 60, 63, 61, 61, 61, 61, 61, 61, 98, 55, 62, 62, 62, 62, 28, 28, 28, 28,
  61, 63, 61, 61, 61, 61, 61, 84, 61, 63, 63, 63, 63, 59, 63, 59,
];

/** East Asian wide and fullwidth ranges (CJK, Hangul, kana, fullwidth forms): one em each. */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    code >= 0x1f300
  );
}

/**
 * The width in pixels of `text` set in DejaVu Sans at `fontSize` (bold adds 10%). DejaVu is
 * wider than the fonts a browser substitutes, so layouts made with this estimate leave room.
 */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let ems = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x7e) ems += DEJAVU_WIDTHS[code - 0x20]! / 100;
    else if (code >= 0xa0 && code <= 0xff) ems += DEJAVU_LATIN1[code - 0xa0]! / 100;
    else if (code >= 0x300 && code <= 0x36f)
      ems += 0; // combining marks
    else if (isWide(code)) ems += 1;
    else ems += 0.7;
  }
  return ems * fontSize * (bold ? 1.1 : 1);
}

/** Shortens `text` with a trailing '…' so that it is at most `maxWidth` pixels wide. */
export function truncateText(text: string, fontSize: number, maxWidth: number): string {
  if (textWidth(text, fontSize) <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 1 && textWidth(`${chars.join('')}…`, fontSize) > maxWidth) chars.pop();
  return `${chars.join('')}…`;
}

/** Breaks `text` at spaces into lines at most `maxWidth` pixels wide (a longer word gets its own line). */
export function wrapText(text: string, fontSize: number, maxWidth: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      const next = line === '' ? word : `${line} ${word}`;
      if (line !== '' && textWidth(next, fontSize) > maxWidth) {
        lines.push(line);
        line = word;
      } else line = next;
    }
    lines.push(line);
  }
  return lines;
}

/** A coordinate or size for an attribute: at most two decimals, no trailing zeros. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** A `<text>` element; `attrs` are already-formatted attribute pairs. */
export function svgText(x: number, y: number, text: string, attrs = ''): string {
  return `<text x="${px(x)}" y="${px(y)}"${attrs === '' ? '' : ` ${attrs}`}>${escapeXml(text)}</text>`;
}

/**
 * A standalone SVG document of the given size: white background (so rasterised figures are
 * not transparent), the house font, and `body` inside. `style` is optional CSS.
 */
export function svgDocument(width: number, height: number, body: string, style = ''): string {
  const w = Math.ceil(width);
  const h = Math.ceil(height);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="${escapeXml(FONT_FAMILY)}">`,
    style === '' ? '' : `<style>${style}</style>`,
    `<rect width="${w}" height="${h}" fill="#ffffff"/>`,
    body,
    '</svg>',
  ];
  return `${parts.filter((s) => s !== '').join('\n')}\n`;
}
