import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeedError } from '../util/errors.js';
import { v, validate } from '../util/validate.js';
import {
  MAX_BODY_BYTES,
  MAX_TEXT_CHARS,
  type ModelsResponse,
  type RunRequest,
  type RunResult,
} from './api.js';
import type { ServedModel } from './models.js';

/**
 * The explorer's HTTP server: the built web page (dist/web) and the JSON API of ./api.ts.
 *
 * Requests are answered one model run at a time on the event loop (a run is synchronous CPU
 * work, and the kernels already use every core), so concurrent requests queue and are all served;
 * reading bodies, validation and static files never wait for a run.
 */
export interface ExplorerOptions {
  models: readonly ServedModel[];
  /** Directory of the built page (default: dist/web beside this module); null serves the API only. */
  staticDir?: string | null;
  /** Largest request body in bytes (default MAX_BODY_BYTES). */
  maxBodyBytes?: number;
  /** Called with one line per request (method, path, status, ms). */
  log?: (line: string) => void;
}

/** The default location of the built page: <package>/dist/web. */
export const DEFAULT_STATIC_DIR = resolve(fileURLToPath(new URL('../web', import.meta.url)));

/** A request the client got wrong: answered with `status` and `{ error: message }`. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const runRequestSchema = v.object({
  model: v.string({ nonEmpty: true }),
  text: v.string(),
  beam: v.optional(v.int({ min: 1, max: 16 })),
  temperature: v.optional(v.number({ min: 0, max: 5 })),
  maxTokens: v.optional(v.int({ min: 1, max: 400 })),
  topK: v.optional(v.int({ min: 1 })),
  seed: v.optional(v.int({ min: 0, max: Number.MAX_SAFE_INTEGER })),
});

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Creates (does not start) the explorer's server. */
export function createExplorerServer(opts: ExplorerOptions): Server {
  const byId = new Map<string, ServedModel>();
  for (const m of opts.models) {
    if (byId.has(m.info.id))
      throw new HeedError(`serve: two models have the id '${m.info.id}' (rename a checkpoint directory)`);
    byId.set(m.info.id, m);
  }
  const staticDir = opts.staticDir === undefined ? DEFAULT_STATIC_DIR : opts.staticDir;
  const maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const models: ModelsResponse = { models: opts.models.map((m) => m.info) };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/api/models') {
      allow(req, 'GET');
      return sendJson(res, 200, models);
    }
    if (path === '/api/run') {
      allow(req, 'POST');
      const body = await readBody(req, maxBody);
      const run = parseRunRequest(body);
      const model = byId.get(run.model);
      if (model === undefined) {
        throw new RequestError(404, `unknown model '${run.model}'; models: ${[...byId.keys()].join(', ')}`);
      }
      return sendJson(res, 200, runModel(model, run));
    }
    if (path.startsWith('/api/')) throw new RequestError(404, `no API route ${path}`);
    allow(req, 'GET', 'HEAD');
    return serveStatic(res, staticDir, path, req.method === 'HEAD');
  }

  return createServer((req, res) => {
    const t0 = performance.now();
    handle(req, res)
      .catch((e: unknown) => {
        const [status, message] = describeFailure(e);
        if (status === 500)
          process.stderr.write(
            `heed serve: ${req.method} ${req.url}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
          );
        if (res.headersSent) {
          res.destroy();
          return status;
        }
        // A body we stopped reading cannot leave the connection reusable.
        if (status === 400 && !req.complete) res.setHeader('Connection', 'close');
        return sendJson(res, status, { error: message });
      })
      .then((status) =>
        opts.log?.(`${req.method} ${req.url} ${status} ${(performance.now() - t0).toFixed(1)} ms`),
      );
  });
}

/** A client mistake → its status; a HeedError from a model (empty or over-long input, unknown character) → 400; anything else → 500. */
function describeFailure(e: unknown): [number, string] {
  if (e instanceof RequestError) return [e.status, e.message];
  if (e instanceof HeedError) return [400, e.message];
  return [500, `internal error: ${e instanceof Error ? e.message : String(e)}`];
}

function allow(req: IncomingMessage, ...methods: string[]): void {
  if (!methods.includes(req.method ?? '')) {
    throw new RequestError(405, `${req.url}: method ${req.method} not allowed (use ${methods.join(' or ')})`);
  }
}

/** Weights and probabilities go out with 5 significant digits: enough to read, a third of the bytes. */
function compactNumber(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(5)) : value;
}

function sendJson(res: ServerResponse, status: number, value: unknown): number {
  const body = JSON.stringify(value, compactNumber);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
  return status;
}

/** The body as text, or a 400 once it passes `limit` bytes (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(
      new RequestError(400, `request body of ${declared} bytes is over the limit of ${limit} bytes`),
    );
  }
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume(); // drain without keeping it
        reject(new RequestError(400, `request body is over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseRunRequest(body: string): RunRequest {
  if (body.trim() === '')
    throw new RequestError(400, 'request body is empty; send a JSON object {"model", "text", …}');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    throw new RequestError(400, `request body is not valid JSON: ${(e as Error).message}`);
  }
  let run: RunRequest;
  try {
    run = validate(runRequestSchema, value, 'request', 'body');
  } catch (e) {
    if (e instanceof HeedError) throw new RequestError(400, e.message);
    throw e;
  }
  if (run.text.length > MAX_TEXT_CHARS) {
    throw new RequestError(
      400,
      `request: body.text has ${run.text.length} characters, more than ${MAX_TEXT_CHARS}`,
    );
  }
  return run;
}

function runModel(model: ServedModel, run: RunRequest): RunResult {
  if (model.info.kind !== 'example' && run.text.trim() === '') {
    throw new RequestError(400, 'request: body.text is empty; type something for the model to read');
  }
  const t0 = performance.now();
  const out = model.run(run);
  return { ...out, ms: Math.round((performance.now() - t0) * 10) / 10 } as RunResult;
}

function serveStatic(res: ServerResponse, dir: string | null, urlPath: string, headOnly: boolean): number {
  if (dir === null) throw new RequestError(404, `no route ${urlPath} (this server has the API only)`);
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    throw new RequestError(400, `malformed path ${urlPath}`);
  }
  if (rel.endsWith('/')) rel += 'index.html';
  const root = resolve(dir);
  const file = resolve(join(root, rel));
  if (file !== root && !file.startsWith(root + sep)) throw new RequestError(404, `no file ${urlPath}`);
  if (!existsSync(file) || !statSync(file).isFile()) {
    if (rel === '/index.html') {
      throw new RequestError(
        500,
        `the page is not built (${join(root, 'index.html')} is missing): run npm run build`,
      );
    }
    throw new RequestError(404, `no file ${urlPath}`);
  }
  const body = readFileSync(file);
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(headOnly ? undefined : body);
  return 200;
}

/** Starts the server on host:port (port 0: the system picks a free one) and resolves with its URL. */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(
        new HeedError(
          e.code === 'EADDRINUSE'
            ? `serve: port ${port} on ${host} is in use; choose another with --port`
            : `serve: cannot listen on ${host}:${port}: ${e.message}`,
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const { port: actual } = server.address() as AddressInfo;
      resolveUrl(`http://${host.includes(':') ? `[${host}]` : host}:${actual}/`);
    });
  });
}
