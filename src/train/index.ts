export {
  buildOptimizer,
  buildSchedule,
  type EarlyStoppingConfig,
  type OptimizerConfig,
  parseTrainerConfig,
  readTrainerConfig,
  type ScheduleConfig,
  type TrainerConfig,
  type TrainerRunConfig,
} from './config.js';
export { JsonlWriter } from './jsonl.js';
export {
  fmtDuration,
  ProgressDisplay,
  type ProgressMode,
  type ProgressOutput,
  type StepStatus,
} from './progress.js';
export {
  type LogRecord,
  type StepLoss,
  Trainer,
  type TrainerOptions,
  type TrainerParts,
  type TrainResult,
} from './trainer.js';
