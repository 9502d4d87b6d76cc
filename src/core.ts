/**
 * heed's platform-neutral API: tensors, autograd, ops, layers and metrics, on the js backend
 * unless a native backend has been registered. Imports nothing from Node.js, so it bundles for
 * browsers (see src/browser.ts); src/index.ts adds the native backend and Node-only parts.
 */

export { backward, isGradEnabled, noGrad } from './autograd/engine.js';
export type { Backend, BackendName, BinaryOp, GemmParams, ReduceOp, UnaryOp } from './backend/backend.js';
export { availableBackends, getBackend, setBackend, withBackend } from './backend/registry.js';
export * from './decode/index.js';
export * from './metrics/index.js';
export * from './nn/index.js';
export * from './ops/index.js';
export { Mask } from './tensor/mask.js';
export { type DType, type NestedArray, Tensor } from './tensor/tensor.js';
export { HeedError, ShapeError } from './util/errors.js';
export { Generator, manualSeed } from './util/random.js';
