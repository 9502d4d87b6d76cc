/**
 * The browser entry point: heed's platform-neutral API on the pure-TypeScript `js` backend
 * (no native addon, no Node.js modules).
 */
export * from './core.js';
