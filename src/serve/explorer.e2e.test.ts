import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { TranslationResult } from './api.js';
import { makeServeFixtures, type ServeFixtures } from './testing.js';

/**
 * The explorer end to end: `heed serve` as a user starts it (a child process over trained
 * checkpoints) and the built page in headless Chromium (Debian's /usr/bin/chromium, or
 * $HEED_CHROMIUM; .ci/run installs it), driven with playwright-core.
 */
const HEED = fileURLToPath(new URL('../../bin/heed.js', import.meta.url));
const CHROMIUM = process.env.HEED_CHROMIUM ?? '/usr/bin/chromium';
// The flags a sandboxed machine without network needs (no background connections, no GPU).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let fx: ServeFixtures;
let server: ChildProcess;
let url: string;
let browser: Browser;
let page: Page;

function startServe(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [HEED, 'serve', '--port', '0', '--quiet', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /heed explorer on (http:\/\/\S+)/.exec(out);
      if (m !== null) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`heed serve exited with ${code}: ${stderr}`)));
  });
}

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) or set HEED_CHROMIUM`,
  );
  fx = await makeServeFixtures();
  const c = fx.checkpoints;
  ({ child: server, url } = await startServe([
    c['toy-additive'],
    c['toy-transformer'],
    c['toy-spam'],
    c['toy-gpt'],
  ]));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  await page.waitForSelector('#model option[value="toy-additive"]', { state: 'attached' });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  fx?.cleanup();
});

async function runModel(id: string, text: string): Promise<void> {
  await page.selectOption('#model', id);
  await page.fill('#input', text);
  await page.click('#run');
  // (A string: the test is compiled without the DOM's types.)
  await page.waitForFunction("!/running/i.test(document.querySelector('#status')?.textContent ?? '')");
}

/** What the API answers for the same request (the page must draw exactly this). */
async function apiTranslate(model: string, text: string): Promise<TranslationResult> {
  const res = await fetch(new URL('/api/run', url), {
    method: 'POST',
    body: JSON.stringify({ model, text }),
  });
  return (await res.json()) as TranslationResult;
}

describe('explorer page in headless Chromium', () => {
  it('lists the served models and the worked example', async () => {
    const ids = await page.$$eval('#model option', (os) => os.map((o) => o.getAttribute('value') ?? ''));
    assert.deepEqual(ids.sort(), [
      'seed-003-example',
      'toy-additive',
      'toy-gpt',
      'toy-spam',
      'toy-transformer',
    ]);
  });

  it('translates and draws one heatmap cell per source × target token, with the weight on hover', async () => {
    await runModel('toy-additive', 'a b c d e');
    const expected = await apiTranslate('toy-additive', 'a b c d e');
    assert.ok(expected.heatmap !== null);
    const rows = expected.heatmap.rowLabels.length;
    const cols = expected.heatmap.colLabels.length;
    assert.equal(cols, 5);
    await page.waitForSelector('.heatmap .cell');
    assert.equal(await page.locator('.heatmap .cell').count(), rows * cols);
    assert.equal((await page.textContent('#output-text'))?.trim(), expected.output);
    assert.equal(await page.textContent('#error'), '');

    // The cell of the last target token over the first source token.
    const cell = page.locator(`.heatmap .cell[data-row="${rows - 1}"][data-col="0"]`);
    const weight = Number(await cell.getAttribute('data-weight'));
    assert.ok(Math.abs(weight - expected.heatmap.weights[rows - 1][0]) < 1e-3, `cell weight ${weight}`);
    await cell.hover();
    const tooltip = page.locator('#tooltip');
    await tooltip.waitFor({ state: 'visible' });
    const text = (await tooltip.textContent()) ?? '';
    assert.match(text, /\d\.\d{4}/);
    assert.ok(text.includes(weight.toFixed(4)), `tooltip "${text}" shows ${weight.toFixed(4)}`);
  });

  it('shows a Transformer layer by layer and head by head', async () => {
    await runModel('toy-transformer', 'h g f');
    await page.waitForSelector('#layer');
    const options = await page.$$eval('#layer option', (os) => os.map((o) => o.textContent ?? ''));
    assert.equal(options.length, 7, options.join(' | ')); // the main map, then 2 layers × (mean + 2 heads)
    const first = await page.$$eval('.heatmap .cell', (cs) =>
      cs.map((c) => c.getAttribute('data-weight')).join(),
    );
    await page.selectOption('#layer', { index: 2 });
    const other = await page.$$eval('.heatmap .cell', (cs) =>
      cs.map((c) => c.getAttribute('data-weight')).join(),
    );
    assert.notEqual(other, first);
  });

  it('classifies a text, shading each token by its pooling weight', async () => {
    await runModel('toy-spam', 'team lunch prize! tomorrow');
    await page.waitForSelector('.token');
    const weights = await page.$$eval('.token', (ts) => ts.map((t) => Number(t.getAttribute('data-weight'))));
    assert.equal(weights.length, 5);
    assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-3, `weights ${weights}`);
    assert.match((await page.textContent('#output')) ?? '', /spam|ham/);
  });

  it('generates text and shows what each new token attended to', async () => {
    await page.selectOption('#model', 'toy-gpt');
    await page.fill('#max-tokens', '6');
    await runModel('toy-gpt', 'the ');
    await page.waitForSelector('.heatmap .cell');
    const rows = await page.$$eval(
      '.heatmap .cell',
      (cs) => new Set(cs.map((c) => c.getAttribute('data-row'))).size,
    );
    assert.equal(rows, 6);
  });

  it('reports a bad input on the page, then still works', async () => {
    await runModel('toy-gpt', 'the Ω');
    assert.match((await page.textContent('#error')) ?? '', /never occurs in the training text/);
    await runModel('seed-003-example', 'the next is');
    assert.equal(await page.locator('.heatmap .cell').count(), 9);
  });

  it('takes a screenshot', async () => {
    await runModel('toy-additive', 'a b c d e f');
    const file = join(fx.dir, 'explorer.png');
    await page.screenshot({ path: file, fullPage: true });
    assert.ok(statSync(file).size > 10_000);
    assert.deepEqual([...readFileSync(file).subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  });
});

describe('heed serve from the command line', () => {
  it('a missing checkpoint is a one-line error', async () => {
    await assert.rejects(startServe([join(fx.dir, 'nope')]), (e: Error) => {
      assert.match(e.message, /exited with 1: heed: .*nope.*\n?$/);
      assert.equal(e.message.trim().split('\n').length, 1);
      return true;
    });
  });
});
