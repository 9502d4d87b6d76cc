import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { benchTrain } from './train.js';
import {
  fmtCount,
  formatTrainTable,
  type HeedTrainMeasurement,
  mergeTrainRecords,
  parseTorchTrainOutput,
} from './train-report.js';

const S2S_SHAPE = 'B=32 Ts=20 Tt=20 V=4000/4000 E=128 H=256 p=0.2';
const GPT_SHAPE = 'B=12 T=64 L=4 heads=4 D=128 V=65';

// What bench/torch_train.py prints, with a stray warning between the lines.
const cannedTorch = [
  '{"torch": "1.13.0a0", "threads": 2}',
  `{"case": "seq2seq-gru-additive", "shape": "${S2S_SHAPE}", "torchMs": 320, "medianMs": 310, "tokensPerSec": 2000, "tokensPerStep": 640, "params": 3892640, "steps": 30, "firstLoss": 8.31}`,
  '/usr/lib/python3/dist-packages/torch/nn/modules/rnn.py:1: UserWarning: something',
  `{"case": "gpt", "shape": "${GPT_SHAPE}", "torchMs": 96, "medianMs": 90, "tokensPerSec": 8000, "tokensPerStep": 768, "params": 804096, "steps": 30, "firstLoss": 4.23}`,
  '',
].join('\n');

function heed(name: string, shape: string, ms: number, params: number, tokens: number): HeedTrainMeasurement {
  return {
    case: name,
    shape,
    params,
    tokensPerStep: tokens,
    steps: 30,
    heedMs: ms,
    heedMedianMs: ms * 0.95,
    firstLoss: 4,
  };
}

const heedTimes: HeedTrainMeasurement[] = [
  heed('seq2seq-gru-additive', S2S_SHAPE, 640, 3892640, 640),
  heed('gpt', GPT_SHAPE, 48, 804096, 768),
];

