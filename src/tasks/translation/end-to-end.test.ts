import '../../backend/native/register.js';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { translateStream } from '../../cli/commands/translate.js';
import { main } from '../../cli/main.js';
import type { TaskResult } from '../task.js';
import { loadTranslator } from './checkpoint.js';
import { memoryIO, toyConfig, toyData } from './fixtures.js';
import { trainTranslator, translationTask } from './task.js';
import type { Translator } from './translator.js';

/**
 * A tiny end-to-end run: a GRU seq2seq with additive attention learns to reverse letter
 * sequences in 150 steps, writes its checkpoint, and the checkpoint translates, evaluates and
 * serves the CLI exactly as the model in memory does.
 */
const data = toyData();
const config = toyConfig(data);
let trained: Translator;
let result: TaskResult;
const io = memoryIO();

before(async () => {
  ({ translator: trained, result } = await trainTranslator(config, io));
});
after(() => data.cleanup());

const sentences = ['a b c', 'h g f e d', 'c c a', 'b a d e f h'];

/** Runs the CLI with stdout captured. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = (chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  try {
    const code = await main(args);
    return { code, out: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

describe('translation task, end to end on a toy reversal corpus', () => {
  it('trains, logs the data and writes a complete checkpoint', () => {
    assert.match(
      io.lines[0],
      /^toy: 600 train pairs \(0 left out: empty\), 40 valid, 60 test; vocabularies 12 source \/ 12 target tokens$/,
    );
    for (const f of [
      'config.json',
      'model.safetensors',
      'source-tokenizer.json',
      'target-vocab.json',
      'training.json',
      'log.jsonl',
    ]) {
      assert.ok(existsSync(join(config.output, f)), f);
    }
    const log = readFileSync(join(config.output, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const evals = log.filter((r) => r.type === 'eval');
    assert.deepEqual(
      evals.map((r) => r.step),
      [75, 150],
    );
    assert.ok('valid_bleu' in evals[0].metrics && 'valid_loss' in evals[0].metrics);
    assert.equal(result.task, 'translation');
    assert.equal(result.model, 'seq2seq/additive');
    assert.ok(result.metrics.exact_match >= 50, `exact match ${result.metrics.exact_match}`);
    assert.ok(result.metrics.bleu > 50, `BLEU ${result.metrics.bleu}`);
  });

  it('the reloaded checkpoint translates exactly as the model in memory', () => {
    const loaded = loadTranslator(config.output);
    const a = trained.translate(sentences);
    const b = loaded.translate(sentences);
    assert.deepEqual(
      b.map((t) => t.text),
      a.map((t) => t.text),
    );
    assert.deepEqual(
      b.map((t) => t.score),
      a.map((t) => t.score),
    );
    assert.equal(a[0].text, 'c b a');
  });

  it('translations carry tokens, source tokens and an attention row per output token', () => {
    const [t] = trained.translate(['a b zz c']);
    assert.deepEqual(
      t.sourceTokens,
      ['a', 'b', 'zz', 'c'],
      'an unknown token is kept as written (read as <unk>)',
    );
    assert.ok(t.attention !== null);
    assert.equal(t.attention.length, t.tokens.length);
    for (const row of t.attention) {
      assert.equal(row.length, 4);
      assert.ok(Math.abs(row.reduce((p, q) => p + q, 0) - 1) < 1e-4);
    }
  });

  it('beam search finds a hypothesis at least as likely as greedy search; beam 1 is greedy', () => {
    const greedy = trained.translate(sentences);
    const beam1 = trained.translate(sentences, { beamSize: 1 });
    const beam4 = trained.translate(sentences, { beamSize: 4 });
    assert.deepEqual(
      beam1.map((t) => t.text),
      greedy.map((t) => t.text),
    );
    beam4.forEach((t, i) => {
      assert.ok(t.score >= greedy[i].score - 1e-5, `${t.score} < ${greedy[i].score}`);
    });
    const short = trained.translate(['a b c d e f'], { maxLength: 2 });
    assert.equal(short[0].tokens.length, 2, 'maxLength caps the output');
  });

  it('an empty input line is a one-line error naming the line', () => {
    assert.throws(() => trained.translate(['a b', '  ']), /^HeedError: translate: input line 2 is empty$/);
  });

  it('evaluate scores the checkpoint on its test data, or on another TSV', async () => {
    const r = await translationTask.evaluate(config.output, {}, memoryIO());
    assert.equal(r.metrics.bleu, result.metrics.bleu);
    assert.equal(r.metrics.exact_match, result.metrics.exact_match);
    assert.deepEqual(r.tables[0], result.tables[0]);
    const other = await translationTask.evaluate(config.output, { data: data.valid }, memoryIO());
    assert.equal(other.metrics.sentences, 40);
    assert.deepEqual(other.tables[0].columns, ['source words', 'count', 'BLEU', 'chrF', 'exact %']);
  });

  it('heed translate prints the translation of TEXT, or JSON with the attention', async () => {
    const plain = await cli(['translate', config.output, 'h g f e d']);
    assert.equal(plain.code, 0);
    assert.equal(plain.out, `${trained.translate(['h g f e d'])[0].text}\n`);
    const beam = await cli(['translate', config.output, 'h', 'g', 'f', '--beam', '3', '--alpha=0.6']);
    assert.equal(beam.out, `${trained.translate(['h g f'], { beamSize: 3, alpha: 0.6 })[0].text}\n`);
    const json = await cli(['translate', config.output, 'a b c', '--json']);
    const record = JSON.parse(json.out);
    assert.deepEqual(Object.keys(record), ['text', 'tokens', 'sourceTokens', 'attention', 'score']);
    assert.equal(record.attention.length, record.tokens.length);
  });

  it('heed translate reads stdin line by line', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const n = await translateStream(trained, Readable.from(['a b c\nh g', ' f\n']), out, {}, false);
    assert.equal(n, 2);
    assert.equal(
      chunks.join(''),
      `${trained
        .translate(['a b c', 'h g f'])
        .map((t) => `${t.text}\n`)
        .join('')}`,
    );
    await assert.rejects(
      translateStream(trained, Readable.from(['a b\n\nc\n']), new PassThrough(), {}, false),
      /translate: input line 2 is empty/,
    );
  });

  it('heed translate errors are one line', async () => {
    const errors: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = (chunk: string | Uint8Array): boolean => {
      errors.push(String(chunk));
      return true;
    };
    try {
      assert.equal(await main(['translate', join(data.dir, 'nope'), 'a']), 1);
      assert.equal(await main(['translate', config.output, 'a', '--beam', '0']), 1);
    } finally {
      process.stderr.write = write;
    }
    assert.match(errors[0], /^heed: checkpoint .*nope: directory not found\n$/);
    assert.match(errors[1], /^heed: translate: --beam must be a positive integer, got 0\n$/);
  });
});
