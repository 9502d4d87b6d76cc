/**
 * heed's data toolkit: read corpora, tokenize, build vocabularies, split, and batch.
 *
 *   const { pairs } = readParallelTsv('data/train.tsv');
 *   const bpe = BpeTokenizer.train(pairs.flatMap((p) => [p.src, p.tgt]), { vocabSize: 8000 });
 *   const vocab = Vocab.build(pairs.flatMap((p) => [bpe.tokenize(p.src), bpe.tokenize(p.tgt)]));
 *   const encoded = pairs.map((p) => ({ src: vocab.encode(bpe.tokenize(p.src)), tgt: vocab.encode(bpe.tokenize(p.tgt)) }));
 *   for (const batch of bucketBatches(encoded, { maxTokens: 4096, seed: epoch })) {
 *     const { src, tgtIn, tgtOut } = seq2seqBatch(batch, vocab);
 *   }
 */

export {
  type BucketOptions,
  bucketBatches,
  bucketBatchIndices,
  type EncodedPair,
  type InvalidPolicy,
  type Measurable,
  type PaddedBatch,
  type PadOptions,
  type PadResult,
  padBatch,
  type Seq2SeqBatch,
  type Seq2SeqOptions,
  seq2seqBatch,
} from './batching.js';
export { type Line, readLines } from './lines.js';
export {
  formatProblem,
  formatProblems,
  type LabelledData,
  type LabelledExample,
  type LabelledOptions,
  type LoadProblem,
  type OnError,
  type ParallelData,
  type ParallelOptions,
  type ParallelPair,
  type ParallelTsvOptions,
  type PlainTextData,
  type PlainTextOptions,
  readLabelled,
  readParallelFiles,
  readParallelTsv,
  readPlainText,
  wordCount,
} from './loaders.js';
export {
  permutation,
  type Split,
  type SplitOptions,
  shuffle,
  splitIndices,
  trainValidTestSplit,
} from './split.js';
export * from './tokenizers/index.js';
export {
  type DecodeOptions,
  defaultSpecials,
  type EncodeOptions,
  type SpecialIds,
  type SpecialTokens,
  Vocab,
  type VocabBuildOptions,
  type VocabJSON,
} from './vocab.js';
