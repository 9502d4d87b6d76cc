import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadClassifier } from '../classification/classifier.js';
import { quietIO, runConfig, tempDir } from '../classification/testing.js';
import { lmAttention, loadLanguageModel } from './language-model.js';
import { lmTask, trainLanguageModel } from './task.js';

const dir = tempDir('heed-lm-');
after(() => rmSync(dir, { recursive: true, force: true }));
const textPath = join(dir, 'text.txt');
writeFileSync(textPath, 'the cat sat on the mat.\nthe dog sat on the log.\n'.repeat(40));

const models = {
  gpt: { kind: 'gpt', nLayer: 2, nHead: 2, nEmbd: 16 },
  'rnn-lm': { kind: 'rnn-lm', embedDim: 8, hiddenSize: 24, dropout: 0 },
  'attentive-rnn-lm': { kind: 'attentive-rnn-lm', embedDim: 8, hiddenSize: 24, dropout: 0 },
} as const;

function config(kind: keyof typeof models, maxSteps = 60) {
  return {
    task: 'lm',
    seed: 2,
    data: { path: textPath, tokenizer: 'char', split: { valid: 0.1 }, blockSize: 16 },
    model: models[kind],
    training: {
      batchSize: 8,
      maxSteps,
      evalEvery: 20,
      progress: 'none',
      clipNorm: 1,
      optimizer: { name: 'adamw', lr: 0.01, weightDecay: 0 },
    },
    eval: { evalBatches: 2, sampleTokens: 24, temperature: 0.8, prompt: 'the ' },
    output: join(dir, kind),
  };
}

describe('lm task: config errors are one line', () => {
  const check = (patch: Record<string, unknown>, overrides: string[] = []) =>
    lmTask.check(runConfig(dir, 'bad', { ...config('gpt'), ...patch }, overrides));

  it('names unknown keys, missing files and bad values by their path in the config', () => {
    const cases: [() => void, RegExp][] = [
      [
        () => check({}, ['--data.blocksize=8']),
        /config\.data: unknown key "blocksize" .*did you mean "blockSize"\?/,
      ],
      [
        () => check({}, [`--data.path=${join(dir, 'none.txt')}`]),
        /config\.data\.path: file not found: .*none\.txt/,
      ],
      [
        () => check({}, ['--data.tokenizer=bpe']),
        /config\.data\.tokenizer must be 'char' \| 'word', got "bpe"/,
      ],
      [() => check({}, ['--model.nLayer=0']), /config\.model\.nLayer must be an integer >= 1, got 0/],
      [() => check({}, ['--model.nEmbd=15']), /config\.model\.nEmbd 15 is not divisible by config\.nHead 2/],
      [
        () => check({}, ['--model.blockSize=8']),
        /config\.model\.blockSize is config\.data\.blockSize; set it there/,
      ],
      [
        () => check({ model: models['rnn-lm'] }, ['--model.cells=gru']),
        /config\.model: unknown key 'cells' \(valid: embedDim,/,
      ],
      [
        () => check({}, ['--model.kind=ngram']),
        /config\.model\.kind must be 'gpt' \| 'rnn-lm' \| 'attentive-rnn-lm'/,
      ],
      [() => check({}, ['--eval.topP=2']), /config\.eval\.topP must be a number > 0 and <= 1, got 2/],
      [
        () => check({}, ['--training.evalEvery=-1']),
        /config\.training\.evalEvery must be an integer >= 0, got -1/,
      ],
    ];
    for (const [fn, message] of cases) {
      assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof Error && e.name === 'HeedError', String(e));
        assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
        assert.match(e.message, message);
        assert.ok(e.message.startsWith(join(dir, 'bad.json')), e.message);
        return true;
      });
    }
  });

  it('a text too short for the context is a one-line error', () => {
    const short = join(dir, 'short.txt');
    writeFileSync(short, 'abc\n');
    assert.throws(
      () => trainLanguageModel(runConfig(dir, 'short', config('gpt'), [`--data.path=${short}`]), quietIO()),
      /config\.data: the train part of .*short\.txt has 4 tokens, fewer than blockSize \+ 1 = 17/,
    );
  });
});

