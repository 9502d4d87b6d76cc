import { basename, resolve } from 'node:path';
import { selfAttentionExample } from '../examples/self-attention.js';
import { readCheckpointConfig } from '../io/checkpoint.js';
import { loadClassifier, type TextClassifier } from '../tasks/classification/index.js';
import { type LanguageModel, loadLanguageModel } from '../tasks/lm/index.js';
import { loadTranslator, type Translator, translationAttention } from '../tasks/translation/index.js';
import { hasAttention, modelLabel } from '../tasks/translation/model.js';
import { HeedError } from '../util/errors.js';
import type {
  ClassificationResult,
  ExampleResult,
  GenerationResult,
  Heatmap,
  ModelInfo,
  RunRequest,
  TranslationResult,
} from './api.js';

/** A result before the server stamps its time on it. */
type Untimed<T> = Omit<T, 'ms'>;
export type ModelOutput =
  | Untimed<TranslationResult>
  | Untimed<ClassificationResult>
  | Untimed<GenerationResult>
  | Untimed<ExampleResult>;

/** A model the server offers: what the page lists and how to run a (validated) request. */
export interface ServedModel {
  readonly info: ModelInfo;
  run(req: RunRequest): ModelOutput;
}

/** Inputs that show each kind off when the config does not say otherwise. */
const EXAMPLES = {
  translation: 'Click the Save button to save the document.',
  dates: 'Saturday, March 14th 2015',
  classification:
    'Congratulations! You have been selected to receive a FREE vacation. Click here now to claim your prize, limited time offer!',
  lm: 'Call me Ishmael. ',
} as const;

/** Loads the checkpoint directory `dir` (written by `heed train`) as a served model. */
export function loadServedModel(dir: string): ServedModel {
  const kind = readCheckpointConfig(dir).kind;
  const id = modelId(dir);
  switch (kind) {
    case 'translation':
      return translationModel(id, loadTranslator(dir));
    case 'classification':
      return classificationModel(id, loadClassifier(dir));
    case 'lm':
      return languageModel(id, loadLanguageModel(dir));
    default:
      throw new HeedError(`serve: checkpoint ${dir} has kind '${kind}', not a heed task`);
  }
}

/** The id of a checkpoint: its directory's name, made URL-safe. */
export function modelId(dir: string): string {
  return basename(resolve(dir)).replace(/[^A-Za-z0-9._-]+/g, '-');
}

function translationModel(id: string, translator: Translator): ServedModel {
  const { config, setup, model } = translator;
  const attention = hasAttention(model);
  const dates = /date/i.test(config.name);
  const label =
    setup.model.kind === 'seq2seq'
      ? `${setup.model.config.cell.toUpperCase()} seq2seq, ${setup.model.config.attention === 'none' ? 'no' : setup.model.config.attention} attention`
      : modelLabel(setup.model);
  return {
    info: {
      id,
      kind: 'translation',
      title: `${config.name}: ${label}`,
      example: dates ? EXAMPLES.dates : EXAMPLES.translation,
      attention,
      parameters: model.numParameters(),
    },
    run(req) {
      const opts = { beamSize: req.beam ?? 1, alpha: req.beam !== undefined && req.beam > 1 ? 0.6 : 0 };
      if (!attention) {
        const [t] = translator.translate([req.text], opts);
        return { kind: 'translation', model: id, output: t.text, heatmap: null, layers: [] };
      }
      const a = translationAttention(translator, req.text, opts);
      const heatmap = { title: a.title, rowLabels: a.rowLabels, colLabels: a.colLabels, weights: a.weights };
      const layers = (a.maps ?? []).map((m) => ({ ...m, rowLabels: a.rowLabels, colLabels: a.colLabels }));
      return { kind: 'translation', model: id, output: a.translation, heatmap, layers };
    },
  };
}

function classificationModel(id: string, classifier: TextClassifier): ServedModel {
  const { config, model } = classifier;
  return {
    info: {
      id,
      kind: 'classification',
      title: `${config.name}: ${model.kind}`,
      example: EXAMPLES.classification,
      attention: model.kind === 'attentive-classifier',
      parameters: model.module.numParameters(),
    },
    run(req) {
      const [c] = classifier.classify([req.text]);
      return { kind: 'classification', model: id, ...c };
    },
  };
}

