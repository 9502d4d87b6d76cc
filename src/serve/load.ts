import type { RunRequest } from './api.js';

/**
 * A bounded load test of the explorer's API: `clients` concurrent clients send `requests` POST
 * /api/run requests in all (each client takes the next request when its last one is answered)
 * over keep-alive connections, and every answer is checked against the expected one.
 */
export interface LoadOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8080/. */
  url: string;
  clients: number;
  requests: number;
  /** The i-th request's body. */
  body(i: number): RunRequest;
  /** Checks the i-th answer (status and parsed JSON); returns why it is wrong, or null. */
  check(i: number, status: number, value: unknown): string | null;
}

export interface LoadReport {
  clients: number;
  requests: number;
  /** Answered and right. */
  ok: number;
  /** Answered but wrong (status or content), with the first few reasons. */
  wrong: number;
  /** Never answered (connection refused or reset). */
  dropped: number;
  problems: string[];
  seconds: number;
  requestsPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function loadTest(o: LoadOptions): Promise<LoadReport> {
  if (!(Number.isInteger(o.clients) && o.clients >= 1))
    throw new Error(`loadTest: clients must be >= 1, got ${o.clients}`);
  const endpoint = new URL('/api/run', o.url);
  const latencies: number[] = [];
  const problems: string[] = [];
  let next = 0;
  let ok = 0;
  let wrong = 0;
  let dropped = 0;
  const note = (why: string): void => {
    if (problems.length < 5) problems.push(why);
  };
  const client = async (): Promise<void> => {
    while (next < o.requests) {
      const i = next++;
      const t0 = performance.now();
      try {
        const res = await fetch(endpoint, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(o.body(i)),
        });
        const value: unknown = await res.json();
        latencies.push(performance.now() - t0);
        const why = o.check(i, res.status, value);
        if (why === null) ok++;
        else {
          wrong++;
          note(`request ${i}: ${why}`);
        }
      } catch (e) {
        dropped++;
        note(`request ${i}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: o.clients }, client));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number): number =>
    latencies.length === 0
      ? Number.NaN
      : latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return {
    clients: o.clients,
    requests: o.requests,
    ok,
    wrong,
    dropped,
    problems,
    seconds,
    requestsPerSec: o.requests / seconds,
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    p99Ms: q(0.99),
    maxMs: latencies.at(-1) ?? Number.NaN,
  };
}