describe('lm task: end to end on a short repeated text', () => {
  for (const kind of ['gpt', 'rnn-lm', 'attentive-rnn-lm'] as const) {
    it(`${kind}: trains, checkpoints, reloads, generates reproducibly, evaluates`, async () => {
      const c = config(kind);
      const io = quietIO();
      const { lm, result } = trainLanguageModel(runConfig(dir, kind, c), io);
      assert.equal(result.task, 'lm');
      assert.equal(result.model, kind);
      assert.ok(result.metrics.valid_loss < 1.6, `valid loss ${result.metrics.valid_loss}`);
      assert.ok(Math.abs(result.metrics.perplexity - Math.exp(result.metrics.valid_loss)) < 1e-9);
      assert.equal(result.tables[0].title, 'sample (prompt "the ", temperature 0.8, seed 2)');
      assert.deepEqual(result.tables[0].columns, ['line', 'text']);
      assert.match(String(result.tables[0].rows[0][1]), /^the /);

      const files = readdirSync(c.output);
      for (const f of [
        'config.json',
        'log.jsonl',
        'model.safetensors',
        'tokenizer.json',
        'training.json',
        'vocab.json',
      ]) {
        assert.ok(files.includes(f), `${f} in ${files.join(', ')}`);
      }
      assert.equal(JSON.parse(readFileSync(join(c.output, 'config.json'), 'utf8')).kind, 'lm');
      const log = readFileSync(join(c.output, 'log.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        log.filter((r) => r.type === 'eval').map((r) => r.step),
        [20, 40, 60],
      );

      const reloaded = loadLanguageModel(c.output);
      const opts = { maxTokens: 20, temperature: 0.9, topK: 5, seed: 7 };
      const a = lm.generate('the c', opts);
      assert.deepEqual(
        reloaded.generate('the c', opts),
        a,
        'the checkpoint generates as the model in memory',
      );
      assert.deepEqual(reloaded.generate('the c', opts), a, 'the same seed gives the same text');
      assert.equal(a.tokens.length, 20);
      assert.equal(a.text, `the c${a.continuation}`);
      assert.equal(a.continuation, a.tokens.join(''));
      const greedy = reloaded.generate('the d', { maxTokens: 10, temperature: 0, seed: 1 });
      assert.deepEqual(
        lm.generate('the d', { maxTokens: 10, temperature: 0, seed: 2 }),
        greedy,
        'greedy ignores the seed',
      );
      assert.match(greedy.text, /^the do/);
      // What each new token attended to: the step at position 4 + i predicted token i; GPT sees
      // positions 0…4+i (while the whole sequence fits in blockSize 16), the attentive RNN 0…3+i.
      const short = reloaded.generate('the c', { maxTokens: 8, seed: 3 });
      if (kind === 'rnn-lm') assert.equal(short.attention, undefined);
      else {
        const rows = short.attention ?? [];
        assert.equal(rows.length, 8);
        rows.forEach((row, i) => {
          assert.equal(row.length, kind === 'gpt' ? 5 + i : 4 + i);
          assert.ok(Math.abs(row.reduce((s, w) => s + w, 0) - 1) < 1e-4);
        });
      }
      assert.equal(
        a.attention === undefined,
        kind !== 'attentive-rnn-lm',
        'GPT: 5 + 20 − 1 positions > blockSize',
      );

      const evaluated = await lmTask.evaluate(c.output, {}, quietIO());
      assert.equal(evaluated.metrics.valid_loss, result.metrics.valid_loss, 'the same validation windows');
      assert.deepEqual(evaluated.tables, result.tables, 'the same sample');
      const other = join(dir, 'other.txt');
      writeFileSync(other, 'the mat sat on the cat.\n'.repeat(5));
      const onFile = await lmTask.evaluate(c.output, { data: other }, quietIO());
      assert.ok(Number.isFinite(onFile.metrics.valid_loss));
    });
  }

  it('draws attention maps: per layer and head for GPT, over earlier steps for the attentive RNN', () => {
    const gpt = lmAttention(join(dir, 'gpt'), 'the cat sat');
    assert.deepEqual(gpt.rowLabels, ['t', 'h', 'e', '␣', 'c', 'a', 't', '␣', 's', 'a', 't']);
    assert.equal(gpt.weights.length, 11);
    assert.equal(gpt.maps?.length, 4);
    assert.match(gpt.maps?.[3].title ?? '', /layer 2, head 2/);
    gpt.weights.forEach((row, i) => {
      assert.ok(Math.abs(row.reduce((s, w) => s + w, 0) - 1) < 1e-4);
      assert.ok(
        row.slice(i + 1).every((w) => w === 0),
        'causal',
      );
    });
    const long = lmAttention(join(dir, 'gpt'), 'the cat sat on the mat. the dog');
    assert.equal(long.weights.length, 16, 'cropped to blockSize');
    assert.match(long.title, /last 16 of 31 tokens/);

    const rnn = lmAttention(join(dir, 'attentive-rnn-lm'), 'the dog\n');
    assert.equal(rnn.colLabels[7], '↵');
    assert.ok(
      rnn.weights[0].every((w) => w === 0),
      'step 0 has nothing to attend to',
    );
    assert.ok(Math.abs(rnn.weights[5].reduce((s, w) => s + w, 0) - 1) < 1e-5);
    assert.equal(rnn.maps, undefined);

    assert.throws(
      () => lmAttention(join(dir, 'rnn-lm'), 'the'),
      /a plain rnn-lm has no attention weights to draw/,
    );
    assert.throws(
      () => lmAttention(join(dir, 'gpt'), 'the cat é'),
      /the character "é" never occurs in the training text/,
    );
    assert.throws(() => loadClassifier(join(dir, 'gpt')), /holds a 'lm' model, not a classification one/);
  });
});
