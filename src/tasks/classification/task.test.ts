import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { classificationAttention, loadClassifier } from './classifier.js';
import { classificationTask, trainClassifier } from './task.js';
import { keywordSpam, quietIO, runConfig, tempDir, writeJsonl } from './testing.js';

const dir = tempDir('heed-classification-');
after(() => rmSync(dir, { recursive: true, force: true }));
const data = writeJsonl(join(dir, 'spam.jsonl'), keywordSpam(160, 1));

function config(model: Record<string, unknown>, training: Record<string, unknown>, name: string) {
  return {
    task: 'classification',
    seed: 3,
    data: { path: data, split: { valid: 0.15, test: 0.15 }, tokenizer: { kind: 'word', lowercase: true } },
    model,
    training,
    output: join(dir, name),
  };
}

const attentive = config(
  { kind: 'attentive-classifier', embedDim: 8, hiddenSize: 8, dropout: 0 },
  {
    batchSize: 16,
    maxEpochs: 6,
    evalEvery: 10,
    progress: 'none',
    optimizer: { name: 'adam', lr: 0.02 },
  },
  'attentive',
);

describe('classification task: config errors are one line', () => {
  const bad = (patch: Record<string, unknown>, overrides: string[] = []) =>
    classificationTask.check(runConfig(dir, 'bad', { ...attentive, ...patch }, overrides));

  it('names unknown keys, missing files and bad values by their path in the config', () => {
    const file = join(dir, 'bad.json');
    const cases: [() => void, RegExp][] = [
      [
        () => bad({}, ['--data.texts=x']),
        /bad\.json: config\.data: unknown key "texts" \(expected "path", .*\); did you mean "test"\?$/,
      ],
      [
        () => bad({}, [`--data.path=${join(dir, 'nope.jsonl')}`]),
        /config\.data\.path: file not found: .*nope\.jsonl$/,
      ],
      [
        () => bad({}, ['--model.hidenSize=8']),
        /config\.model: unknown key 'hidenSize' \(valid: embedDim, hiddenSize/,
      ],
      [
        () => bad({}, ['--model.kind=svm']),
        /config\.model\.kind must be 'attentive-classifier' \| 'bow-logreg' \| 'naive-bayes', got "svm"/,
      ],
      [() => bad({}, ['--model.vocabSize=9']), /config\.model\.vocabSize is set from the data; leave it out/],
      [
        () => bad({}, ['--training.maxStep=3']),
        /config\.training: unknown key "maxStep" .*did you mean "maxSteps"\?/,
      ],
      [
        () => bad({}, ['--training.batchSize=0']),
        /config\.training\.batchSize must be an integer >= 1, got 0/,
      ],
      [
        () => bad({}, ['--training.optimizer.lr=-1']),
        /config\.training\.optimizer\.lr must be a number >= 0, got -1/,
      ],
      [
        () => bad({}, ['--data.split.valid=0.6', '--data.split.test=0.5']),
        /config\.data\.split: valid \+ test must be below 1/,
      ],
      [
        () => bad({}, ['--training.maxSteps=10', '--training.schedule={"name":"cosine","warmup":20}']),
        /config\.training\.schedule: cosine schedule: total must be an integer > warmup \(20\), got 10/,
      ],
      [
        () => bad({}, [`--training.checkpointDir=${join(dir, 'attentive')}`]),
        /checkpointDir must differ from config\.output/,
      ],
      [() => bad({ model: { kind: 'naive-bayes' } }), /config\.training must be \{\} for 'naive-bayes'/],
    ];
    for (const [fn, message] of cases) {
      assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof Error && e.name === 'HeedError', String(e));
        assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
        assert.match(e.message, message);
        assert.ok(e.message.startsWith(file), e.message);
        return true;
      });
    }
  });

  it('a checkpoint that is missing or of another kind is a one-line error', () => {
    assert.throws(() => loadClassifier(join(dir, 'none')), /checkpoint .*none: directory not found/);
  });
});