describe('bench train report', () => {
  it('parses the header and one line per case, skipping non-JSON', () => {
    const out = parseTorchTrainOutput(cannedTorch);
    assert.equal(out.version, '1.13.0a0');
    assert.equal(out.threads, 2);
    assert.equal(out.error, null);
    assert.deepEqual([...out.cases.keys()], ['seq2seq-gru-additive', 'gpt']);
    assert.deepEqual(out.cases.get('gpt'), {
      case: 'gpt',
      shape: GPT_SHAPE,
      torchMs: 96,
      medianMs: 90,
      tokensPerSec: 8000,
      tokensPerStep: 768,
      params: 804096,
      steps: 30,
      firstLoss: 4.23,
    });
  });

  it('reports an import failure as the error', () => {
    const out = parseTorchTrainOutput('{"error": "import torch failed: No module named \'torch\'"}\n');
    assert.equal(out.error, "import torch failed: No module named 'torch'");
    assert.equal(out.cases.size, 0);
  });

  it('merges by case: tokens/s from ms per step, ratio = heed / torch tokens/s', () => {
    const recs = mergeTrainRecords(heedTimes, parseTorchTrainOutput(cannedTorch), 2);
    const [s2s, gpt] = recs;
    assert.equal(s2s.heedTokensPerSec, 1000);
    assert.equal(s2s.torchTokensPerSec, 2000);
    assert.equal(s2s.ratio, 0.5);
    assert.equal(s2s.torchMsPerStep, 320);
    assert.equal(s2s.torchMedianMs, 310);
    assert.equal(s2s.torchParams, 3892640);
    assert.equal(s2s.note, undefined);
    assert.equal(gpt.heedTokensPerSec, 16000);
    assert.equal(gpt.ratio, 2);
    assert.equal(gpt.threads, 2);
  });

  it('does not compare a mirror with another parameter count, a shape mismatch or a failed case', () => {
    const text = cannedTorch
      .replace('"params": 804096', '"params": 812288')
      .replace(`"shape": "${S2S_SHAPE}"`, '"shape": "B=16"');
    const [s2s, gpt] = mergeTrainRecords(heedTimes, parseTorchTrainOutput(text), 2);
    assert.equal(gpt.ratio, null);
    assert.equal(gpt.torchParams, 812288); // shown, so the mismatch can be read off the table
    assert.match(gpt.note ?? '', /parameter counts differ \(heed 804096, torch 812288\)/);
    assert.equal(s2s.torchTokensPerSec, null);
    assert.match(s2s.note ?? '', /differs from heed's/);
    const failed = parseTorchTrainOutput(
      '{"torch": "1.13.0a0", "threads": 1}\n{"case": "gpt", "error": "RuntimeError: boom"}\n',
    );
    const recs = mergeTrainRecords(heedTimes, failed, 1);
    assert.match(recs[0].note ?? '', /no result/);
    assert.equal(recs[1].torchMsPerStep, null);
    assert.match(recs[1].note ?? '', /boom/);
  });

  it('without torch, keeps heed figures with null torch fields and no notes', () => {
    for (const r of mergeTrainRecords(heedTimes, null, 1)) {
      assert.equal(r.torchTokensPerSec, null);
      assert.equal(r.ratio, null);
      assert.equal(r.torchParams, null);
      assert.equal(r.note, undefined);
    }
  });

  it('formats a table with a row per case and the notes below', () => {
    assert.equal(fmtCount(3892640), '3,892,640');
    assert.equal(fmtCount(999.6), '1,000');
    assert.equal(fmtCount(null), '—');
    const text = formatTrainTable(mergeTrainRecords(heedTimes, parseTorchTrainOutput(cannedTorch), 2));
    const lines = text.trimEnd().split('\n');
    assert.match(
      lines[0],
      /^case\s+heed tok\/s\s+torch tok\/s\s+ratio\s+heed ms\s+torch ms\s+heed params\s+torch params$/,
    );
    assert.match(
      lines[1],
      /^seq2seq-gru-additive\s+1,000\s+2,000\s+0\.50×\s+640\s+320\s+3,892,640\s+3,892,640$/,
    );
    assert.match(lines[2], /^gpt\s+16,000\s+8,000\s+2\.00×\s+48\.0\s+96\.0\s+804,096\s+804,096$/);
    assert.equal(lines.length, 3);
    const noTorch = formatTrainTable(mergeTrainRecords(heedTimes, null, 1)).split('\n');
    assert.match(noTorch[2], /^gpt\s+16,000\s+—\s+—\s+48\.0\s+—\s+804,096\s+—$/);
  });
});

/**
 * A stand-in for bench/torch_train.py (run in its place as `python script args…`): the header,
 * a ready line for gpt, then a block of `ms`-millisecond steps per `run` request, logging each
 * request to `log`. After `dieAfter` blocks it exits.
 */
function fakeTorch(
  dir: string,
  opts: { ms: number; dieAfter?: number; header?: string },
): { python: string; log: string } {
  const log = join(dir, 'requests.log');
  const python = join(dir, 'fake-python.cjs');
  const header = opts.header ?? '{"torch": "fake", "threads": 2}';
  writeFileSync(
    python,
    `#!${process.execPath}
const fs = require('node:fs');
console.log(${JSON.stringify(header)});
console.log(JSON.stringify({ case: 'gpt', ready: true, shape: ${JSON.stringify(GPT_SHAPE)}, tokensPerStep: 768, params: 804096, firstLoss: 4.2 }));
let blocks = 0;
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  fs.appendFileSync(${JSON.stringify(log)}, line + '\\n');
  const w = line.split(' ');
  if (w[0] === 'quit') process.exit(0);
  if (blocks++ === ${opts.dieAfter ?? -1}) process.exit(1);
  console.log(JSON.stringify({ case: w[1], block: Array(Number(w[2])).fill(${opts.ms}) }));
});
`,
  );
  chmodSync(python, 0o755);
  return { python, log };
}

describe('bench train runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heed-bench-train-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('alternates blocks of steps with the PyTorch side and reports both over all steps', async () => {
    const { python, log } = fakeTorch(mkdtempSync(join(dir, 'a-')), { ms: 1000 });
    const r = await benchTrain({ cases: ['gpt'], steps: 12, warmup: 1, python });
    assert.equal(r.torch, 'torch fake (2 threads, OMP_WAIT_POLICY PASSIVE)');
    const [gpt] = r.records;
    assert.equal(gpt.steps, 12);
    assert.equal(gpt.torchMsPerStep, 1000);
    assert.equal(gpt.torchParams, 804096);
    assert.ok(gpt.heedMsPerStep > 0 && gpt.heedMsPerStep < 1000);
    assert.ok(Math.abs((gpt.ratio ?? 0) - 1000 / gpt.heedMsPerStep) < 1e-9);
    assert.equal(gpt.note, undefined);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      'run gpt 5',
      'run gpt 5',
      'run gpt 2',
      'quit',
    ]);
  });

  it('keeps heed figures and notes it when the PyTorch side stops midway', async () => {
    const { python } = fakeTorch(mkdtempSync(join(dir, 'b-')), { ms: 1000, dieAfter: 1 });
    const said: string[] = [];
    const r = await benchTrain({
      cases: ['gpt'],
      steps: 12,
      warmup: 1,
      python,
      onProgress: (m) => said.push(m),
    });
    const [gpt] = r.records;
    assert.equal(gpt.torchMsPerStep, null);
    assert.equal(gpt.ratio, null);
    assert.ok(gpt.heedMsPerStep > 0);
    assert.match(gpt.note ?? '', /torch stopped before a block of 'gpt'/);
    assert.ok(said.some((m) => /torch stopped/.test(m)));
  });

  it('says why when the PyTorch side is unavailable', async () => {
    const { python } = fakeTorch(mkdtempSync(join(dir, 'c-')), {
      ms: 1,
      header: '{"error": "import torch failed: No module named torch"}',
    });
    const r = await benchTrain({ cases: ['gpt'], steps: 2, warmup: 1, python });
    assert.equal(r.torch, null);
    assert.equal(r.torchUnavailable, 'import torch failed: No module named torch');
    assert.equal(r.records[0].torchMsPerStep, null);
    const missing = await benchTrain({
      cases: ['gpt'],
      steps: 1,
      warmup: 1,
      python: join(dir, 'no-such-python'),
    });
    assert.match(missing.torchUnavailable ?? '', /no-such-python: spawn .*ENOENT/);
  });
});
