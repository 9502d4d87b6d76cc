/**
 * heed: attention mechanisms, from RNNs to Transformers, in TypeScript.
 * The public API: tensors, autograd, ops and backend selection.
 */

export { backward, isGradEnabled, noGrad } from './autograd/engine.js';
export type { Backend, BackendName, BinaryOp, GemmParams, ReduceOp, UnaryOp } from './backend/backend.js';
export { availableBackends, getBackend, setBackend, withBackend } from './backend/registry.js';
export * from './ops/index.js';
export { Mask } from './tensor/mask.js';
export { type DType, type NestedArray, Tensor } from './tensor/tensor.js';
export { HeedError, ShapeError } from './util/errors.js';
export { Generator, manualSeed } from './util/random.js';
export * from './nn/index.js';
export * from './metrics/index.js';
