/**
 * The explorer's JSON API, shared by the server (`heed serve`) and the web page (web/): types
 * only, so the page's bundle takes nothing else from the library.
 *
 *   GET  /api/models  → ModelsResponse
 *   POST /api/run     RunRequest → RunResult
 *
 * Every error is an ErrorResponse: 400 for a body over the size limit, bad JSON, a missing or
 * ill-typed field, or an input the model cannot read (empty, too long); 404 for an unknown model
 * or path; 405 for a wrong method; 500 for a fault of the server (which keeps serving).
 */

/** What a model does, which decides the request fields it reads and the result it returns. */
export type ModelKind = 'translation' | 'classification' | 'lm' | 'example';

/** One model the server offers. */
export interface ModelInfo {
  /** Unique and URL-safe: the checkpoint directory's name (e.g. `enfr-rnn-additive`). */
  id: string;
  kind: ModelKind;
  /** One line, e.g. `enfr-rnn-additive: GRU seq2seq, additive attention`. */
  title: string;
  /** An input that shows the model off, to prefill the page. */
  example: string;
  /** False for models with nothing to draw (a seq2seq without attention, a bag-of-words baseline). */
  attention: boolean;
  /** Trainable parameters (0 for the worked example). */
  parameters: number;
}

export interface ModelsResponse {
  models: ModelInfo[];
}

/** Body of POST /api/run. Fields a model's kind does not use are ignored. */
export interface RunRequest {
  /** A ModelInfo id. */
  model: string;
  /** The input: a sentence to translate, a text to classify, a prompt; the example ignores it. */
  text: string;
  /** translation: beam width, an integer in [1, 16] (default 1: greedy). */
  beam?: number;
  /** lm: sampling temperature in [0, 5] (default 1; 0 takes the most likely token). */
  temperature?: number;
  /** lm: tokens to generate, an integer in [1, 400] (default 100). */
  maxTokens?: number;
  /** lm: sample among the k most likely tokens only, an integer ≥ 1. */
  topK?: number;
  /** lm: seed of the sampling stream, an integer ≥ 0 (default 0). */
  seed?: number;
}

/** A weight matrix with its labels: rows attend, columns are attended to; rows sum to 1 (or 0 when masked). */
export interface Heatmap {
  title: string;
  rowLabels: string[];
  colLabels: string[];
  /** [rowLabels.length][colLabels.length]. */
  weights: number[][];
}

export interface TranslationResult {
  kind: 'translation';
  model: string;
  /** The detokenised translation. */
  output: string;
  /** Target × source attention (for a Transformer: the last layer's cross-attention, mean over heads); null without attention. */
  heatmap: Heatmap | null;
  /** Transformer: every decoder layer's cross-attention, as the mean over heads then each head; otherwise empty. */
  layers: Heatmap[];
  /** Server-side time of the request in milliseconds. */
  ms: number;
}

export interface ClassificationResult {
  kind: 'classification';
  model: string;
  label: string;
  /** P(label | text) for every label. */
  probabilities: Record<string, number>;
  /** The tokens the model read. */
  tokens: string[];
  /** One attention-pooling weight per token (summing to 1); null for a model without attention. */
  weights: number[] | null;
  ms: number;
}

export interface GenerationResult {
  kind: 'lm';
  model: string;
  prompt: string;
  continuation: string;
  /** Prompt and continuation detokenised together. */
  text: string;
  /**
   * What each new token attended to: rows are the new tokens, columns every token of prompt +
   * continuation (whitespace made visible); a row is 0 where the step could not see. Null for a
   * model without attention.
   */
  heatmap: Heatmap | null;
  /** GPT: every layer's self-attention over the whole text, as the mean over heads then each head. */
  layers: Heatmap[];
  ms: number;
}

/** Seed 003's worked self-attention example (the table of `heed example self-attention`). */
export interface ExampleResult {
  kind: 'example';
  model: string;
  /** The attention scores softmax(Q·Kᵀ), tokens × tokens. */
  heatmap: Heatmap;
  /** For each token, the word with the largest attention score. */
  maxWord: string[];
  ms: number;
}

export type RunResult = TranslationResult | ClassificationResult | GenerationResult | ExampleResult;

export interface ErrorResponse {
  error: string;
}

/** Largest request body the server reads, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Longest `text` the server accepts, in characters. */
export const MAX_TEXT_CHARS = 4000;
