import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type {
  ClassificationResult,
  ExampleResult,
  GenerationResult,
  Heatmap,
  ModelsResponse,
  RunRequest,
  TranslationResult,
} from './api.js';
import { loadTest } from './load.js';
import { exampleModel, loadServedModel } from './models.js';
import { createExplorerServer, listen } from './server.js';
import { makeServeFixtures, type ServeFixtures } from './testing.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request; `chunks` are written one by one (a chunked body without Content-Length). */
function send(base: string, method: string, path: string, body?: string | string[]): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (typeof body === 'string') {
      req.setHeader('Content-Type', 'application/json');
      req.end(body);
    } else if (Array.isArray(body)) {
      for (const chunk of body) req.write(chunk);
      req.end();
    } else {
      req.end();
    }
  });
}

const run = (base: string, body: unknown): Promise<Reply> =>
  send(base, 'POST', '/api/run', JSON.stringify(body));

function json<T>(r: Reply, status = 200): T {
  assert.equal(r.status, status, r.body);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  return JSON.parse(r.body) as T;
}

/** A heatmap is rows × cols with every row a distribution (or all zero where masked). */
function checkHeatmap(h: Heatmap): void {
  assert.ok(h.rowLabels.length > 0 && h.colLabels.length > 0);
  assert.equal(h.weights.length, h.rowLabels.length);
  for (const row of h.weights) {
    assert.equal(row.length, h.colLabels.length);
    const sum = row.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-3 || sum === 0, `row sum ${sum}`);
    for (const w of row) assert.ok(w >= 0 && w <= 1);
  }
}

let fx: ServeFixtures;
let base: string;
let page: string;
const server = { close: (): void => {} };

before(async () => {
  fx = await makeServeFixtures();
  page = join(fx.dir, 'web');
  mkdirSync(join(page, 'assets'), { recursive: true });
  writeFileSync(join(page, 'index.html'), '<!doctype html><title>heed</title>');
  writeFileSync(join(page, 'assets', 'app.js'), 'console.log(1)');
  const models = [...Object.values(fx.checkpoints).map(loadServedModel), exampleModel()];
  const s = createExplorerServer({ models, staticDir: page, maxBodyBytes: 4096 });
  base = await listen(s, 0, '127.0.0.1');
  server.close = () => {
    s.closeAllConnections();
    s.close();
  };
});

after(() => {
  server.close();
  fx.cleanup();
});

describe('explorer API: models and runs', () => {
  it('lists every checkpoint and the worked example with kind, title and an example input', async () => {
    const { models } = json<ModelsResponse>(await send(base, 'GET', '/api/models'));
    assert.deepEqual(
      models.map((m) => [m.id, m.kind, m.attention]),
      [
        ['toy-additive', 'translation', true],
        ['toy-transformer', 'translation', true],
        ['toy-spam', 'classification', true],
        ['toy-gpt', 'lm', true],
        ['toy-attentive-rnn', 'lm', true],
        ['seed-003-example', 'example', true],
      ],
    );
    for (const m of models) {
      assert.ok(m.title.length > 0 && m.example.length > 0);
      assert.equal(m.parameters > 0, m.kind !== 'example');
    }
  });

  it('translates with a target × source heatmap whose labels are the tokens', async () => {
    const r = json<TranslationResult>(await run(base, { model: 'toy-additive', text: 'a b c d', beam: 3 }));
    assert.equal(r.kind, 'translation');
    assert.ok(r.output.length > 0);
    assert.ok(r.heatmap !== null);
    checkHeatmap(r.heatmap);
    assert.deepEqual(r.heatmap.colLabels, ['a', 'b', 'c', 'd']);
    assert.equal(r.heatmap.rowLabels.at(-1), '<eos>');
    assert.deepEqual(r.layers, []);
    assert.ok(r.ms >= 0);
  });

  it('gives a Transformer every layer and head of its cross-attention', async () => {
    const r = json<TranslationResult>(await run(base, { model: 'toy-transformer', text: 'h g f' }));
    assert.ok(r.heatmap !== null);
    checkHeatmap(r.heatmap);
    // 2 layers × (mean + 2 heads).
    assert.equal(r.layers.length, 6);
    for (const m of r.layers) {
      checkHeatmap(m);
      assert.deepEqual(m.colLabels, ['h', 'g', 'f']);
    }
  });

  it('classifies with one pooling weight per token', async () => {
    const r = json<ClassificationResult>(
      await run(base, { model: 'toy-spam', text: 'team lunch free! tomorrow' }),
    );
    assert.ok(['spam', 'ham'].includes(r.label));
    assert.ok(Math.abs(r.probabilities.spam + r.probabilities.ham - 1) < 1e-4);
    assert.deepEqual(r.tokens, ['team', 'lunch', 'free', '!', 'tomorrow']);
    assert.ok(r.weights !== null && r.weights.length === 5);
    assert.ok(Math.abs(r.weights.reduce((a, b) => a + b, 0) - 1) < 1e-3);
  });

  it('generates, showing what each new token attended to, reproducibly under a seed', async () => {
    const body = { model: 'toy-gpt', text: 'the ', maxTokens: 6, temperature: 0.8, seed: 4 };
    const r = json<GenerationResult>(await run(base, body));
    assert.ok(r.text.startsWith('the '));
    assert.equal(r.text, `the ${r.continuation}`);
    assert.ok(r.heatmap !== null);
    checkHeatmap(r.heatmap);
    assert.equal(r.heatmap.rowLabels.length, 6);
    assert.equal(r.heatmap.colLabels.length, 10);
    // The step predicting new token i (at position 3 + i) sees positions 0 … 3 + i only.
    r.heatmap.weights.forEach((row, i) => {
      for (let j = 4 + i; j < row.length; j++) assert.equal(row[j], 0);
    });
    assert.equal(r.layers.length, 6); // 2 layers × (mean + 2 heads)
    const again = json<GenerationResult>(await run(base, body));
    assert.equal(again.continuation, r.continuation);

    const rnn = json<GenerationResult>(
      await run(base, { model: 'toy-attentive-rnn', text: 'the c', maxTokens: 5 }),
    );
    assert.ok(rnn.heatmap !== null);
    checkHeatmap(rnn.heatmap);
    assert.equal(rnn.heatmap.rowLabels.length, 5);
  });

  it("runs seed 003's worked example", async () => {
    const r = json<ExampleResult>(await run(base, { model: 'seed-003-example', text: '' }));
    assert.deepEqual(r.heatmap.rowLabels, ['the', 'next', 'is']);
    assert.deepEqual(r.maxWord, ['the', 'next', 'next']);
    assert.equal(r.heatmap.weights[0][0], 0.42305);
  });
});