describe('classification task: end to end on a toy keyword spam set', () => {
  it('trains the attentive classifier, writes a checkpoint that classifies as the model in memory', async () => {
    const io = quietIO();
    const { classifier, result } = trainClassifier(runConfig(dir, 'attentive', attentive), io);
    assert.equal(result.task, 'classification');
    assert.equal(result.model, 'attentive-classifier');
    assert.ok(result.metrics.accuracy >= 0.9, JSON.stringify(result.metrics));
    for (const key of ['accuracy', 'precision', 'recall', 'f1', 'macro_f1']) {
      assert.equal(typeof result.metrics[key], 'number', key);
    }
    assert.deepEqual(
      result.tables.map((t) => t.title),
      ['confusion matrix (rows: true label, columns: predicted)', 'per class'],
    );
    const cm = result.tables[0];
    assert.deepEqual(cm.columns, ['true \\ predicted', 'ham', 'spam']);
    assert.equal(
      cm.rows.reduce((n, r) => n + Number(r[1]) + Number(r[2]), 0),
      24,
    );

    const ckpt = attentive.output;
    const files = readdirSync(ckpt).sort();
    for (const f of [
      'config.json',
      'labels.json',
      'log.jsonl',
      'model.safetensors',
      'tokenizer.json',
      'training.json',
      'vocab.json',
    ]) {
      assert.ok(files.includes(f), `${f} in ${files.join(', ')}`);
    }
    const stored = JSON.parse(readFileSync(join(ckpt, 'config.json'), 'utf8'));
    assert.equal(stored.kind, 'classification');
    assert.equal(stored.config.model.kind, 'attentive-classifier');
    const log = readFileSync(join(ckpt, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(log.some((r) => r.type === 'eval' && typeof r.metrics.valid_f1 === 'number'));
    assert.ok(log.some((r) => r.type === 'train'));

    const texts = ['meeting tomorrow free! notes', 'team lunch review', 'cash prize winner'];
    const reloaded = loadClassifier(ckpt);
    const a = classifier.classify(texts);
    assert.deepEqual(reloaded.classify(texts), a);
    assert.deepEqual(
      a.map((c) => c.label),
      ['spam', 'ham', 'spam'],
    );
    assert.deepEqual(a[0].tokens, ['meeting', 'tomorrow', 'free', '!', 'notes']);
    const weights = a[0].weights ?? [];
    assert.equal(weights.length, 5);
    assert.ok(Math.abs(weights.reduce((s, w) => s + w, 0) - 1) < 1e-5);
    const p = a[0].probabilities;
    assert.ok(Math.abs(p.ham + p.spam - 1) < 1e-9);

    const evaluated = await classificationTask.evaluate(ckpt, {}, quietIO());
    assert.deepEqual(evaluated.metrics, result.metrics, 'evaluate() reproduces the test metrics');
    assert.equal(evaluated.trainSeconds, result.trainSeconds);
    const other = writeJsonl(join(dir, 'other.jsonl'), keywordSpam(20, 9));
    const onFile = await classificationTask.evaluate(ckpt, { data: other }, quietIO());
    assert.equal(
      onFile.tables[1].rows.reduce((n, r) => n + Number(r[4]), 0),
      20,
    );

    const att = classificationAttention(ckpt, 'team update prize! thanks');
    assert.deepEqual(att.tokens, ['team', 'update', 'prize', '!', 'thanks']);
    assert.equal(att.label, 'spam');
    assert.ok(att.weights !== null && att.weights.length === 5);
    assert.match(att.title, /attention pooling of attentive: spam \(p = /);
  });

  it('fits naive Bayes in closed form and trains the logistic-regression baseline; both reload exactly', async () => {
    for (const [name, model, training] of [
      ['nb', { kind: 'naive-bayes' }, {}],
      [
        'logreg',
        { kind: 'bow-logreg', weighting: 'tfidf' },
        { batchSize: 16, maxEpochs: 20, progress: 'none', optimizer: { name: 'adam', lr: 0.1 } },
      ],
    ] as const) {
      const c = config(model, training, name);
      const { classifier, result } = trainClassifier(runConfig(dir, name, c), quietIO());
      assert.equal(result.model, model.kind);
      assert.ok(result.metrics.accuracy >= 0.9, `${name}: ${JSON.stringify(result.metrics)}`);
      const texts = ['notes free! schedule', 'code review thanks'];
      const reloaded = loadClassifier(c.output);
      assert.deepEqual(reloaded.classify(texts), classifier.classify(texts));
      assert.equal(reloaded.classify(texts)[0].weights, null);
      assert.equal(existsSync(join(c.output, 'idf.json')), name === 'logreg');
      const evaluated = await classificationTask.evaluate(c.output, {}, quietIO());
      assert.deepEqual(evaluated.metrics, result.metrics);
      assert.equal(classificationAttention(c.output, 'free cash').weights, null);
    }
  });

  it('reads explicit train/valid/test files (TSV) and holds out validation from train when no valid file is given', () => {
    const all = keywordSpam(90, 4);
    const write = (name: string, rows: typeof all): string => {
      const path = join(dir, name);
      writeFileSync(path, rows.map((r) => `${r.label}\t${r.text}`).join('\n'));
      return path;
    };
    const c = {
      ...config({ kind: 'naive-bayes' }, {}, 'files'),
      data: {
        train: write('train.tsv', all.slice(0, 70)),
        test: write('test.tsv', all.slice(70)),
        split: { valid: 0.2 },
      },
    };
    const { result } = trainClassifier(runConfig(dir, 'files', c), quietIO());
    assert.equal(
      result.tables[1].rows.reduce((n, r) => n + Number(r[4]), 0),
      20,
    );
  });
});
