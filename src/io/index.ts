export { fsyncDir, writeAndSync, writeFileAtomic } from './atomic.js';
export {
  CHECKPOINT_FILES,
  type CheckpointConfig,
  type CheckpointOptimizer,
  type CheckpointScheduler,
  type LoadCheckpointTargets,
  type LoadedCheckpoint,
  loadCheckpoint,
  readCheckpointConfig,
  type SaveCheckpointOptions,
  saveCheckpoint,
  type TrainingProgress,
} from './checkpoint.js';
export {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  type SafetensorsContents,
  type SafetensorsDtype,
  saveSafetensors,
} from './safetensors.js';
