import { recordNativeLoadError, registerBackend } from '../registry.js';
import { loadAddon } from './addon.js';
import { createNativeBackend } from './index.js';

/**
 * Loads the native addon and registers the `native` backend (or records why it could not).
 * Imported for its effect by the Node.js entry points: src/index.ts, the CLI, the test support
 * and the benchmarks.
 */
const addon = loadAddon();
if (addon instanceof Error) recordNativeLoadError(addon.message);
else registerBackend(createNativeBackend(addon));
