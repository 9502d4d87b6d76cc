import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainClassifier } from '../tasks/classification/task.js';
import { keywordSpam, quietIO, runConfig, tempDir, writeJsonl } from '../tasks/classification/testing.js';
import { trainLanguageModel } from '../tasks/lm/task.js';
import { reverseCorpus } from '../tasks/translation/fixtures.js';
import { translationTask } from '../tasks/translation/task.js';

/**
 * Test support: small checkpoints of every kind the explorer serves, trained in a few seconds
 * in a temporary directory (a letter-reversing translator with additive attention, a tiny
 * Transformer, an attentive spam classifier, a GPT and an attentive RNN language model).
 */
export interface ServeFixtures {
  dir: string;
  /** Checkpoint directories by model id. */
  checkpoints: Record<
    'toy-additive' | 'toy-transformer' | 'toy-spam' | 'toy-gpt' | 'toy-attentive-rnn',
    string
  >;
  cleanup(): void;
}

export async function makeServeFixtures(): Promise<ServeFixtures> {
  const dir = tempDir('heed-serve-');
  const io = quietIO();
  const tsv = (name: string, n: number, seed: number): string => {
    const path = join(dir, name);
    writeFileSync(path, reverseCorpus(n, seed));
    return path;
  };
  const data = {
    kind: 'tsv',
    train: tsv('train.tsv', 400, 1),
    valid: tsv('valid.tsv', 20, 2),
    test: tsv('test.tsv', 20, 3),
  };
  const training = {
    batchSize: 32,
    maxSteps: 60,
    evalEvery: 0,
    progress: 'none',
    optimizer: { name: 'adam', lr: 0.01 },
  };
  const translation = (name: string, model: Record<string, unknown>) =>
    translationTask.train(
      runConfig(dir, name, {
        task: 'translation',
        seed: 3,
        data,
        model,
        training,
        eval: { validBleuSize: 5 },
        output: join(dir, name),
      }),
      io,
    );
  await translation('toy-additive', {
    kind: 'seq2seq',
    embedDim: 16,
    hiddenSize: 32,
    attention: 'additive',
    dropout: 0,
  });
  await translation('toy-transformer', {
    kind: 'transformer',
    dModel: 16,
    nhead: 2,
    numEncoderLayers: 2,
    numDecoderLayers: 2,
    dimFeedforward: 32,
    dropout: 0,
    maxLen: 32,
  });
  const spam = writeJsonl(join(dir, 'spam.jsonl'), keywordSpam(200, 1));
  trainClassifier(
    runConfig(dir, 'toy-spam', {
      task: 'classification',
      seed: 3,
      data: { path: spam, split: { valid: 0.15, test: 0.15 }, tokenizer: { kind: 'word', lowercase: true } },
      model: { kind: 'attentive-classifier', embedDim: 8, hiddenSize: 8, dropout: 0 },
      training: {
        batchSize: 16,
        maxEpochs: 3,
        evalEvery: 0,
        progress: 'none',
        optimizer: { name: 'adam', lr: 0.02 },
      },
      output: join(dir, 'toy-spam'),
    }),
    io,
  );
  const text = join(dir, 'text.txt');
  writeFileSync(text, 'the cat sat on the mat.\nthe dog sat on the log.\n'.repeat(40));
  const lm = (name: string, model: Record<string, unknown>) =>
    trainLanguageModel(
      runConfig(dir, name, {
        task: 'lm',
        seed: 2,
        data: { path: text, tokenizer: 'char', split: { valid: 0.1 }, blockSize: 16 },
        model,
        training: {
          ...training,
          batchSize: 8,
          maxSteps: 30,
          optimizer: { name: 'adamw', lr: 0.01, weightDecay: 0 },
        },
        eval: { evalBatches: 1, sampleTokens: 4, prompt: 'the ' },
        output: join(dir, name),
      }),
      io,
    );
  lm('toy-gpt', { kind: 'gpt', nLayer: 2, nHead: 2, nEmbd: 16 });
  lm('toy-attentive-rnn', { kind: 'attentive-rnn-lm', embedDim: 8, hiddenSize: 24, dropout: 0 });
  const at = (name: string) => join(dir, name);
  return {
    dir,
    checkpoints: {
      'toy-additive': at('toy-additive'),
      'toy-transformer': at('toy-transformer'),
      'toy-spam': at('toy-spam'),
      'toy-gpt': at('toy-gpt'),
      'toy-attentive-rnn': at('toy-attentive-rnn'),
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
