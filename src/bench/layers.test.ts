import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatTable,
  type HeedMeasurement,
  type HeedMemory,
  mergeRecords,
  parseTorchOutput,
} from './layers-report.js';

// What bench/torch_layers.py prints, memory lines after the timings, with a stray warning.
const cannedTorch = [
  '{"torch": "1.13.0a0", "threads": 2}',
  '{"case": "lstm", "shape": "B=32 T=20 I=64 H=256", "torchMs": 20, "minMs": 18, "runs": 90}',
  '/usr/lib/python3/dist-packages/torch/nn/modules/rnn.py:1: UserWarning: something',
  '{"case": "gru", "error": "RuntimeError: boom"}',
  '{"case": "mha", "shape": "B=8 T=64 D=256 heads=4", "torchMs": 30, "minMs": 29, "runs": 50}',
  '{"case": "attention-1024", "shape": "[1,4,1024,64]", "torchMs": 80, "minMs": 70, "runs": 18}',
  '{"case": "attention-1024", "torchPeakMB": 49.2}',
  '',
].join('\n');

function heed(
  name: string,
  torchCase: string,
  shape: string,
  ms: number,
  scoresMB: number | null = null,
): HeedMeasurement {
  return { case: name, shape, torchCase, scoresMB, heedMs: ms, heedMinMs: ms * 0.9, heedRuns: 10 };
}

const heedTimes: HeedMeasurement[] = [
  heed('lstm', 'lstm', 'B=32 T=20 I=64 H=256', 40),
  heed('gru', 'gru', 'B=32 T=20 I=64 H=256', 30),
  heed('mha', 'mha', 'B=8 T=128 D=256 heads=4', 15),
  heed('attention-fused-1024', 'attention-1024', '[1,4,1024,64]', 20, 16.8),
  heed('attention-composed-1024', 'attention-1024', '[1,4,1024,64]', 100, 16.8),
];
const heedMemory: HeedMemory[] = [
  { case: 'attention-fused-1024', heedPeakMB: 7.4, heedTypedMB: 7.3 },
  { case: 'attention-composed-1024', heedPeakMB: 103.7, heedTypedMB: 91.2 },
];

describe('bench layers report', () => {
  it('parses torch lines, merging the memory line into its case and skipping non-JSON', () => {
    const out = parseTorchOutput(cannedTorch);
    assert.equal(out.version, '1.13.0a0');
    assert.equal(out.threads, 2);
    assert.equal(out.error, null);
    assert.deepEqual([...out.cases.keys()], ['lstm', 'gru', 'mha', 'attention-1024']);
    assert.deepEqual(out.cases.get('attention-1024'), {
      case: 'attention-1024',
      shape: '[1,4,1024,64]',
      torchMs: 80,
      minMs: 70,
      runs: 18,
      torchPeakMB: 49.2,
    });
    assert.equal(out.cases.get('gru')?.error, 'RuntimeError: boom');
  });

  it('reports an import failure as the error', () => {
    const out = parseTorchOutput('{"error": "import torch failed: No module named \'torch\'"}\n');
    assert.equal(out.error, "import torch failed: No module named 'torch'");
    assert.equal(out.cases.size, 0);
  });

  it('merges by torch case: ratio = torch / heed, failures and shape mismatches give null', () => {
    const recs = mergeRecords(heedTimes, heedMemory, parseTorchOutput(cannedTorch), 2);
    const by = new Map(recs.map((r) => [r.case, r]));
    assert.equal(by.get('lstm')?.ratio, 0.5);
    assert.equal(by.get('lstm')?.torchMinMs, 18);
    assert.equal(by.get('lstm')?.note, undefined);
    assert.equal(by.get('lstm')?.heedPeakMB, undefined); // memory only for attention
    assert.equal(by.get('gru')?.torchMs, null);
    assert.equal(by.get('gru')?.ratio, null);
    assert.match(by.get('gru')?.note ?? '', /boom/);
    assert.equal(by.get('mha')?.ratio, null); // torch ran T=64, heed T=128
    assert.match(by.get('mha')?.note ?? '', /differs/);
    // Both heed paths compare with torch's one composed attention.
    assert.equal(by.get('attention-fused-1024')?.ratio, 4);
    assert.equal(by.get('attention-composed-1024')?.ratio, 0.8);
    assert.equal(by.get('attention-fused-1024')?.torchPeakMB, 49.2);
    assert.equal(by.get('attention-composed-1024')?.heedPeakMB, 103.7);
    assert.equal(by.get('attention-composed-1024')?.scoresMB, 16.8);
  });

  it('without torch, keeps heed figures with null torch fields and no notes', () => {
    const recs = mergeRecords(heedTimes, [], null, 1);
    for (const r of recs) {
      assert.equal(r.torchMs, null);
      assert.equal(r.ratio, null);
      assert.equal(r.note, undefined);
    }
    assert.equal(recs[3].heedPeakMB, null); // memory child failed or did not run
    assert.equal(recs[3].torchPeakMB, null);
  });

  it('formats a table with a row per case and the notes below', () => {
    const text = formatTable(mergeRecords(heedTimes, heedMemory, parseTorchOutput(cannedTorch), 2));
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0], /^case\s+heed ms\s+torch ms\s+ratio\s+heed MB\s+torch MB\s+T² MB$/);
    assert.match(lines[1], /^lstm\s+40\.0\s+20\.0\s+0\.50×$/);
    assert.match(lines[2], /^gru\s+30\.0\s+—\s+—$/);
    assert.match(lines[4], /^attention-fused-1024\s+20\.0\s+80\.0\s+4\.00×\s+7\.4\s+49\.2\s+16\.8$/);
    assert.match(lines[5], /^attention-composed-1024\s+100\s+80\.0\s+0\.80×\s+103\.7\s+49\.2\s+16\.8$/);
    assert.equal(lines.filter((l) => l.startsWith('note: ')).length, 2);
  });
});
