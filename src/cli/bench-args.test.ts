import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runHeed } from '../testing/cli.js';

describe('heed bench: argument errors are one line naming the option', () => {
  const cases: [string[], RegExp][] = [
    [['bench'], /^heed: bench: name a suite: matmul, layers, train, generate, serve$/m],
    [
      ['bench', 'layers', '--threads', '0'],
      /bench layers: --threads wants an integer in \[1, 1024\], got '0'/,
    ],
    [
      ['bench', 'layers', '--thread=2'],
      /bench layers: unknown option --thread \(options: --threads, --cases, --json, --no-torch\)/,
    ],
    [['bench', 'train', '--steps=x'], /bench train: --steps wants an integer in \[1, 100000\], got 'x'/],
    [['bench', 'train', 'gpt'], /bench train: unexpected argument 'gpt'/],
    [['bench', 'layers', '--steps', '3'], /bench layers: unknown option --steps/],
    [['bench', 'serve', '--clients=4,0'], /bench serve: --clients wants an integer in \[1, 1000\], got '0'/],
    [['bench', 'serve', '--requests'], /bench serve: --requests needs a value/],
    [['bench', 'matmul', '--backends=gpu'], /bench: backend 'gpu' is not available; available: js/],
    [['bench', 'generate', '--json=1'], /bench generate: --json takes no value/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(' '), async (t) => {
      const r = await runHeed(t, ...argv);
      assert.notEqual(r.code, 0);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }
});
