import { noGrad } from '../../autograd/engine.js';
import { bucketBatches, seq2seqBatch } from '../../data/batching.js';
import type { ResultTable } from '../task.js';
import type { EvalSpec } from './config.js';
import type { EncodedExample, Example } from './data.js';
import { modelLoss } from './model.js';
import { corpusScores, groupTable } from './scoring.js';
import type { Translator } from './translator.js';

/**
 * Mean cross-entropy per real target token over encoded pairs (teacher forcing, no label
 * smoothing), in length-sorted batches of `batchSize`. NaN for no pairs.
 */
export function meanLoss(
  translator: Translator,
  pairs: readonly EncodedExample[],
  batchSize: number,
): number {
  if (pairs.length === 0) return Number.NaN;
  const { model } = translator;
  model.eval();
  return noGrad(() => {
    let total = 0;
    let tokens = 0;
    for (const b of bucketBatches(pairs, { batchSize, shuffle: false })) {
      const batch = seq2seqBatch(b, translator.tgt.vocab);
      total += modelLoss(model, batch, 0).item() * batch.nTokens;
      tokens += batch.nTokens;
    }
    return total / tokens;
  });
}

/** Translations of examples with the eval section's search settings (sources cut to fit the model). */
export function translateExamples(
  translator: Translator,
  examples: readonly Example[],
  spec: EvalSpec,
  greedy = false,
) {
  return translator.translateEncoded(
    translator.encodeLenient(examples.map((e) => e.src)),
    greedy
      ? { beamSize: 1, maxLength: spec.maxLength, batchSize: spec.batchSize }
      : { beamSize: spec.beamSize, alpha: spec.alpha, maxLength: spec.maxLength, batchSize: spec.batchSize },
  );
}

/**
 * The periodic validation of training: loss over the validation pairs, and BLEU / chrF / exact
 * match of greedy translations of the first `validBleuSize` validation sentences.
 */
export function validationMetrics(
  translator: Translator,
  pairs: readonly EncodedExample[],
  examples: readonly Example[],
  spec: EvalSpec,
): Record<string, number> {
  const metrics: Record<string, number> = { valid_loss: meanLoss(translator, pairs, spec.batchSize) };
  const sample = examples.slice(0, spec.validBleuSize);
  if (sample.length > 0) {
    const hyps = translateExamples(translator, sample, spec, true).map((t) => t.text);
    const s = corpusScores(
      hyps,
      sample.map((e) => e.tgt),
      translator.setup.data.tgtTokenizer.lowercase,
    );
    metrics.valid_bleu = s.bleu;
    metrics.valid_chrf = s.chrf;
    metrics.valid_exact_match = s.exact_match;
  }
  return metrics;
}

/** What scoring a test set gives: the headline metrics and the tables. */
export interface TestReport {
  metrics: Record<string, number>;
  tables: ResultTable[];
}

/**
 * Scores a test set: corpus BLEU and chrF (sacreBLEU's), exact match and loss, a table of the
 * same by group (source-length bucket or date format) and a few example translations.
 */
export function testReport(
  translator: Translator,
  examples: readonly Example[],
  pairs: readonly EncodedExample[],
  groups: { title: string; order: readonly string[] },
): TestReport {
  const spec = translator.setup.eval;
  const lowercase = translator.setup.data.tgtTokenizer.lowercase;
  const hyps = translateExamples(translator, examples, spec).map((t) => t.text);
  const refs = examples.map((e) => e.tgt);
  const s = corpusScores(hyps, refs, lowercase);
  const search = spec.beamSize === 1 ? 'greedy search' : `beam ${spec.beamSize}, alpha ${spec.alpha}`;
  const samples: ResultTable = {
    title: 'Example translations',
    columns: ['source', 'reference', 'output'],
    rows: examples.slice(0, 5).map((e, i) => [clip(e.src), clip(e.tgt), clip(hyps[i])]),
  };
  return {
    metrics: {
      bleu: s.bleu,
      chrf: s.chrf,
      exact_match: s.exact_match,
      loss: meanLoss(translator, pairs, spec.batchSize),
      sentences: s.count,
    },
    tables: [
      groupTable(
        `Test scores by ${groups.title} (${search})`,
        groups.title,
        examples.map((e) => e.group),
        hyps,
        refs,
        groups.order,
        lowercase,
      ),
      samples,
    ],
  };
}

/** A table cell of at most 60 characters. */
function clip(text: string): string {
  return text.length <= 60 ? text : `${text.slice(0, 59)}…`;
}
