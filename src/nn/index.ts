export * from './attention/index.js';
export { Dropout } from './dropout.js';
export { Embedding, type EmbeddingConfig } from './embedding.js';
export { constantParam, type InitOptions, normalParam, uniformParam, xavierUniformParam } from './init.js';
export {
  fusedLayerNorm,
  LayerNorm,
  type LayerNormConfig,
  layerNormComposed,
  runLayerNorm,
  setFusedLayerNorm,
} from './layernorm.js';
export { Linear, type LinearConfig } from './linear.js';
export { Module, type StateDict } from './module.js';
export { ModuleList } from './module-list.js';
export { Parameter } from './parameter.js';
export { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell } from './rnn/index.js';
export * from './transformer/index.js';