describe('explorer API: bad requests get a status and a one-line message', () => {
  const cases: [string, () => Promise<Reply>, number, RegExp][] = [
    ['bad JSON', () => send(base, 'POST', '/api/run', '{"model": '), 400, /not valid JSON/],
    ['an empty body', () => send(base, 'POST', '/api/run', ''), 400, /body is empty/],
    ['not an object', () => run(base, [1, 2]), 400, /body must be an object/],
    ['a missing field', () => run(base, { model: 'toy-spam' }), 400, /body\.text is missing/],
    [
      'an ill-typed field',
      () => run(base, { model: 'toy-spam', text: 3 }),
      400,
      /body\.text must be a string/,
    ],
    [
      'an unknown field',
      () => run(base, { model: 'toy-spam', text: 'x', bem: 2 }),
      400,
      /unknown key "bem".*"beam"/,
    ],
    [
      'a beam out of range',
      () => run(base, { model: 'toy-additive', text: 'a', beam: 99 }),
      400,
      /body\.beam must be an integer >= 1 and <= 16, got 99/,
    ],
    [
      'a temperature out of range',
      () => run(base, { model: 'toy-gpt', text: 'the', temperature: -1 }),
      400,
      /body\.temperature/,
    ],
    ['an empty text', () => run(base, { model: 'toy-additive', text: '   ' }), 400, /body\.text is empty/],
    [
      'a text the model cannot read',
      () => run(base, { model: 'toy-gpt', text: 'the Ω' }),
      400,
      /character "Ω" never occurs/,
    ],
    [
      'a text over the model maximum',
      () => run(base, { model: 'toy-transformer', text: 'a '.repeat(40) }),
      400,
      /more than the model's maxLen 32/,
    ],
    [
      'a body over the size limit',
      () => run(base, { model: 'toy-spam', text: 'a '.repeat(3000) }),
      400,
      /over the limit of 4096 bytes/,
    ],
    [
      'a chunked body over the size limit',
      () => send(base, 'POST', '/api/run', Array(10).fill('x'.repeat(1000))),
      400,
      /over the limit of 4096 bytes/,
    ],
    [
      'an unknown model',
      () => run(base, { model: 'gpt-5', text: 'x' }),
      404,
      /unknown model 'gpt-5'; models: toy-additive,/,
    ],
    ['an unknown API route', () => send(base, 'GET', '/api/nope'), 404, /no API route \/api\/nope/],
    ['a wrong method', () => send(base, 'GET', '/api/run'), 405, /method GET not allowed \(use POST\)/],
    ['a file outside the page', () => send(base, 'GET', '/../../etc/passwd'), 404, /no file/],
    ['an encoded escape', () => send(base, 'GET', '/%2e%2e/%2e%2e/etc/passwd'), 404, /no file/],
    ['a malformed path', () => send(base, 'GET', '/%E0%A4%A'), 400, /malformed path/],
  ];
  for (const [what, call, status, message] of cases) {
    it(what, async () => {
      const { error } = json<{ error: string }>(await call(), status);
      assert.match(error, message);
      assert.ok(!error.includes('\n'), error);
    });
  }

  it('keeps serving after every bad request', async () => {
    const r = json<ExampleResult>(await run(base, { model: 'seed-003-example', text: 'x' }));
    assert.equal(r.kind, 'example');
  });
});