function languageModel(id: string, lm: LanguageModel): ServedModel {
  const { config, net } = lm;
  const attention = net.kind !== 'rnn-lm';
  return {
    info: {
      id,
      kind: 'lm',
      title: `${config.name}: ${net.kind}`,
      example: EXAMPLES.lm,
      attention,
      parameters: net.module.numParameters(),
    },
    run(req) {
      const g = lm.generate(req.text, {
        maxTokens: req.maxTokens ?? 100,
        temperature: req.temperature ?? 1,
        topK: req.topK,
        seed: req.seed ?? 0,
      });
      const base = {
        kind: 'lm' as const,
        model: id,
        prompt: req.text,
        continuation: g.continuation,
        text: g.text,
      };
      if (!attention || g.tokens.length === 0) return { ...base, heatmap: null, layers: [] };
      const heatmap = generationHeatmap(lm, req.text, g.tokens, g.attention);
      if (heatmap !== null && net.kind !== 'gpt') return { ...base, heatmap, layers: [] };
      // GPT: every layer and head over the text (its last blockSize tokens).
      const whole = lm.attention(g.text);
      const layers = withLayerMeans(whole.maps ?? []).map((m) => ({
        ...m,
        rowLabels: whole.rowLabels,
        colLabels: whole.colLabels,
      }));
      return { ...base, heatmap: heatmap ?? mainOf(whole), layers };
    },
  };
}

/** Per-head maps titled `layer L, head H`, each layer preceded by its mean over heads (as a Transformer's are). */
function withLayerMeans(
  maps: readonly { title: string; weights: number[][] }[],
): { title: string; weights: number[][] }[] {
  const byLayer = new Map<string, number[][][]>();
  for (const m of maps) {
    const layer = /^layer \d+/.exec(m.title)?.[0] ?? m.title;
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), m.weights]);
  }
  const out: { title: string; weights: number[][] }[] = [];
  for (const [layer, heads] of byLayer) {
    const mean = heads[0].map((row, i) =>
      row.map((_, j) => heads.reduce((s, h) => s + h[i][j], 0) / heads.length),
    );
    out.push({ title: `${layer}, mean of heads`, weights: mean });
    for (const [k, weights] of heads.entries()) out.push({ title: `${layer}, head ${k + 1}`, weights });
  }
  return out;
}

function mainOf(a: {
  title: string;
  rowLabels: string[];
  colLabels: string[];
  weights: number[][];
}): Heatmap {
  return { title: a.title, rowLabels: a.rowLabels, colLabels: a.colLabels, weights: a.weights };
}

/**
 * What each new token attended to, as rows over every token of prompt + continuation (a row is
 * zero past what its step could see); null when the generation kept no weights (a GPT whose
 * text outgrew its context: the page then shows the attention over the final window).
 */
function generationHeatmap(
  lm: LanguageModel,
  prompt: string,
  tokens: readonly string[],
  attention: number[][] | undefined,
): Heatmap | null {
  if (attention === undefined) return null;
  const promptTokens = lm.vocab.decode(lm.encode(prompt, 'prompt'));
  const colLabels = [...promptTokens, ...tokens].map(visible);
  const weights = attention.map((row) => colLabels.map((_, j) => row[j] ?? 0));
  return {
    title: `${lm.config.name}: what each new token attended to`,
    rowLabels: tokens.map(visible),
    colLabels,
    weights,
  };
}

function visible(token: string): string {
  return token.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥');
}

/** Seed 003's worked example, always offered. */
export function exampleModel(): ServedModel {
  return {
    info: {
      id: 'seed-003-example',
      kind: 'example',
      title: 'Seed 003 worked example: softmax(Q·Kᵀ) for "the next is"',
      example: 'the next is',
      attention: true,
      parameters: 0,
    },
    run() {
      const ex = selfAttentionExample();
      const n = ex.tokens.length;
      const weights = Array.from({ length: n }, (_, i) =>
        Array.from(ex.scores.data.subarray(i * n, (i + 1) * n)),
      );
      const maxWord = weights.map((row) => ex.tokens[row.indexOf(Math.max(...row))]);
      return {
        kind: 'example',
        model: 'seed-003-example',
        heatmap: {
          title: 'softmax(Q·Kᵀ), W_q = I, W_k = diag(1, 2, 1), no scaling',
          rowLabels: ex.tokens,
          colLabels: ex.tokens,
          weights,
        },
        maxWord,
      };
    },
  };
}
