/** The explorer page: loads the model list, runs the chosen model, renders its result. */
import type { ModelInfo, ModelKind, RunRequest } from '../../src/serve/api.js';
import { MAX_TEXT_CHARS } from '../../src/serve/api.js';
import { ApiError, fetchModels, runModel } from './api.js';
import { h } from './dom.js';
import { renderResult } from './views.js';

const KINDS: readonly ModelKind[] = ['translation', 'classification', 'lm', 'example'];
const KIND_NAMES: Record<ModelKind, string> = {
  translation: 'Translation',
  classification: 'Classification',
  lm: 'Language models',
  example: 'Worked example',
};

function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`index.html has no <${type.name}> #${id}`);
  return node;
}

const form = byId('controls', HTMLFormElement);
const modelSelect = byId('model', HTMLSelectElement);
const modelInfo = byId('model-info', HTMLElement);
const input = byId('input', HTMLTextAreaElement);
const inputHint = byId('input-hint', HTMLElement);
const beam = byId('beam', HTMLInputElement);
const temperature = byId('temperature', HTMLInputElement);
const temperatureValue = byId('temperature-value', HTMLOutputElement);
const maxTokens = byId('max-tokens', HTMLInputElement);
const runButton = byId('run', HTMLButtonElement);
const status = byId('status', HTMLElement);
const errorBox = byId('error', HTMLElement);
const output = byId('output', HTMLElement);

let models: ModelInfo[] = [];

input.maxLength = MAX_TEXT_CHARS;

function selectedModel(): ModelInfo | undefined {
  return models.find((m) => m.id === modelSelect.value);
}

function fillModels(list: ModelInfo[]): void {
  models = list;
  const groups = KINDS.map((kind) => [kind, list.filter((m) => m.kind === kind)] as const)
    .filter(([, members]) => members.length > 0)
    .map(([kind, members]) =>
      h(
        'optgroup',
        { label: KIND_NAMES[kind] },
        ...members.map((m) => h('option', { value: m.id }, m.title)),
      ),
    );
  modelSelect.replaceChildren(...groups);
  modelSelect.disabled = list.length === 0;
  runButton.disabled = list.length === 0;
  if (list.length === 0) {
    showError('The server offers no models.');
    return;
  }
  chooseModel();
}

/** Prefill the input with the model's example and show the controls its kind reads. */
function chooseModel(): void {
  const model = selectedModel();
  if (!model) return;
  input.value = model.example;
  for (const field of document.querySelectorAll<HTMLElement>('[data-kinds]')) {
    field.hidden = !(field.dataset.kinds ?? '').split(' ').includes(model.kind);
  }
  const facts = [KIND_NAMES[model.kind]];
  if (model.parameters > 0) facts.push(`${model.parameters.toLocaleString('en-US')} parameters`);
  if (!model.attention) facts.push('no attention');
  modelInfo.textContent = facts.join(' · ');
  inputHint.textContent =
    model.kind === 'example'
      ? 'The worked example uses its own three tokens; the input is ignored.'
      : 'Ctrl/⌘ + Enter runs the model.';
}

/** The request for the chosen model, or a message saying which control is out of range. */
function buildRequest(model: ModelInfo): RunRequest | string {
  const request: RunRequest = { model: model.id, text: input.value };
  if (model.kind !== 'example' && input.value.trim() === '') return 'Type some input first.';
  if (model.kind === 'translation') {
    const width = beam.valueAsNumber;
    if (!Number.isInteger(width) || width < 1 || width > 16) {
      return 'The beam width must be a whole number from 1 to 16.';
    }
    request.beam = width;
  }
  if (model.kind === 'lm') {
    const count = maxTokens.valueAsNumber;
    if (!Number.isInteger(count) || count < 1 || count > 400) {
      return 'The number of new tokens must be a whole number from 1 to 400.';
    }
    request.maxTokens = count;
    request.temperature = temperature.valueAsNumber;
  }
  return request;
}

async function run(): Promise<void> {
  const model = selectedModel();
  if (!model || runButton.disabled) return;
  const request = buildRequest(model);
  if (typeof request === 'string') {
    showError(request);
    return;
  }
  showError('');
  runButton.disabled = true;
  output.setAttribute('aria-busy', 'true');
  status.textContent = 'running…';
  try {
    const result = await runModel(request);
    output.replaceChildren(...renderResult(result));
    status.textContent = formatMs(result.ms);
  } catch (err) {
    status.textContent = 'failed';
    showError(err instanceof ApiError ? err.message : `Could not show the result: ${String(err)}`);
  } finally {
    runButton.disabled = false;
    output.removeAttribute('aria-busy');
  }
}

function formatMs(ms: number): string {
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms).toLocaleString('en-US')} ms`;
}

function showError(message: string): void {
  errorBox.textContent = message;
  errorBox.hidden = message === '';
}

modelSelect.addEventListener('change', chooseModel);
temperature.addEventListener('input', () => {
  temperatureValue.value = temperature.valueAsNumber.toFixed(2);
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  void run();
});
input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    form.requestSubmit();
  }
});

showError('');
fetchModels().then(fillModels, (err: unknown) => {
  modelSelect.replaceChildren(h('option', {}, 'No models'));
  showError(err instanceof ApiError ? err.message : `Could not load the models: ${String(err)}`);
});
