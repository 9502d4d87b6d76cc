import { join } from 'node:path';
import { tokenizerFromJSON } from '../../data/tokenizers/index.js';
import { Vocab } from '../../data/vocab.js';
import { loadCheckpoint } from '../../io/checkpoint.js';
import { readCheckpointFile, readStoredRunConfig } from '../classification/run-support.js';
import { parseTranslationConfig } from './config.js';
import type { Side } from './data.js';
import { buildModel } from './model.js';
import { Translator } from './translator.js';

/**
 * A translation checkpoint is a heed checkpoint directory (src/io/checkpoint.ts) of kind
 * 'translation' whose config.json holds the whole run config, plus each side's tokenizer and
 * vocabulary and a summary of the training:
 *
 *   config.json  model.safetensors  source-tokenizer.json  source-vocab.json
 *   target-tokenizer.json  target-vocab.json  training.json  log.jsonl
 */
export const TRANSLATION_KIND = 'translation';

export const SIDE_FILES = {
  srcTokenizer: 'source-tokenizer.json',
  srcVocab: 'source-vocab.json',
  tgtTokenizer: 'target-tokenizer.json',
  tgtVocab: 'target-vocab.json',
} as const;

/** The JSON files that carry the two sides into a checkpoint. */
export function sideFiles(src: Side, tgt: Side): Record<string, unknown> {
  return {
    [SIDE_FILES.srcTokenizer]: src.tokenizer.toJSON(),
    [SIDE_FILES.srcVocab]: src.vocab.toJSON(),
    [SIDE_FILES.tgtTokenizer]: tgt.tokenizer.toJSON(),
    [SIDE_FILES.tgtVocab]: tgt.vocab.toJSON(),
  };
}

function readSide(dir: string, tokenizerFile: string, vocabFile: string): Side {
  return {
    tokenizer: tokenizerFromJSON(readCheckpointFile(dir, tokenizerFile), join(dir, tokenizerFile)),
    vocab: Vocab.fromJSON(readCheckpointFile(dir, vocabFile), join(dir, vocabFile)),
  };
}

/**
 * Loads a translation checkpoint: the model rebuilt from the stored run config over the stored
 * vocabularies, its weights, and both sides' tokenizers. Every problem (not a directory, another
 * task's checkpoint, a missing file, weights that do not fit) is a one-line HeedError.
 */
export function loadTranslator(checkpoint: string): Translator {
  const config = readStoredRunConfig(checkpoint, TRANSLATION_KIND);
  const setup = parseTranslationConfig(config, { checkFiles: false });
  const src = readSide(checkpoint, SIDE_FILES.srcTokenizer, SIDE_FILES.srcVocab);
  const tgt = readSide(checkpoint, SIDE_FILES.tgtTokenizer, SIDE_FILES.tgtVocab);
  const model = buildModel(setup.model, src.vocab.size, tgt.vocab.size, config.seed);
  loadCheckpoint(checkpoint, { model });
  model.eval();
  return new Translator(config, setup, src, tgt, model);
}
