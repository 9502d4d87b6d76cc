import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HeedError } from './errors.js';
import { readJsonFile, v, validate } from './validate.js';

const schema = v.object({
  name: v.string({ nonEmpty: true }),
  size: v.withDefault(v.int({ min: 1 }), 16),
  rate: v.optional(v.number({ gt: 0, max: 1 })),
  mode: v.withDefault(v.oneOf(['fast', 'slow']), 'fast'),
  flags: v.withDefault(v.array(v.boolean(), { minLength: 1 }), [true]),
  pair: v.optional(v.tuple([v.number(), v.string()])),
  inner: v.optional(v.object({ depth: v.int({ min: 0 }) })),
  extra: v.optional(v.record(v.number())),
});

function rejects(value: unknown, pattern: RegExp): void {
  assert.throws(
    () => validate(schema, value, 'model.json'),
    (e: Error) => {
      assert.ok(e instanceof HeedError);
      assert.ok(e.message.startsWith('model.json: '), e.message);
      assert.ok(!e.message.includes('\n'));
      assert.match(e.message, pattern);
      return true;
    },
  );
}

const dir = mkdtempSync(join(tmpdir(), 'heed-validate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('validate', () => {
  it('fills defaults, leaves optional keys absent, and types the result', () => {
    const c = validate(schema, { name: 'x' }, 'model.json');
    assert.deepEqual(c, { name: 'x', size: 16, mode: 'fast', flags: [true] });
    const size: number = c.size;
    const rate: number | undefined = c.rate;
    assert.equal(size + (rate ?? 0), 16);
    const full = validate(
      schema,
      {
        name: 'y',
        size: 2,
        rate: 0.5,
        mode: 'slow',
        flags: [false],
        pair: [1, 'a'],
        inner: { depth: 0 },
        extra: { a: 1 },
      },
      's',
    );
    assert.deepEqual(full.pair, [1, 'a']);
    assert.equal(full.inner?.depth, 0);
  });

  it('defaults are copies, never shared between results', () => {
    const a = validate(schema, { name: 'a' }, 's');
    a.flags.push(false);
    assert.deepEqual(validate(schema, { name: 'b' }, 's').flags, [true]);
  });

  it('errors name the key path and the expected type', () => {
    rejects([], /config must be an object, got an array/);
    rejects({}, /config\.name is missing \(a non-empty string\)/);
    rejects({ name: 'x', size: 2.5 }, /config\.size must be an integer >= 1, got 2\.5/);
    rejects({ name: 'x', size: '4' }, /config\.size must be an integer >= 1, got "4" \(a string\)/);
    rejects({ name: 'x', rate: 0 }, /config\.rate must be a number > 0 and <= 1, got 0/);
    rejects({ name: 'x', mode: 'medium' }, /config\.mode must be 'fast' \| 'slow', got "medium"/);
    rejects(
      { name: 'x', flags: [] },
      /config\.flags must be an array of at least 1 \(true or false\), got an array/,
    );
    rejects({ name: 'x', flags: [true, 1] }, /config\.flags\[1\] must be true or false, got 1/);
    rejects({ name: 'x', pair: [1, 2] }, /config\.pair\[1\] must be a string, got 2/);
    rejects({ name: 'x', inner: { depth: -1 } }, /config\.inner\.depth must be an integer >= 0, got -1/);
    rejects({ name: 'x', inner: null }, /config\.inner must be an object, got null/);
    rejects({ name: 'x', extra: { a: 'b' } }, /config\.extra\.a must be a number, got "b"/);
    rejects({ name: 'x', rate: Number.NaN }, /config\.rate must be a number > 0 and <= 1, got NaN/);
  });

  it('unknown keys are errors, with the nearest known key suggested', () => {
    rejects(
      { name: 'x', szie: 3 },
      /config: unknown key "szie" \(expected "name", "size", .*\); did you mean "size"\?/,
    );
    rejects(
      { name: 'x', inner: { Depth: 1 } },
      /config\.inner: unknown key "Depth" \(expected "depth"\); did you mean "depth"\?/,
    );
    rejects({ name: 'x', zzzzzz: 1 }, /unknown key "zzzzzz" \(expected [^;]*\)$/);
  });

  it('reads JSON files with one-line errors for a missing file and bad JSON', () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, '{"name": "z"}');
    assert.equal(readJsonFile(good, schema).name, 'z');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"name": ');
    assert.throws(() => readJsonFile(bad, schema), /bad\.json: bad JSON/);
    assert.throws(() => readJsonFile(join(dir, 'none.json'), schema), /none\.json: file not found/);
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, '{"name": 3}');
    assert.throws(
      () => readJsonFile(wrong, schema),
      /wrong\.json: config\.name must be a non-empty string, got 3/,
    );
  });
});
