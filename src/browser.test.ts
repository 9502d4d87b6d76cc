import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The browser entry must not reach Node.js: walk the compiled import graph from dist/browser.js
 * and fail on any `node:` module or the native addon loader.
 */
it('the browser entry point imports no Node.js module and not the native addon', () => {
  const start = fileURLToPath(new URL('./browser.js', import.meta.url));
  const seen = new Set<string>();
  const queue = [start];
  const offenders: string[] = [];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(
      /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]/g,
    )) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else offenders.push(`${file} imports ${spec}`);
    }
    if (file.includes('/backend/native/')) offenders.push(`${file} is reachable`);
  }
  assert.ok(seen.size > 20, `walked only ${seen.size} modules`);
  assert.deepEqual(offenders, []);
});
