export { add, div, maximum, minimum, mul, type Operand, pow, sub } from './binary.js';
export {
  arange,
  fromArray,
  full,
  ones,
  onesLike,
  rand,
  randn,
  tensor,
  zeros,
  zerosLike,
} from './creation.js';
export { dropout } from './dropout.js';
export {
  type AttentionWithWeights,
  type FlashAttentionOptions,
  flashAttention,
  flashAttentionWithWeights,
} from './flash-attention.js';
export { flashAttentionHeads, flashSelfAttentionPacked } from './flash-attention-heads.js';
export { embedding, type Indices, indexSelect, pick } from './indexing.js';
export { layerNorm } from './layer-norm.js';
export { linear } from './linear.js';
export { type CrossEntropyOptions, crossEntropy } from './loss.js';
export { type MatmulOptions, matmul } from './matmul.js';
export {
  type RecurrenceKind,
  type RecurrenceOptions,
  type RecurrenceResult,
  type RecurrenceWeights,
  recurrenceFused,
} from './recurrence.js';
export { max, maxWithIndices, mean, sum } from './reduce.js';
export {
  gruCellFused,
  type LstmCellOutput,
  lstmCellFused,
  type RnnActivation,
  rnnCellFused,
} from './rnn-step.js';
export {
  concat,
  expand,
  permute,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  transpose,
  unsqueeze,
} from './shape.js';
export { logSoftmax, softmax } from './softmax.js';
export { abs, exp, gelu, log, neg, relu, sigmoid, sqrt, square, tanh } from './unary.js';
export { maskedFill, where } from './where.js';
