import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runHeed } from '../../testing/cli.js';
import { loadClassifier } from './classifier.js';
import { trainClassifier } from './task.js';
import { keywordSpam, quietIO, runConfig, tempDir, writeJsonl } from './testing.js';

const dir = tempDir('heed-classify-cli-');
after(() => rmSync(dir, { recursive: true, force: true }));
const ckpt = join(dir, 'nb');

const heed = runHeed;

before(() => {
  const data = writeJsonl(join(dir, 'spam.jsonl'), keywordSpam(120, 5));
  const config = {
    task: 'classification',
    data: { path: data },
    model: { kind: 'naive-bayes' },
    training: {},
    output: ckpt,
  };
  trainClassifier(runConfig(dir, 'nb', config), quietIO());
});

describe('heed classify', () => {
  it('prints the label and its probability for a text', async (t) => {
    const r = await heed(t, 'classify', ckpt, 'free', 'cash', 'for', 'the', 'team');
    assert.equal(r.code, 0, r.stderr);
    const [c] = loadClassifier(ckpt).classify(['free cash for the team']);
    assert.equal(r.stdout, `spam\t${c.probabilities.spam.toFixed(4)}\n`);
  });

  it('--json gives one object per text with every probability and the tokens', async (t) => {
    const r = await heed(t, 'classify', ckpt, 'team lunch notes', '--json');
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.label, 'ham');
    assert.deepEqual(Object.keys(o.probabilities), ['ham', 'spam']);
    assert.deepEqual(o.tokens, ['team', 'lunch', 'notes']);
    assert.equal(o.weights, null);
  });

  it('reads one text per line from standard input when no text is given', () => {
    const bin = fileURLToPath(new URL('../../../bin/heed.js', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'classify', ckpt], {
      input: 'winner prize meeting\n\nreview the code\n',
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split('\t')[0]),
      ['spam', 'ham'],
    );
  });

  it('bad arguments are one-line errors', async (t) => {
    const cases: [string[], RegExp][] = [
      [['classify'], /^heed: classify: give a checkpoint directory; usage: heed classify CHECKPOINT/],
      [['classify', ckpt, 'x', '--jsn'], /^heed: classify: unknown option --jsn \(options: --json\)/],
      [['classify', join(dir, 'none'), 'x'], /^heed: checkpoint .*none: directory not found/],
    ];
    for (const [args, message] of cases) {
      const r = await heed(t, ...args);
      assert.equal(r.code, 1);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
