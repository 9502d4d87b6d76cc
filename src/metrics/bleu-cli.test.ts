import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runHeed } from '../testing/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'heed-bleu-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const heed = runHeed;

// sacreBLEU's README example (test/test_bleu.py), one segment per line.
const hyp = file('hyp.txt', "The dog bit the man.\nIt wasn't surprising.\nThe man had just bitten him.\n");
const ref1 = file('ref1.txt', 'The dog bit the man.\nIt was not unexpected.\nThe man bit him first.\n');
const ref2 = file(
  'ref2.txt',
  'The dog had bit the man.\nNo one was surprised.\nThe man had bitten the dog.\n',
);

const V = 'version:heed-0.1.0';

describe('heed bleu', () => {
  // Expected lines are sacreBLEU 2.6.0's for `sacrebleu REF... -i hyp.txt -m bleu chrf -f text -w 2`,
  // with the signature moved to its own line and heed's version in it.
  it('prints BLEU and chrF with their signatures, like sacreBLEU', async (t) => {
    const r = await heed(t, 'bleu', hyp, ref1);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'BLEU = 45.07 70.6/42.9/36.4/37.5 (BP = 1.000 ratio = 1.000 hyp_len = 17 ref_len = 17)',
        `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|${V}`,
        'chrF2 = 50.04',
        `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|${V}`,
        '',
      ].join('\n'),
    );
  });

  it('takes several reference files (48.53 is test_bleu.py’s figure)', async (t) => {
    const r = await heed(t, 'bleu', hyp, ref1, ref2);
    assert.equal(
      r.stdout,
      [
        'BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)',
        `nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|${V}`,
        'chrF2 = 59.73',
        `nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|${V}`,
        '',
      ].join('\n'),
    );
  });

  it('--tokenize and --lowercase', async (t) => {
    const none = await heed(t, 'bleu', hyp, ref1, '--tokenize=none');
    assert.match(
      none.stdout,
      /^BLEU = 44\.43 57\.1\/45\.5\/37\.5\/40\.0 \(BP = 1\.000 ratio = 1\.000 hyp_len = 14 ref_len = 14\)\n/,
    );
    assert.match(none.stdout, /\|tok:none\|/);
    const spaced = await heed(t, 'bleu', hyp, ref1, '--tokenize', 'none');
    assert.equal(spaced.stdout, none.stdout);
    // sacreBLEU with -lc --chrf-lowercase: BLEU is unchanged here, chrF2 60.02.
    const lc = await heed(t, 'bleu', hyp, ref1, ref2, '--lowercase');
    assert.match(lc.stdout, /^BLEU = 48\.53 /);
    assert.match(lc.stdout, /\nchrF2 = 60\.02\nnrefs:2\|case:lc\|eff:yes/);
  });

  it('--json prints sacreBLEU-style records', async (t) => {
    const r = await heed(t, 'bleu', hyp, ref1, '--json');
    const [bleu, chrf] = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.equal(bleu?.name, 'BLEU');
    assert.equal(bleu?.score, 45.07);
    assert.equal(bleu?.signature, `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|${V}`);
    assert.equal(
      bleu?.verbose_score,
      '70.6/42.9/36.4/37.5 (BP = 1.000 ratio = 1.000 hyp_len = 17 ref_len = 17)',
    );
    assert.equal(bleu?.tok, '13a');
    assert.deepEqual(bleu?.counts, [12, 6, 4, 3]);
    assert.deepEqual(bleu?.totals, [17, 14, 11, 8]);
    assert.equal(chrf?.name, 'chrF2');
    assert.equal(chrf?.score, 50.04);
    assert.equal(chrf?.nc, '6');
  });

  it('reads lines as sacreBLEU does: a final newline ends a line, \\r\\n is stripped', async (t) => {
    // Hand-checked: both files hold the same two segments, so BLEU is 100.
    const h = file('h-crlf.txt', 'the cat sat on the mat\r\nthe dog sat on the log\r\n');
    const r = file('r-no-eol.txt', 'the cat sat on the mat\nthe dog sat on the log');
    const out = await heed(t, 'bleu', h, r);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^BLEU = 100\.00 .* hyp_len = 12 ref_len = 12\)\n/);
  });

  it('errors: a missing file', async (t) => {
    const missing = join(dir, 'x.txt');
    const r = await heed(t, 'bleu', hyp, missing);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `heed: bleu: cannot read REF_FILE '${missing}' (no such file)\n`);
    const h = await heed(t, 'bleu', missing, ref1);
    assert.equal(h.stderr, `heed: bleu: cannot read HYP_FILE '${missing}' (no such file)\n`);
    const d = await heed(t, 'bleu', hyp, dir);
    assert.equal(d.stderr, `heed: bleu: cannot read REF_FILE '${dir}' (is a directory)\n`);
  });

  it('errors: line counts differ (a blank last line is a segment)', async (t) => {
    const short = file('short.txt', 'The dog bit the man.\nIt was not unexpected.\n');
    const r = await heed(t, 'bleu', hyp, short);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `heed: bleu: HYP_FILE '${hyp}' has 3 lines but REF_FILE '${short}' has 2\n`);
    const blank = file('blank.txt', 'a\nb\nc\n\n');
    const b = await heed(t, 'bleu', hyp, blank);
    assert.equal(b.stderr, `heed: bleu: HYP_FILE '${hyp}' has 3 lines but REF_FILE '${blank}' has 4\n`);
  });

  it('errors: usage, unknown tokenizer, empty input, bad UTF-8', async (t) => {
    assert.match(
      (await heed(t, 'bleu', hyp)).stderr,
      /^heed: bleu: needs a hypothesis file and at least one reference file/,
    );
    assert.equal(
      (await heed(t, 'bleu', hyp, ref1, '--tokenize=intl')).stderr,
      "heed: bleu: unknown tokenizer 'intl'; choose one of 13a, none, char\n",
    );
    assert.match(
      (await heed(t, 'bleu', hyp, ref1, '--bogus')).stderr,
      /^heed: bleu: unknown option '--bogus'/,
    );
    const empty = file('empty.txt', '');
    assert.equal(
      (await heed(t, 'bleu', empty, empty)).stderr,
      `heed: bleu: HYP_FILE '${empty}' is empty; nothing to score\n`,
    );
    const latin1 = join(dir, 'latin1.txt');
    writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    assert.equal(
      (await heed(t, 'bleu', latin1, ref1)).stderr,
      `heed: bleu: cannot read HYP_FILE '${latin1}' (not valid UTF-8)\n`,
    );
  });

  it('--help shows the usage', async (t) => {
    const r = await heed(t, 'bleu', '--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: heed bleu HYP_FILE REF_FILE\.\.\./);
  });
});