describe('explorer server: page and concurrency', () => {
  it('serves the page and its assets, and nothing else', async () => {
    const index = await send(base, 'GET', '/');
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    assert.match(index.body, /<title>heed<\/title>/);
    const js = await send(base, 'GET', '/assets/app.js');
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    assert.equal((await send(base, 'GET', '/missing.js')).status, 404);
    assert.equal((await send(base, 'POST', '/')).status, 405);
  });

  it('says so when the page was not built', async () => {
    const s = createExplorerServer({ models: [exampleModel()], staticDir: join(fx.dir, 'no-page') });
    const url = await listen(s, 0, '127.0.0.1');
    try {
      const { error } = json<{ error: string }>(await send(url, 'GET', '/'), 500);
      assert.match(error, /the page is not built .*index\.html is missing\): run npm run build/);
    } finally {
      s.close();
    }
  });

  it('serves 24 concurrent requests, each with its own right answer', async () => {
    const texts = Array.from({ length: 24 }, (_, i) =>
      'abcdefgh'
        .slice(i % 5, (i % 5) + 2 + (i % 4))
        .split('')
        .join(' '),
    );
    const expected = await Promise.all(
      texts
        .slice(0, 5)
        .map((text) =>
          run(base, { model: 'toy-additive', text }).then((r) => json<TranslationResult>(r).output),
        ),
    );
    const replies = await Promise.all(texts.map((text) => run(base, { model: 'toy-additive', text })));
    replies.forEach((r, i) => {
      const out = json<TranslationResult>(r);
      assert.deepEqual(out.heatmap?.colLabels, texts[i].split(' '));
      if (i < 5) assert.equal(out.output, expected[i]);
    });
  });

  it('refuses a text over 4,000 characters', async () => {
    const s = createExplorerServer({ models: [exampleModel()], staticDir: null });
    const url = await listen(s, 0, '127.0.0.1');
    try {
      const { error } = json<{ error: string }>(
        await run(url, { model: 'seed-003-example', text: 'a'.repeat(4001) }),
        400,
      );
      assert.equal(error, 'request: body.text has 4001 characters, more than 4000');
      const api = json<{ error: string }>(await send(url, 'GET', '/'), 404);
      assert.match(api.error, /this server has the API only/);
    } finally {
      s.close();
    }
  });

  it('refuses two models with one id', () => {
    assert.throws(
      () => createExplorerServer({ models: [exampleModel(), exampleModel()] }),
      /two models have the id 'seed-003-example'/,
    );
  });

  it('names a port in use', async () => {
    const port = Number(new URL(base).port);
    const s = createExplorerServer({ models: [exampleModel()] });
    await assert.rejects(
      listen(s, port, '127.0.0.1'),
      new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`),
    );
  });
});

describe('explorer API under a bounded load', () => {
  it('8 clients send 240 requests over every model: every answer right, none dropped', async () => {
    const mix: RunRequest[] = [
      { model: 'toy-additive', text: 'a b c' },
      { model: 'toy-additive', text: 'h g f e d', beam: 4 },
      { model: 'toy-transformer', text: 'b b a' },
      { model: 'toy-spam', text: 'cash! for the team' },
      { model: 'toy-gpt', text: 'the d', maxTokens: 8, seed: 3 },
      { model: 'toy-attentive-rnn', text: 'the m', maxTokens: 8, temperature: 0 },
      { model: 'seed-003-example', text: '' },
      { model: 'toy-additive', text: '' }, // a wrong request is answered too, with its 400
    ];
    const alone = (v: unknown): unknown => {
      const { ms: _ms, ...rest } = v as Record<string, unknown>;
      return rest;
    };
    const expected: [number, unknown][] = [];
    for (const body of mix) {
      const r = await run(base, body);
      expected.push([r.status, alone(JSON.parse(r.body))]);
    }
    assert.equal(expected.at(-1)?.[0], 400);
    const report = await loadTest({
      url: base,
      clients: 8,
      requests: 240,
      body: (i) => mix[i % mix.length],
      check: (i, status, value) => {
        const [s, v] = expected[i % mix.length];
        return status === s && isDeepStrictEqual(alone(value), v) ? null : `request ${i} differs`;
      },
    });
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, 240);
    assert.equal(report.wrong + report.dropped, 0);
    assert.ok(report.p50Ms <= report.p99Ms && report.p99Ms <= report.maxMs);
  });
});
