export { Dropout } from './dropout.js';
export { Embedding, type EmbeddingConfig } from './embedding.js';
export { constantParam, type InitOptions, normalParam, uniformParam, xavierUniformParam } from './init.js';
export { LayerNorm, type LayerNormConfig } from './layernorm.js';
export { Linear, type LinearConfig } from './linear.js';
export { Module, type StateDict } from './module.js';
export { Parameter } from './parameter.js';
