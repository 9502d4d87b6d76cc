import { tensor } from '../ops/creation.js';
import { matmul } from '../ops/matmul.js';
import { softmax } from '../ops/softmax.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The worked self-attention example of seed 003 ("Self attention with trainable weights"):
 * three tokens "the next is" with 3-d embeddings X, W_q = I and W_k = diag(1, 2, 1).
 * As in the seed, Query = W_q · X and Key = W_k · X (so W_k doubles the *token* "next", the
 * second row of X), and the scores are softmax(Q · Kᵀ) with no 1/√d scaling.
 */
export interface SelfAttentionExample {
  tokens: string[];
  x: Tensor;
  query: Tensor;
  key: Tensor;
  /** softmax(Q·Kᵀ), one row per query token. */
  scores: Tensor;
}

export function selfAttentionExample(): SelfAttentionExample {
  const tokens = ['the', 'next', 'is'];
  const x = tensor([
    [0.9, 0.1, 0.1],
    [0.1, 0.9, 0.1],
    [0.5, 0.5, 0.1],
  ]);
  const wq = tensor([
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]);
  const wk = tensor([
    [1, 0, 0],
    [0, 2, 0],
    [0, 0, 1],
  ]);
  const query = matmul(wq, x); // [3, 3]
  const key = matmul(wk, x); // [3, 3]
  const scores = softmax(matmul(query, key, { transB: true }), -1); // Q·Kᵀ → [3, 3]
  return { tokens, x, query, key, scores };
}

/** The seed's "Attention scores" table, to 4 decimals, with the arg-max column. */
export function formatSelfAttentionTable(ex: SelfAttentionExample): string {
  const n = ex.tokens.length;
  const header = ['Word', 'word with max attention score', ...ex.tokens.map((t) => `score for ${t}`)];
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(ex.scores.data.subarray(i * n, (i + 1) * n));
    const best = row.indexOf(Math.max(...row));
    rows.push([ex.tokens[i], ex.tokens[best], ...row.map((v) => v.toFixed(4))]);
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string => `| ${cells.map((s, c) => s.padEnd(widths[c])).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
