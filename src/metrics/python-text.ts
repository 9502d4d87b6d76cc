/**
 * The few pieces of Python's string semantics that sacreBLEU's numbers depend on. sacreBLEU
 * splits with `str.split()`, strips with `str.rstrip()`, counts characters as code points and
 * prints with `f'{x:.2f}'`; JavaScript's `/\s/`, UTF-16 indexing and `toFixed` differ from each
 * of these in corner cases, so the metrics use these helpers instead.
 */

/**
 * Every character for which Python's `str.isspace()` is true (Python 3.11, checked by listing
 * `chr(c).isspace()` over all code points). Unlike JavaScript's `\s` it includes U+001C–U+001F
 * and U+0085 and excludes U+FEFF. All are single UTF-16 code units.
 */
const PY_WHITESPACE = new Set(
  [
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002,
    0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
  ].map((c) => String.fromCharCode(c)),
);

/** True for a character Python's `str.isspace()` accepts. */
export function isPyWhitespace(ch: string): boolean {
  return PY_WHITESPACE.has(ch);
}

/** Python's `s.split()`: runs of whitespace separate fields; no empty fields at either end. */
export function pySplit(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    if (PY_WHITESPACE.has(s[i]!)) {
      if (start >= 0) out.push(s.slice(start, i));
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) out.push(s.slice(start));
  return out;
}

/** Python's `s.rstrip()`: drops trailing whitespace. */
export function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && PY_WHITESPACE.has(s[end - 1]!)) end--;
  return s.slice(0, end);
}

/** The code points of `s`, as Python indexes a `str` (an astral character is one element, not two). */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/** Digits past the rounding position that `pyFixed` inspects to recognise an exact tie. */
const TIE_DIGITS = 30;

/**
 * Python's `f'{x:.{digits}f}'`. Both Python and `toFixed` round the exact binary value of `x`,
 * but on an exact tie Python rounds half to even (`f'{6.25:.1f}'` is `6.2`) where `toFixed` rounds
 * away from zero (`6.3`). Such ties do occur here: a BLEU precision of 1/16 is 6.25 exactly.
 */
export function pyFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  const rounded = a.toFixed(digits);
  // `toFixed` prints the exact decimal expansion up to 100 digits; a double that is not a tie
  // differs from one well within 30 further digits at the magnitudes a score takes.
  const long = a.toFixed(digits + TIE_DIGITS);
  const tail = long.slice(long.length - TIE_DIGITS);
  if (tail === `5${'0'.repeat(TIE_DIGITS - 1)}`) {
    const truncated = long.slice(0, long.length - TIE_DIGITS).replace(/\.$/, '');
    const lastDigit = Number(truncated[truncated.length - 1]);
    // Half to even: keep the truncated value when its last digit is already even.
    if (lastDigit % 2 === 0) return sign + truncated;
  }
  return sign + rounded;
}
