import '../backend/native/register.js';
import { after, before, describe } from 'node:test';
import type { BackendName } from '../backend/backend.js';
import {
  availableBackends,
  getBackend,
  nativeLoadError,
  setBackend,
  withBackend,
} from '../backend/registry.js';

/**
 * The backends a test suite must pass on: both, always. When the native addon did not load the
 * native suites fail with the load error, unless HEED_TEST_BACKENDS=js says to test js only
 * (for machines without a compiler), which is then printed as the reason.
 */
export function testedBackends(): BackendName[] {
  const only = process.env.HEED_TEST_BACKENDS;
  if (only === 'js') return ['js'];
  if (only === 'native') return ['native'];
  return ['js', 'native'];
}

/**
 * Runs `body` once per tested backend inside `describe(name [backend])`, with that backend
 * active for every test in it.
 */
export function describeEachBackend(name: string, body: (backend: BackendName) => void): void {
  for (const b of testedBackends()) {
    describe(`${name} [${b}]`, () => {
      if (!availableBackends().includes(b)) {
        throw new Error(`backend '${b}' did not load: ${nativeLoadError()}`);
      }
      let previous = getBackend().name;
      before(() => {
        previous = getBackend().name;
        setBackend(b);
      });
      after(() => setBackend(previous));
      body(b);
    });
  }
}

/** Runs `fn` on a backend (re-exported for tests that switch inside one case). */
export function onBackend<T>(name: BackendName, fn: () => T): T {
  return withBackend(name, fn);
}
