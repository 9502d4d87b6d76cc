/**
 * A small, strict XML parser for tests: it rejects what a browser's XML parser would (unclosed
 * or crossed tags, a bare '&' or '<', an unknown entity, duplicate attributes, two roots) and
 * returns the element tree so that tests can check a figure's structure without a DOM.
 */

export interface XmlElement {
  name: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  /** The element's own character data (entities decoded), children's text excluded. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isNameStart(c: string): boolean {
  return /[A-Za-z_:]/.test(c) || c.charCodeAt(0) > 0x7f;
}

function isNameChar(c: string): boolean {
  return isNameStart(c) || /[0-9.-]/.test(c);
}

/** Parses `src` as an XML document; throws an Error naming the offset of the first problem. */
export function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`XML error at offset ${i}: ${why} (near ${JSON.stringify(src.slice(i, i + 30))})`);
  };
  const skipSpace = (): void => {
    while (i < src.length && ' \t\r\n'.includes(src[i]!)) i++;
  };
  const name = (): string => {
    const start = i;
    if (i >= src.length || !isNameStart(src[i]!)) fail('expected a name');
    while (i < src.length && isNameChar(src[i]!)) i++;
    return src.slice(start, i);
  };
  /** Decodes character data up to (not including) index `end`. */
  const decode = (start: number, end: number, inAttr: boolean): string => {
    let out = '';
    for (let k = start; k < end; k++) {
      const c = src[k]!;
      if (c === '<') {
        i = k;
        fail(inAttr ? "'<' in an attribute value" : "'<'");
      }
      if (c !== '&') {
        out += c;
        continue;
      }
      const semi = src.indexOf(';', k);
      if (semi < 0 || semi > end) {
        i = k;
        fail("bare '&'");
      }
      const ref = src.slice(k + 1, semi);
      if (ref.startsWith('#x')) out += String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
      else if (ref.startsWith('#')) out += String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
      else if (ref in ENTITIES) out += ENTITIES[ref];
      else {
        i = k;
        fail(`unknown entity '&${ref};'`);
      }
      k = semi;
    }
    return out;
  };
  /** Skips comments and processing instructions; returns whether it skipped anything. */
  const misc = (): boolean => {
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i + 4);
      if (end < 0) fail('unclosed comment');
      i = end + 3;
      return true;
    }
    if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i + 2);
      if (end < 0) fail('unclosed processing instruction');
      i = end + 2;
      return true;
    }
    return false;
  };

  const element = (): XmlElement => {
    if (src[i] !== '<') fail("expected '<'");
    i++;
    const el: XmlElement = { name: name(), attrs: new Map(), children: [], text: '' };
    for (;;) {
      const before = i;
      skipSpace();
      if (src.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected whitespace before an attribute');
      const attr = name();
      skipSpace();
      if (src[i] !== '=') fail(`expected '=' after attribute ${attr}`);
      i++;
      skipSpace();
      const quote = src[i];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attr} is not quoted`);
      const end = src.indexOf(quote!, i + 1);
      if (end < 0) fail(`unclosed value of attribute ${attr}`);
      if (el.attrs.has(attr)) fail(`duplicate attribute ${attr}`);
      el.attrs.set(attr, decode(i + 1, end, true));
      i = end + 1;
    }
    // Content.
    for (;;) {
      if (i >= src.length) fail(`unclosed <${el.name}>`);
      if (src.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        skipSpace();
        if (src[i] !== '>') fail("expected '>'");
        i++;
        return el;
      }
      if (src.startsWith('<![CDATA[', i)) {
        const end = src.indexOf(']]>', i);
        if (end < 0) fail('unclosed CDATA');
        el.text += src.slice(i + 9, end);
        i = end + 3;
      } else if (misc()) {
        // comment or processing instruction
      } else if (src[i] === '<') el.children.push(element());
      else {
        let end = src.indexOf('<', i);
        if (end < 0) end = src.length;
        el.text += decode(i, end, false);
        i = end;
      }
    }
  };

  skipSpace();
  while (misc()) skipSpace();
  const root = element();
  skipSpace();
  while (misc()) skipSpace();
  if (i < src.length) fail('content after the root element');
  return root;
}

/** Every element of the tree (the root included) that satisfies `pred`, in document order. */
export function findAll(root: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (pred(e)) out.push(e);
    for (let k = e.children.length - 1; k >= 0; k--) stack.push(e.children[k]!);
  }
  return out;
}

/** The text of an element and all its descendants, in document order (text before children). */
export function textContent(e: XmlElement): string {
  return e.text + e.children.map(textContent).join('');
}
