import type { TestContext } from 'node:test';
import { main } from '../cli/main.js';

/** What one in-process `heed` invocation printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `heed ...args` in-process, capturing stdout and stderr through the test's mocks. */
export async function runHeed(t: TestContext, ...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  t.mock.method(process.stdout, 'write', (chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  t.mock.method(process.stderr, 'write', (chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    t.mock.restoreAll();
  }
}
