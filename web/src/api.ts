/**
 * Typed calls to the `heed serve` JSON API (contract in src/serve/api.ts). URLs are relative to
 * the page, so the explorer also works when served under a path prefix.
 */
import type { ModelInfo, ModelKind, ModelsResponse, RunRequest, RunResult } from '../../src/serve/api.js';

/** A failed request, with the message to show: the server's `{error}` or what went wrong on the way. */
export class ApiError extends Error {
  override name = 'ApiError';
}

export async function fetchModels(): Promise<ModelInfo[]> {
  const body = await request('api/models');
  if (!isModelsResponse(body)) throw new ApiError('The server sent an unreadable model list.');
  return body.models;
}

export async function runModel(req: RunRequest): Promise<RunResult> {
  const body = await request('api/run', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(req),
  });
  if (!isRunResult(body)) throw new ApiError('The server sent an unreadable result.');
  return body;
}

// Shallow checks: the server is the other half of the contract in src/serve/api.ts, so the page
// checks only the fields it dispatches on.
function isModelsResponse(body: unknown): body is ModelsResponse {
  return isObject(body) && Array.isArray(body.models);
}

const KINDS: readonly string[] = ['translation', 'classification', 'lm', 'example'] satisfies ModelKind[];

function isRunResult(body: unknown): body is RunResult {
  return isObject(body) && typeof body.kind === 'string' && KINDS.includes(body.kind);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

/** fetch + JSON decode; every failure becomes an ApiError with a message for the page. */
async function request(url: string, init?: RequestInit): Promise<unknown> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, init);
    text = await response.text();
  } catch (err) {
    throw new ApiError(`Could not reach the server (${errorText(err)}).`);
  }
  let body: unknown;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (!response.ok) {
    const status = [response.status, response.statusText].filter(Boolean).join(' ');
    throw new ApiError(errorMessage(body) ?? `The server answered ${status}.`);
  }
  return body;
}

function errorMessage(body: unknown): string | undefined {
  return isObject(body) && typeof body.error === 'string' ? body.error : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
