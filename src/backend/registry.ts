import { HeedError } from '../util/errors.js';
import type { Backend, BackendName } from './backend.js';
import { createJsBackend } from './js/index.js';

/**
 * Backend selection. Backends are registered explicitly (no discovery): `js` always; `native` by
 * src/backend/native/register.ts, which the Node.js entry points import (a browser bundle
 * imports src/browser.ts and never touches the addon). The active backend is native when it is
 * registered, else js; `HEED_BACKEND=js|native` or {@link setBackend} forces one. Float64
 * tensors always run on js (native kernels are float32).
 */
const backends = new Map<BackendName, Backend>();
const jsBackend = createJsBackend();
backends.set('js', jsBackend);

/** Why native is missing: null once it is registered. */
let nativeError: string | null = 'the native addon is only loaded by the Node.js entry points';
/** Whether loading the addon was attempted (and so whether its absence deserves a warning). */
let nativeAttempted = false;

/** Adds a backend to the registry (the native loader calls this once the addon loaded). */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
  if (backend.name === 'native') {
    nativeError = null;
    nativeAttempted = true;
  }
}

/** Records why the native addon could not be loaded, for `heed info` and the one-time warning. */
export function recordNativeLoadError(message: string): void {
  nativeError = message;
  nativeAttempted = true;
}

/** Why native is unavailable, or null when it is registered. */
export function nativeLoadError(): string | null {
  return nativeError;
}

const validNames: readonly BackendName[] = ['js', 'native'];

/** Narrows a string to a backend name. */
export function isBackendName(name: string): name is BackendName {
  return (validNames as readonly string[]).includes(name);
}

/** Resolved on first use, so a bad HEED_BACKEND surfaces as a normal error, not at import. */
let active: Backend | null = null;
let warned = false;

function pickDefault(): Backend {
  const forced = typeof process !== 'undefined' ? process.env.HEED_BACKEND : undefined;
  if (forced !== undefined && forced !== '') return resolve(forced, 'HEED_BACKEND');
  const native = backends.get('native');
  if (native) return native;
  if (nativeAttempted) warnOnce(`heed: native backend unavailable (${nativeError}); using the js backend.`);
  return jsBackend;
}

function resolve(name: string, what: string): Backend {
  if (!isBackendName(name)) {
    throw new HeedError(`${what}: unknown backend '${name}'; valid backends: ${validNames.join(', ')}`);
  }
  const b = backends.get(name);
  if (!b) {
    throw new HeedError(`${what}: backend '${name}' is not available here (${nativeError})`);
  }
  return b;
}

function warnOnce(msg: string): void {
  if (warned) return;
  warned = true;
  if (typeof process !== 'undefined' && process.env.HEED_QUIET !== '1') process.stderr.write(`${msg}\n`);
}

/** The backend ops run on for float32 tensors. */
export function getBackend(): Backend {
  active ??= pickDefault();
  return active;
}

/** Selects the backend by name; throws, listing the valid names, for an unknown one. */
export function setBackend(name: string): void {
  active = resolve(name, 'setBackend');
}

/** The names of the backends that loaded in this process. */
export function availableBackends(): BackendName[] {
  return [...backends.keys()];
}

/** The backend for a given element type: float64 always goes to js. */
export function backendFor(dtype: 'float32' | 'float64'): Backend {
  return dtype === 'float64' ? jsBackend : getBackend();
}

/** Runs `fn` with `name` as the active backend, restoring the previous one afterwards. */
export function withBackend<T>(name: string, fn: () => T): T {
  const prev = getBackend();
  active = resolve(name, 'withBackend');
  try {
    return fn();
  } finally {
    active = prev;
  }
}
