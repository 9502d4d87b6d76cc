import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HeedError } from '../util/errors.js';
import { readLines } from './lines.js';
import {
  formatProblem,
  formatProblems,
  readLabelled,
  readParallelFiles,
  readParallelTsv,
  readPlainText,
} from './loaders.js';

const dir = mkdtempSync(join(tmpdir(), 'heed-loaders-'));

/** Writes a file in the temp dir and returns its path. */
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function heedError(message: string): (e: unknown) => boolean {
  return (e) => e instanceof HeedError && e.message === message;
}

describe('readLines', () => {
  it('handles a BOM, CRLF, no final newline, and lines longer than a read chunk', () => {
    const long = 'é'.repeat(70_000); // 140 KB: spans three 64 KiB chunks, with é split across a boundary
    const path = file('lines.txt', `\uFEFFfirst\r\n${long}\r\n\r\n\uFEFFkept\nlast`);
    const lines = [...readLines(path)].map((l) => l.text);
    assert.deepEqual(lines, ['first', long, '', '\uFEFFkept', 'last']);
  });

  it('reports invalid UTF-8 on its own line', () => {
    const bytes = Uint8Array.from([...Buffer.from('ok\n'), 0xff, 0xfe, 0x0a, ...Buffer.from('fine')]);
    assert.deepEqual(
      [...readLines(file('bad.txt', bytes))],
      [
        { lineNo: 1, text: 'ok' },
        { lineNo: 2, text: null },
        { lineNo: 3, text: 'fine' },
      ],
    );
  });
});

describe('readParallelTsv', () => {
  const content = [
    'Hello.\tBonjour.',
    'no tab here',
    '\tvide',
    'three\tcolumns\there',
    '',
    "  The man.  \t  L'homme.  ",
    'a b c d e\tf',
    '',
    '',
  ].join('\n');

  it("skips malformed lines and lists them as 'file:line: problem'", () => {
    const path = file('train.tsv', content);
    const data = readParallelTsv(path);
    assert.deepEqual(data.pairs, [
      { src: 'Hello.', tgt: 'Bonjour.' },
      { src: 'The man.', tgt: "L'homme." },
      { src: 'a b c d e', tgt: 'f' },
    ]);
    assert.deepEqual(data.problems.map(formatProblem), [
      `${path}:2: expected 2 tab-separated columns, got 1`,
      `${path}:3: the source is empty`,
      `${path}:4: expected 2 tab-separated columns, got 3`,
    ]);
    assert.equal(data.tooLong, 0);
  });

  it("with onError: 'fail' throws the first problem", () => {
    const path = file('train.tsv', content);
    assert.throws(
      () => readParallelTsv(path, { onError: 'fail' }),
      heedError(`${path}:2: expected 2 tab-separated columns, got 1`),
    );
  });

  it('uses the message format of the brief for a relative path', () => {
    assert.equal(
      formatProblem({ path: 'data/train.tsv', line: 17, message: 'expected 2 tab-separated columns, got 1' }),
      'data/train.tsv:17: expected 2 tab-separated columns, got 1',
    );
    const many = Array.from({ length: 12 }, (_, i) => ({ path: 'x.tsv', line: i + 1, message: 'bad' }));
    assert.equal(formatProblems(many, 2), 'x.tsv:1: bad\nx.tsv:2: bad\n... and 10 more');
  });

  it('filters by maxLength in words and counts what it left out', () => {
    const data = readParallelTsv(file('train.tsv', content), { maxLength: 3 });
    assert.deepEqual(
      data.pairs.map((p) => p.src),
      ['Hello.', 'The man.'],
    );
    assert.equal(data.tooLong, 1);
  });

  it('reads other columns, with an explicit column count', () => {
    const path = file('scored.tsv', 'x\t0.9\tun\ny\t0.1\tdeux\n');
    const data = readParallelTsv(path, { srcColumn: 2, tgtColumn: 0 });
    assert.deepEqual(data.pairs, [
      { src: 'un', tgt: 'x' },
      { src: 'deux', tgt: 'y' },
    ]);
    assert.throws(() => readParallelTsv(path, { srcColumn: 1, tgtColumn: 1 }), HeedError);
  });

  it('handles CRLF endings and a BOM', () => {
    const data = readParallelTsv(file('crlf.tsv', '\uFEFFone\tun\r\ntwo\tdeux\r\n\r\n'));
    assert.deepEqual(data.pairs, [
      { src: 'one', tgt: 'un' },
      { src: 'two', tgt: 'deux' },
    ]);
    assert.deepEqual(data.problems, []);
  });

  it('returns nothing for an empty file, and names a missing one', () => {
    assert.deepEqual(readParallelTsv(file('empty.tsv', '')), { pairs: [], problems: [], tooLong: 0 });
    assert.deepEqual(readParallelTsv(file('blank.tsv', '\n\r\n\n')).pairs, []);
    const missing = join(dir, 'missing.tsv');
    assert.throws(() => readParallelTsv(missing), heedError(`cannot read ${missing}: no such file`));
    assert.throws(() => readParallelTsv(dir), heedError(`cannot read ${dir}: is a directory, not a file`));
  });

  it('reports a line that is not UTF-8', () => {
    const path = file(
      'latin1.tsv',
      Uint8Array.from([...Buffer.from('a\tb\n'), 0x63, 0x61, 0x66, 0xe9, 0x09, 0x78]),
    );
    const data = readParallelTsv(path);
    assert.equal(data.pairs.length, 1);
    assert.deepEqual(data.problems.map(formatProblem), [`${path}:2: not valid UTF-8`]);
  });
});

