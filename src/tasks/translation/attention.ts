import { noGrad } from '../../autograd/engine.js';
import { BpeTokenizer } from '../../data/tokenizers/bpe.js';
import type { Tokenizer } from '../../data/tokenizers/tokenizer.js';
import { HeedError } from '../../util/errors.js';
import { loadTranslator } from './checkpoint.js';
import { type AttentionMap, crossAttentionMaps, hasAttention, modelLabel } from './model.js';
import type { TranslateOptions, Translator } from './translator.js';

/** An alignment heatmap of one translation (what `heed attend` draws). */
export interface TranslationAttention {
  /** The output tokens, the end of sentence included when produced (as displayed: see `tokenLabels`). */
  rowLabels: string[];
  /** The source tokens (as displayed). */
  colLabels: string[];
  /** [rows][cols]: each row sums to 1 over the source. */
  weights: number[][];
  title: string;
  /** The translation itself, detokenised. */
  translation: string;
  /** Transformer only: every decoder layer's cross-attention, its mean over heads and each head. */
  maps?: AttentionMap[];
}

/**
 * Translates `text` and returns where the model looked: the attention of each output token over
 * the source tokens (Bahdanau et al. 2014, Fig. 3). For the recurrent models it is the decoder's
 * attention; for seed 004's model its one cross-attention; for the Transformer the last decoder
 * layer's cross-attention averaged over heads, with every layer and head in `maps`. The maps are
 * recomputed by teacher-forcing the decoded output (equal to what each decoding step saw).
 */
export function translationAttention(
  checkpoint: string | Translator,
  text: string,
  opts: TranslateOptions = {},
): TranslationAttention {
  const translator = typeof checkpoint === 'string' ? loadTranslator(checkpoint) : checkpoint;
  const { model, config, setup, tgt } = translator;
  if (!hasAttention(model)) {
    throw new HeedError(
      `attend: ${config.name} is a seq2seq model without attention (attention 'none'): it has no alignment to show`,
    );
  }
  const [t] = translator.translate([text], opts);
  const [source] = translator.encodeSources([text]);
  const n = t.ids.length;
  const tgtIn = [tgt.vocab.bosId, ...t.ids.slice(0, n - 1)];
  model.eval();
  const { main, maps } = noGrad(() =>
    crossAttentionMaps(
      model,
      { ids: source.ids, shape: [1, source.ids.length] },
      { ids: tgtIn, shape: [1, n] },
    ),
  );
  if (main === null) throw new HeedError(`attend: ${config.name} returned no attention`);
  const what =
    setup.model.kind === 'transformer'
      ? `last decoder layer's cross-attention, mean of ${setup.model.config.nhead} heads`
      : 'attention over the source';
  const out: TranslationAttention = {
    rowLabels: tokenLabels(tgt.tokenizer, tgt.vocab.decode(t.ids)),
    colLabels: tokenLabels(translator.src.tokenizer, t.sourceTokens),
    weights: main,
    title: `${config.name} (${modelLabel(setup.model)}): ${what}`,
    translation: t.text,
  };
  if (maps.length > 0) out.maps = maps;
  return out;
}

/**
 * Tokens as a heatmap shows them: a BPE piece that ends a word loses its end-of-word marker and
 * one inside a word gets subword-nmt's `@@` (`cell@@ s` rather than `cell s</w>`); a space
 * (character tokenizers) is drawn as `␣`.
 */
export function tokenLabels(tokenizer: Tokenizer, tokens: readonly string[]): string[] {
  if (tokenizer instanceof BpeTokenizer) {
    const eow = tokenizer.endOfWord;
    return tokens.map((t) => (t.endsWith(eow) ? t.slice(0, -eow.length) : /^<.*>$/.test(t) ? t : `${t}@@`));
  }
  return tokens.map((t) => (t === ' ' ? '␣' : t));
}
