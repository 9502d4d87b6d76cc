import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Generator } from '../util/random.js';
import { DATE_FORMATS, DAY_COUNT, dateAt, generateDatePairs, isoDate } from './dates.js';

describe('synthetic dates', () => {
  it('covers 1950-01-01 … 2049-12-31', () => {
    assert.equal(isoDate(dateAt(0)), '1950-01-01');
    assert.equal(isoDate(dateAt(DAY_COUNT - 1)), '2049-12-31');
    assert.equal(DAY_COUNT, 36525);
  });

  it('formats as documented', () => {
    const d = { year: 2015, month: 1, day: 23 };
    assert.equal(DATE_FORMATS.DDMonYYYY(d), '23Jan2015');
    assert.equal(DATE_FORMATS.MMDDYY(d), '012315');
    assert.equal(DATE_FORMATS['MON DD, YY'](d), 'JAN 23, 15');
    assert.equal(DATE_FORMATS['YYYY-M-D'](d), '2015-1-23');
    assert.equal(DATE_FORMATS['D Month YYYY'](d), '23 January 2015');
  });

  it('every written form has exactly one reading over the whole range', () => {
    const reading = new Map<string, string>();
    for (let i = 0; i < DAY_COUNT; i++) {
      const d = dateAt(i);
      const iso = isoDate(d);
      for (const f of Object.values(DATE_FORMATS)) {
        const s = f(d);
        const prev = reading.get(s);
        assert.ok(prev === undefined || prev === iso, `'${s}' reads as ${prev} and ${iso}`);
        reading.set(s, iso);
      }
    }
  });

  it('draws reproducibly under a seed', () => {
    const a = generateDatePairs(50, new Generator(4));
    const b = generateDatePairs(50, new Generator(4));
    assert.deepEqual(a, b);
    assert.ok(new Set(a.map((p) => p.format)).size > 10);
    assert.throws(() => generateDatePairs(0, new Generator(1)), /positive integer/);
  });
});
