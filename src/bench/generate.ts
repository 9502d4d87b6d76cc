import { noGrad } from '../autograd/engine.js';
import { GPT } from '../models/transformer/gpt.js';
import { Generator, manualSeed } from '../util/random.js';
import { timeIt } from './timing.js';

/** One measured generation: the same tokens with and without the key/value cache. */
export interface GenerateRecord {
  case: string;
  blockSize: number;
  tokens: number;
  cachedMs: number;
  fullMs: number;
  speedup: number;
  /** Whether both runs produced the same tokens (they must). */
  same: boolean;
}

/**
 * The key/value cache's speed-up for long generations: a GPT at nanoGPT's CPU size (4 layers,
 * 4 heads, 128 dims) generates `tokens` tokens from a 1-token prompt, once with the cache and
 * once recomputing the whole context at every step, greedily (top-k 1) so both produce the
 * same text. With blockSize 64 the context is cropped as nanoGPT does, which limits what the
 * cache can reuse; with a context as long as the generation it reuses everything.
 */
export function benchGenerate(onRecord: (r: GenerateRecord) => void, tokens = 200): void {
  for (const blockSize of [64, 256]) {
    manualSeed(0);
    const model = new GPT({ vocabSize: 65, blockSize, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0 });
    model.eval();
    const prompt = { ids: Int32Array.of(1), shape: [1, 1] as [number, number] };
    const run = (cache: boolean) =>
      noGrad(() =>
        model.generate(prompt, { maxTokens: tokens, topK: 1, cache, generator: new Generator(1) }),
      );
    let cachedIds: Int32Array = new Int32Array(0);
    let fullIds: Int32Array = new Int32Array(0);
    const cached = timeIt(
      () => {
        cachedIds = run(true).ids;
      },
      { budgetMs: 2000, minRuns: 3 },
    );
    const full = timeIt(
      () => {
        fullIds = run(false).ids;
      },
      { budgetMs: 2000, minRuns: 3 },
    );
    onRecord({
      case: `gpt-${blockSize}`,
      blockSize,
      tokens,
      cachedMs: cached.medianMs,
      fullMs: full.medianMs,
      speedup: full.medianMs / cached.medianMs,
      same: cachedIds.length === fullIds.length && cachedIds.every((v, i) => v === fullIds[i]),
    });
  }
}
