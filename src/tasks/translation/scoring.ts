import { corpusBleu } from '../../metrics/bleu.js';
import { corpusChrf } from '../../metrics/chrf.js';
import type { ResultTable } from '../task.js';

/** Corpus scores of hypotheses against one reference each. */
export interface CorpusScores {
  /** sacreBLEU's corpus BLEU (13a tokenisation, exp smoothing), 0–100. */
  bleu: number;
  /** sacreBLEU's chrF2, 0–100. */
  chrf: number;
  /** Percentage of hypotheses equal to their reference (whitespace-trimmed). */
  exact_match: number;
  count: number;
}

/**
 * BLEU, chrF and exact match with sacreBLEU's defaults. `lowercase` compares case-insensitively
 * (for a model whose target tokenizer lowercases: its output can only match lowercased references).
 */
export function corpusScores(
  hyps: readonly string[],
  refs: readonly string[],
  lowercase = false,
): CorpusScores {
  if (hyps.length === 0) return { bleu: 0, chrf: 0, exact_match: 0, count: 0 };
  const norm = (s: string) => (lowercase ? s.trim().toLowerCase() : s.trim());
  const exact = hyps.filter((h, i) => norm(h) === norm(refs[i])).length;
  return {
    bleu: corpusBleu(hyps, [refs], { lowercase }).score,
    chrf: corpusChrf(hyps, [refs], { lowercase }).score,
    exact_match: (100 * exact) / hyps.length,
    count: hyps.length,
  };
}

/**
 * The scores of each group of sentences (source-length bucket, date format), in `order` and then
 * any other group met: the comparison of Bahdanau et al. (2014, Fig. 2), BLEU by sentence length.
 * Empty groups are left out.
 */
export function groupTable(
  title: string,
  groupTitle: string,
  groups: readonly string[],
  hyps: readonly string[],
  refs: readonly string[],
  order: readonly string[],
  lowercase = false,
): ResultTable {
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const list = members.get(g);
    if (list === undefined) members.set(g, [i]);
    else list.push(i);
  });
  const names = [
    ...order.filter((g) => members.has(g)),
    ...[...members.keys()].filter((g) => !order.includes(g)),
  ];
  const rows = names.map((g) => {
    const idx = members.get(g) ?? [];
    const s = corpusScores(
      idx.map((i) => hyps[i]),
      idx.map((i) => refs[i]),
      lowercase,
    );
    return [g, s.count, round2(s.bleu), round2(s.chrf), round2(s.exact_match)];
  });
  return { title, columns: [groupTitle, 'count', 'BLEU', 'chrF', 'exact %'], rows };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
