import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runHeed } from '../../testing/cli.js';
import { quietIO, runConfig, tempDir } from '../classification/testing.js';
import { loadLanguageModel } from './language-model.js';
import { trainLanguageModel } from './task.js';

const dir = tempDir('heed-generate-cli-');
after(() => rmSync(dir, { recursive: true, force: true }));
const ckpt = join(dir, 'lm');

const heed = runHeed;

before(() => {
  const text = join(dir, 'text.txt');
  writeFileSync(text, 'abcabd abcabd\n'.repeat(30));
  const config = {
    task: 'lm',
    data: { path: text, blockSize: 8 },
    model: { kind: 'attentive-rnn-lm', embedDim: 8, hiddenSize: 16 },
    training: { batchSize: 4, maxSteps: 10, progress: 'none' },
    eval: { evalBatches: 1, sampleTokens: 0 },
    output: ckpt,
  };
  trainLanguageModel(runConfig(dir, 'lm', config), quietIO());
});

describe('heed generate', () => {
  it('prints the prompt and its continuation, the same for the same seed', async (t) => {
    const args = ['generate', ckpt, '--prompt', 'abc', '--max-tokens', '12', '--top-k', '3', '--seed', '4'];
    const r = await heed(t, ...args);
    assert.equal(r.code, 0, r.stderr);
    const g = loadLanguageModel(ckpt).generate('abc', { maxTokens: 12, topK: 3, seed: 4 });
    assert.equal(r.stdout, `${g.text}\n`);
    assert.equal((await heed(t, ...args)).stdout, r.stdout);
  });

  it('--json gives the text, the new tokens, the seed and what each new token attended to', async (t) => {
    const r = await heed(t, 'generate', ckpt, '--prompt=ab', '--max-tokens=5', '--temperature=0', '--json');
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.tokens.length, 5);
    assert.equal(o.text, `ab${o.continuation}`);
    assert.equal(o.seed, 0);
    assert.deepEqual(
      o.attention.map((row: number[]) => row.length),
      [1, 2, 3, 4, 5],
    );
  });

  it('bad flags and values are one-line errors', async (t) => {
    const cases: [string[], RegExp][] = [
      [['generate', ckpt, '--max-tokens', '5'], /^heed: generate: --prompt TEXT is required/],
      [['generate', ckpt, '--prompt', 'a'], /^heed: generate: --max-tokens N is required/],
      [
        ['generate', ckpt, '--prompt', 'a', '--max-tokens', 'ten'],
        /^heed: generate: --max-tokens must be an integer, got 'ten'/,
      ],
      [
        ['generate', ckpt, '--prompt', 'a', '--max-tokens', '3', '--temperature', '-1'],
        /--temperature must be >= 0, got -1/,
      ],
      [
        ['generate', ckpt, '--prompt', 'a', '--max-tokens', '3', '--top-p', '1.5'],
        /--top-p must be in \(0, 1\], got 1.5/,
      ],
      [
        ['generate', ckpt, '--prompt', 'a', '--max-tokens', '3', '--top-k', '0'],
        /--top-k must be >= 1, got 0/,
      ],
      [['generate', ckpt, '--prompt', 'a', '--max-tokens', '3', '--beam', '2'], /unknown option --beam/],
      [
        ['generate', ckpt, '--prompt', 'xyz', '--max-tokens', '3'],
        /prompt: the character "x" never occurs in the training text/,
      ],
      [
        ['generate', join(dir, 'none'), '--prompt', 'a', '--max-tokens', '3'],
        /checkpoint .*none: directory not found/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await heed(t, ...args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
