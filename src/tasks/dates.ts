import { HeedError } from '../util/errors.js';
import type { Generator } from '../util/random.js';

/**
 * Synthetic date normalisation, after tfjs-examples' date-conversion-attention: a date written
 * in one of many human formats → ISO 8601 (YYYY-MM-DD). Dates run from 1950-01-01 to
 * 2049-12-31, so a two-digit year is unambiguous (50–99 → 19yy, 00–49 → 20yy); each format's
 * separator fixes its field order (slashes: month first; dashes and dots: day first unless the
 * year leads), so every string has exactly one reading (tested over every date).
 */
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

export interface CalendarDate {
  year: number;
  month: number; // 1–12
  day: number; // 1–31
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const yy = (d: CalendarDate): string => pad2(d.year % 100);
const mon3 = (d: CalendarDate): string => MONTHS[d.month - 1].slice(0, 3);

/** Every input format, by name (the names document the field order). */
export const DATE_FORMATS: Readonly<Record<string, (d: CalendarDate) => string>> = {
  DDMonYYYY: (d) => `${pad2(d.day)}${mon3(d)}${d.year}`,
  MMDDYY: (d) => `${pad2(d.month)}${pad2(d.day)}${yy(d)}`,
  'MM/DD/YY': (d) => `${pad2(d.month)}/${pad2(d.day)}/${yy(d)}`,
  'M/D/YY': (d) => `${d.month}/${d.day}/${yy(d)}`,
  'MM/DD/YYYY': (d) => `${pad2(d.month)}/${pad2(d.day)}/${d.year}`,
  'M/D/YYYY': (d) => `${d.month}/${d.day}/${d.year}`,
  'DD-MM-YYYY': (d) => `${pad2(d.day)}-${pad2(d.month)}-${d.year}`,
  'D-M-YYYY': (d) => `${d.day}-${d.month}-${d.year}`,
  'MON DD, YY': (d) => `${mon3(d).toUpperCase()} ${pad2(d.day)}, ${yy(d)}`,
  'Mon D, YYYY': (d) => `${mon3(d)} ${d.day}, ${d.year}`,
  'Month D, YYYY': (d) => `${MONTHS[d.month - 1]} ${d.day}, ${d.year}`,
  'D Month YYYY': (d) => `${d.day} ${MONTHS[d.month - 1]} ${d.year}`,
  'DD.MM.YYYY': (d) => `${pad2(d.day)}.${pad2(d.month)}.${d.year}`,
  'D.M.YYYY': (d) => `${d.day}.${d.month}.${d.year}`,
  'YYYY.MM.DD': (d) => `${d.year}.${pad2(d.month)}.${pad2(d.day)}`,
  'YYYY.M.D': (d) => `${d.year}.${d.month}.${d.day}`,
  YYYYMMDD: (d) => `${d.year}${pad2(d.month)}${pad2(d.day)}`,
  'YYYY/MM/DD': (d) => `${d.year}/${pad2(d.month)}/${pad2(d.day)}`,
  'YYYY-M-D': (d) => `${d.year}-${d.month}-${d.day}`,
  'D/Mon/YYYY': (d) => `${d.day}/${mon3(d)}/${d.year}`,
};

export function isoDate(d: CalendarDate): string {
  return `${d.year}-${pad2(d.month)}-${pad2(d.day)}`;
}

const FIRST_DAY = Date.UTC(1950, 0, 1);
const LAST_DAY = Date.UTC(2049, 11, 31);
const MS_PER_DAY = 86_400_000;

/** Number of days in the range. */
export const DAY_COUNT = (LAST_DAY - FIRST_DAY) / MS_PER_DAY + 1;

/** The date `index` days after 1950-01-01. */
export function dateAt(index: number): CalendarDate {
  const t = new Date(FIRST_DAY + index * MS_PER_DAY);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

export interface DatePair {
  source: string;
  target: string;
  format: string;
}

/** `n` (written date, ISO date) pairs with uniformly drawn dates and formats. */
export function generateDatePairs(n: number, gen: Generator): DatePair[] {
  if (!(Number.isInteger(n) && n > 0))
    throw new HeedError(`dates: the number of examples must be a positive integer, got ${n}`);
  const names = Object.keys(DATE_FORMATS);
  const out: DatePair[] = [];
  for (let i = 0; i < n; i++) {
    const d = dateAt(gen.int(DAY_COUNT));
    const format = names[gen.int(names.length)];
    out.push({ source: DATE_FORMATS[format](d), target: isoDate(d), format });
  }
  return out;
}
