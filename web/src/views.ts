/** One render function per result kind; each returns the contents of `#output`. */
import type {
  ClassificationResult,
  ExampleResult,
  GenerationResult,
  Heatmap,
  RunResult,
  TranslationResult,
} from '../../src/serve/api.js';
import { h } from './dom.js';
import { heatmapView, hideTooltip } from './heatmap.js';

export function renderResult(result: RunResult): HTMLElement[] {
  switch (result.kind) {
    case 'translation':
      return renderTranslation(result);
    case 'classification':
      return renderClassification(result);
    case 'lm':
      return renderGeneration(result);
    case 'example':
      return renderExample(result);
  }
}

function renderTranslation(r: TranslationResult): HTMLElement[] {
  return [
    h('h2', {}, 'Translation'),
    h('p', { id: 'output-text', class: 'output-text' }, r.output),
    ...attentionMaps(r.model, r.heatmap, r.layers, 'Rows: output tokens · columns: input tokens.'),
  ];
}

function renderGeneration(r: GenerationResult): HTMLElement[] {
  // Show the detokenised text split where the prompt ends, so spacing is the model's own.
  const split = r.text.startsWith(r.prompt);
  const prompt = split ? r.prompt : `${r.prompt} `;
  const continuation = split ? r.text.slice(r.prompt.length) : r.continuation;
  return [
    h('h2', {}, 'Continuation'),
    h(
      'p',
      { id: 'output-text', class: 'output-text generated' },
      h('span', { class: 'prompt' }, prompt),
      h('mark', { class: 'continuation' }, continuation),
    ),
    ...attentionMaps(r.model, r.heatmap, r.layers, 'Rows: new tokens · columns: every token so far.'),
  ];
}

function renderClassification(r: ClassificationResult): HTMLElement[] {
  const probabilities = Object.entries(r.probabilities).sort((a, b) => b[1] - a[1]);
  const maxWeight = r.weights ? Math.max(0, ...r.weights) || 1 : 1;
  const tokens = r.tokens.map((token, i) => {
    const w = r.weights?.[i];
    if (w === undefined) return h('span', { class: 'token' }, token);
    const alpha = w / maxWeight;
    return h(
      'span',
      {
        class: alpha > 0.55 ? 'token strong' : 'token',
        'data-weight': w,
        title: w.toFixed(4),
        style: `background-color: rgba(33, 113, 181, ${alpha.toFixed(3)})`,
      },
      token,
    );
  });
  return [
    h('h2', {}, 'Classification'),
    h('p', { class: 'verdict' }, 'Label: ', h('strong', { id: 'label' }, r.label)),
    h(
      'ul',
      { id: 'probabilities', class: 'probabilities', 'aria-label': 'Probability of each label' },
      ...probabilities.map(([label, p]) =>
        h(
          'li',
          { class: label === r.label ? 'prob chosen' : 'prob', 'data-label': label },
          h('span', { class: 'prob-name' }, label),
          h('span', { class: 'prob-bar' }, h('span', { style: `width: ${(p * 100).toFixed(1)}%` })),
          h('span', { class: 'prob-value' }, `${(p * 100).toFixed(1)}%`),
        ),
      ),
    ),
    h('h3', {}, r.weights ? 'Attention over the tokens' : 'Tokens'),
    r.weights
      ? h(
          'p',
          { class: 'hint' },
          'Darker = more weight in the attention pooling; hover a token for its weight.',
        )
      : noAttention(r.model),
    h('p', { id: 'tokens', class: 'tokens' }, ...tokens),
  ];
}

function renderExample(r: ExampleResult): HTMLElement[] {
  const { rowLabels, colLabels, weights } = r.heatmap;
  const table = h(
    'table',
    { id: 'example-table', class: 'example-table' },
    h('caption', {}, 'Attention scores softmax(Q·Kᵀ), one row per query token'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Word'),
        h('th', { scope: 'col' }, 'word with max attention score'),
        ...colLabels.map((t) => h('th', { scope: 'col' }, `score for ${t}`)),
      ),
    ),
    h(
      'tbody',
      {},
      ...rowLabels.map((token, i) => {
        const row = weights[i] ?? [];
        const best = row.indexOf(Math.max(...row));
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, token),
          h('td', {}, r.maxWord[i] ?? ''),
          ...row.map((w, j) => h('td', { class: j === best ? 'num best' : 'num' }, w.toFixed(4))),
        );
      }),
    ),
  );
  return [
    h('h2', {}, 'Worked example: self-attention'),
    h('div', { class: 'maps' }, heatmapView(r.heatmap)),
    h('div', { class: 'table-scroll' }, table),
  ];
}

/**
 * The main map, and when the model has layers (a Transformer) a `<select id="layer">` to switch
 * to any layer's mean or single head.
 */
function attentionMaps(model: string, main: Heatmap | null, layers: Heatmap[], axes: string): HTMLElement[] {
  if (!main && layers.length === 0) return [noAttention(model)];
  const maps = h('div', { class: 'maps' });
  const choices = layers.map((map, i) => ({ value: String(i), text: map.title, map }));
  if (main) choices.unshift({ value: 'main', text: 'main', map: main });
  const show = (value: string): void => {
    const choice = choices.find((c) => c.value === value) ?? choices[0]!;
    hideTooltip();
    maps.replaceChildren(heatmapView(choice.map));
  };
  show(choices[0]!.value);
  if (layers.length === 0) return [h('p', { class: 'hint' }, axes), maps];

  const select = h('select', { id: 'layer' }, ...choices.map((c) => h('option', { value: c.value }, c.text)));
  select.addEventListener('change', () => show(select.value));
  return [
    h('div', { class: 'layer-picker' }, h('label', { for: 'layer' }, 'Attention map'), select),
    h('p', { class: 'hint' }, axes),
    maps,
  ];
}

function noAttention(model: string): HTMLElement {
  return h('p', { class: 'note no-attention' }, `${model} has no attention: there is nothing to draw.`);
}
