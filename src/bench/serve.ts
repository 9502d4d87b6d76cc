import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { ModelInfo, ModelsResponse, RunRequest } from '../serve/api.js';
import { type LoadReport, loadTest } from '../serve/load.js';
import { HeedError } from '../util/errors.js';

/**
 * The explorer's API under load: a `heed serve` child process (so the clients do not share its
 * event loop) over the given checkpoints, a mix of requests drawn from every served model
 * (translation greedy and beam 5, classification, generation of 20 tokens, the worked example),
 * each answer compared with the one the same request got alone.
 */
export interface ServeBenchOptions {
  checkpoints: readonly string[];
  clients: readonly number[];
  requests: number;
}

export interface ServeBenchRecord extends Omit<LoadReport, 'problems'> {
  mix: string;
}

const HEED = fileURLToPath(new URL('../../bin/heed.js', import.meta.url));

/** Starts `heed serve --port 0` and resolves with its URL and a stop function. */
async function startServer(checkpoints: readonly string[]): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [HEED, 'serve', '--port', '0', '--quiet', ...checkpoints], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /on (http:\/\/\S+)/.exec(out);
      if (m !== null) resolve(m[1]);
    });
    child.on('exit', (code) =>
      reject(
        new HeedError(
          `bench serve: heed serve exited with ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`,
        ),
      ),
    );
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Representative requests for one model. */
function requestsFor(m: ModelInfo): RunRequest[] {
  switch (m.kind) {
    case 'translation':
      return [
        { model: m.id, text: m.example },
        { model: m.id, text: m.example, beam: 5 },
      ];
    case 'classification':
      return [{ model: m.id, text: m.example }];
    case 'lm':
      return [{ model: m.id, text: m.example, maxTokens: 20, temperature: 0.8, seed: 1 }];
    default:
      return [{ model: m.id, text: m.example }];
  }
}

/** A result without its timing, for comparing answers. */
function withoutTime(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const { ms: _ms, ...rest } = value as Record<string, unknown>;
  return rest;
}

export async function benchServe(
  o: ServeBenchOptions,
  onRecord: (r: ServeBenchRecord) => void,
): Promise<void> {
  const server = await startServer(o.checkpoints);
  try {
    const { models } = (await (await fetch(new URL('/api/models', server.url))).json()) as ModelsResponse;
    const mix = models.flatMap(requestsFor);
    const expected: unknown[] = [];
    for (const body of mix) {
      const res = await fetch(new URL('/api/run', server.url), {
        method: 'POST',
        body: JSON.stringify(body),
      });
      if (res.status !== 200)
        throw new HeedError(`bench serve: ${body.model} answered ${res.status}: ${await res.text()}`);
      expected.push(withoutTime(await res.json()));
    }
    for (const clients of o.clients) {
      const report = await loadTest({
        url: server.url,
        clients,
        requests: o.requests,
        body: (i) => mix[i % mix.length],
        check: (i, status, value) =>
          status !== 200
            ? `status ${status}`
            : isDeepStrictEqual(withoutTime(value), expected[i % mix.length])
              ? null
              : `answer differs from ${mix[i % mix.length].model}'s answer alone`,
      });
      if (report.problems.length > 0) process.stderr.write(`bench serve: ${report.problems.join('; ')}\n`);
      const { problems: _p, ...rest } = report;
      onRecord({ ...rest, mix: `${mix.length} requests over ${models.length} models` });
    }
  } finally {
    server.stop();
  }
}
