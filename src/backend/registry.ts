import { HeedError } from '../util/errors.js';
import type { Backend, BackendName } from './backend.js';
import { createJsBackend } from './js/index.js';
import { loadAddon } from './native/addon.js';
import { createNativeBackend } from './native/index.js';

/**
 * Backend selection. Registered explicitly (no discovery): `js` always, `native` when the addon
 * loaded. The active backend is native when available, else js; `HEED_BACKEND=js|native` or
 * {@link setBackend} forces one. Float64 tensors always run on js (native kernels are float32).
 */
const backends = new Map<BackendName, Backend>();
const jsBackend = createJsBackend();
backends.set('js', jsBackend);

const addon = loadAddon();
/** Why native is missing, or null when it loaded. */
export const nativeLoadError: string | null = addon instanceof Error ? addon.message : null;
if (!(addon instanceof Error)) backends.set('native', createNativeBackend(addon));

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
  warnOnce(`heed: native backend unavailable (${nativeLoadError}); using the js backend.`);
  return jsBackend;
}

function resolve(name: string, what: string): Backend {
  if (!isBackendName(name)) {
    throw new HeedError(`${what}: unknown backend '${name}'; valid backends: ${validNames.join(', ')}`);
  }
  const b = backends.get(name);
  if (!b) {
    throw new HeedError(`${what}: backend '${name}' is not available here (${nativeLoadError})`);
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
