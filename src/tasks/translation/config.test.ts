import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RunConfig } from '../run-config.js';
import { parseTranslationConfig } from './config.js';
import { toyConfig, toyData } from './fixtures.js';

/** The section errors a user meets first: one line, naming the file and the key. */
const data = toyData();
after(() => data.cleanup());

function withSection(
  section: 'data' | 'model' | 'training' | 'eval',
  patch: Record<string, unknown>,
): RunConfig {
  const c = toyConfig(data);
  return { ...c, [section]: { ...c[section], ...patch } };
}

function rejects(config: RunConfig, pattern: RegExp): void {
  assert.throws(
    () => parseTranslationConfig(config),
    (e: Error) => {
      assert.equal(e.name, 'HeedError');
      assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

describe('translation config sections', () => {
  it('accepts the toy config and fills in defaults', () => {
    const s = parseTranslationConfig(toyConfig(data));
    assert.equal(s.data.kind, 'tsv');
    assert.deepEqual(s.data.srcTokenizer, {
      kind: 'word',
      lowercase: false,
      normalize: 'NFC',
      punctuation: 'split',
    });
    assert.equal(s.model.kind, 'seq2seq');
    assert.equal(s.training.batchSize, 32);
    assert.equal(s.training.trainer.seed, 3, 'the trainer seed defaults to the run seed');
    assert.deepEqual(s.eval, { beamSize: 1, alpha: 0, validBleuSize: 20, batchSize: 64 });
  });

  it('an unknown data key is an error naming it (and the near key)', () => {
    rejects(
      withSection('data', { trian: 'x.tsv' }),
      /^toy\.json: config\.data: unknown key "trian".*did you mean "train"/,
    );
  });

  it('a bad data kind is an error naming the kinds', () => {
    rejects(withSection('data', { kind: 'csv' }), /config\.data\.kind must be 'tsv' \| 'dates', got "csv"/);
  });

  it('a missing data file is an error naming the key and the path', () => {
    rejects(
      withSection('data', { valid: '/nonexistent/valid.tsv' }),
      /config\.data\.valid: file not found: \/nonexistent\/valid\.tsv/,
    );
  });

  it('dates take sizes, not files', () => {
    const c = withSection('data', { kind: 'dates', trainSize: 10, validSize: 5, testSize: 5 });
    rejects(c, /config\.data: unknown key "train"/);
    const ok = parseTranslationConfig({
      ...c,
      data: { kind: 'dates', trainSize: 10, validSize: 5, testSize: 5 },
    });
    assert.equal(ok.data.srcTokenizer.kind, 'char', 'dates default to characters');
  });

  it('tokenizer sections are checked by kind', () => {
    rejects(
      withSection('data', { srcTokenizer: { kind: 'sentencepiece' } }),
      /config\.data\.srcTokenizer\.kind must be 'char' \| 'word' \| 'bpe'/,
    );
    rejects(
      withSection('data', { tgtTokenizer: { kind: 'char', punctuation: 'split' } }),
      /config\.data\.tgtTokenizer: unknown key "punctuation"/,
    );
    rejects(
      withSection('data', { srcTokenizer: { kind: 'bpe' } }),
      /config\.data\.srcTokenizer: a 'bpe' tokenizer needs exactly one of vocabSize and numMerges/,
    );
    rejects(
      withSection('data', { srcVocab: { minFreq: 0 } }),
      /config\.data\.srcVocab\.minFreq must be an integer >= 1, got 0/,
    );
  });

  it('model errors name the model key; vocabulary sizes come from the data', () => {
    rejects(
      withSection('model', { kind: 'rnn' }),
      /config\.model\.kind must be 'seq2seq' \| 'attention-seq2seq' \| 'transformer', got "rnn"/,
    );
    rejects(
      withSection('model', { hiddenSize: '64' }),
      /config\.model\.hiddenSize must be an integer >= 1, got "64"/,
    );
    rejects(
      withSection('model', { attention: 'luong' }),
      /config\.model\.attention must be 'none' \| 'dot' \| 'general' \| 'additive'/,
    );
    rejects(withSection('model', { srcVocabSize: 10 }), /config\.model\.srcVocabSize is set from the data/);
    rejects(withSection('model', { nheads: 4 }), /config\.model: unknown key "nheads"/);
  });

  it('training and eval errors name their keys', () => {
    rejects(
      withSection('training', { maxTokens: 500 }),
      /config\.training: give batchSize or maxTokens, not both/,
    );
    rejects(
      withSection('training', { labelSmoothing: 1 }),
      /config\.training\.labelSmoothing must be a number >= 0 and < 1/,
    );
    rejects(withSection('training', { maxStep: 10 }), /config\.training: unknown key "maxStep"/);
    rejects(withSection('eval', { beamSize: 0 }), /config\.eval\.beamSize must be an integer >= 1, got 0/);
    rejects(withSection('eval', { beam: 4 }), /config\.eval: unknown key "beam"/);
  });
});
