export { Adam, type AdamOptions, AdamW } from './adam.js';
export { clipGradNorm, gradNorm } from './clip.js';
export { adamKernel, sgdKernel } from './kernels.js';
export {
  type BceWithLogitsOptions,
  binaryCrossEntropyWithLogits,
  type NllLossOptions,
  nllLoss,
  type Reduction,
} from './losses.js';
export {
  type BaseOptions,
  Optimizer,
  type OptimizerState,
  type OptimizerStateJson,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type ParamsInput,
} from './optimizer.js';
export {
  constantSchedule,
  type DecayScheduleOptions,
  type HasLearningRate,
  LRScheduler,
  linearWarmupDecay,
  type NoamOptions,
  noamSchedule,
  type Schedule,
  type SchedulerState,
  warmupCosine,
} from './schedules.js';
export { SGD, type SGDOptions } from './sgd.js';