describe('readParallelFiles', () => {
  it('pairs line-aligned files and reports one-sided blank lines', () => {
    const de = file('train.de', 'Hallo.\r\n\r\nDanke.\nJa.\n');
    const en = file('train.en', 'Hello.\nHi.\nThanks.\nYes.\n\n\n');
    const data = readParallelFiles(de, en);
    assert.deepEqual(data.pairs, [
      { src: 'Hallo.', tgt: 'Hello.' },
      { src: 'Danke.', tgt: 'Thanks.' },
      { src: 'Ja.', tgt: 'Yes.' },
    ]);
    assert.deepEqual(data.problems.map(formatProblem), [`${de}:2: empty line, but line 2 of ${en} is not`]);
  });

  it('refuses files of different lengths', () => {
    const de = file('short.de', 'a\nb\n');
    const en = file('long.en', 'a\nb\nc\nd\n\n');
    assert.throws(
      () => readParallelFiles(de, en),
      heedError(`${de} has 2 lines but ${en} has 4: the files are not aligned`),
    );
    assert.throws(
      () => readParallelFiles(en, de),
      heedError(`${de} has 2 lines but ${en} has 4: the files are not aligned`),
    );
  });
});

describe('readLabelled', () => {
  it('reads label<TAB>text TSV', () => {
    const path = file('sst.tsv', 'pos\tGreat film!\nneg\tDull.\n\tno label\njust text\n\n');
    const data = readLabelled(path);
    assert.deepEqual(data.examples, [
      { label: 'pos', text: 'Great film!' },
      { label: 'neg', text: 'Dull.' },
    ]);
    assert.deepEqual(data.labels, ['neg', 'pos']);
    assert.deepEqual(data.problems.map(formatProblem), [
      `${path}:3: the label is empty`,
      `${path}:4: expected 2 tab-separated columns, got 1`,
    ]);
  });

  it('reads JSON Lines with configurable fields and reports bad lines', () => {
    const path = file(
      'reviews.jsonl',
      [
        '\uFEFF{"review": "Très bien", "stars": 5}',
        '{"review": "Bof", "stars": 2}\r',
        '{"review": "Nul", "stars": 10}',
        '{"review": "oops"',
        '[1, 2]',
        '{"stars": 3}',
        '{"review": 7, "stars": 3}',
        '{"review": "x", "stars": null}',
        '',
      ].join('\n'),
    );
    const data = readLabelled(path, { textField: 'review', labelField: 'stars' });
    assert.deepEqual(data.examples, [
      { text: 'Très bien', label: '5' },
      { text: 'Bof', label: '2' },
      { text: 'Nul', label: '10' },
    ]);
    assert.deepEqual(data.labels, ['2', '5', '10']); // numeric labels sort as numbers
    const messages = data.problems.map((p) => `${p.line}: ${p.message}`);
    assert.match(messages[0], /^4: invalid JSON \(.+\)$/);
    assert.deepEqual(messages.slice(1), [
      '5: expected a JSON object, got an array',
      '6: no "review" field',
      '7: "review" must be a string, got a number',
      '8: "stars" must be a string, number or boolean, got null',
    ]);
    assert.throws(
      () => readLabelled(path, { textField: 'review', labelField: 'stars', onError: 'fail' }),
      (e: unknown) => e instanceof HeedError && e.message.startsWith(`${path}:4: invalid JSON (`),
    );
  });

  it('picks the format from the extension or the option', () => {
    const path = file('data.csv', '{"text": "a", "label": "b"}\n');
    assert.throws(
      () => readLabelled(path),
      heedError(`cannot tell the format of ${path} from its extension; pass format: 'tsv' or 'jsonl'`),
    );
    assert.deepEqual(readLabelled(path, { format: 'jsonl' }).examples, [{ text: 'a', label: 'b' }]);
  });
});

describe('readPlainText', () => {
  it('returns lines without CR/BOM, skipping blank lines unless asked', () => {
    const path = file('corpus.txt', '\uFEFFOne.\r\n\r\nTwo.\r\n\r\n\r\n');
    assert.deepEqual(readPlainText(path).lines, ['One.', 'Two.']);
    assert.deepEqual(readPlainText(path, { skipEmpty: false }).lines, ['One.', '', 'Two.']);
    assert.deepEqual(readPlainText(file('none.txt', '')).lines, []);
  });
});
